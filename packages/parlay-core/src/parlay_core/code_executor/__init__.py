"""Code executors: run code blocks (usually written by a model) and report the outcome."""

from parlay_core._import_statements import Alias, Import, ImportFromModule
from parlay_core.code_executor._base import (
    CodeBlock,
    CodeExecutor,
    CodeResult,
    extract_markdown_code_blocks,
)
from parlay_core.code_executor._functions import (
    FUNCTIONS_PROMPT_TEMPLATE,
    FunctionWithRequirements,
    FunctionWithRequirementsStr,
    build_python_functions_file,
    format_functions_for_prompt,
    function_name,
    function_stub,
    required_packages,
    with_requirements,
)

__all__ = [
    "FUNCTIONS_PROMPT_TEMPLATE",
    "Alias",
    "CodeBlock",
    "CodeExecutor",
    "CodeResult",
    "FunctionWithRequirements",
    "FunctionWithRequirementsStr",
    "Import",
    "ImportFromModule",
    "build_python_functions_file",
    "extract_markdown_code_blocks",
    "format_functions_for_prompt",
    "function_name",
    "function_stub",
    "required_packages",
    "with_requirements",
]
