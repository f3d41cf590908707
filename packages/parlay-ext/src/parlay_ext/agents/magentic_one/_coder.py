"""MagenticOneCoderAgent: an AssistantAgent with Magentic-One's coder prompt, which is sealed."""

from __future__ import annotations

from typing import Any

from typing_extensions import Self

from parlay_agentchat.agents import AssistantAgent, AssistantAgentConfig
from parlay_agentchat.exceptions import AgentConfigurationError
from parlay_core.models import ChatCompletionClient

__all__ = [
    "MAGENTIC_ONE_CODER_DESCRIPTION",
    "MAGENTIC_ONE_CODER_SYSTEM_MESSAGE",
    "MagenticOneCoderAgent",
]

MAGENTIC_ONE_CODER_DESCRIPTION = (
    "A general-purpose assistant with strong language, Python and Linux command-line skills: "
    "it analyses what the team found and writes the programs the terminal runs."
)
"""What the orchestrator is told about the coder."""

MAGENTIC_ONE_CODER_SYSTEM_MESSAGE = """You are the coder of a team. You solve tasks by reasoning \
and by writing programs that a computer terminal in the team runs for you.

- When information must be gathered or work must be done by a program (reading or downloading \
a file, computing, checking the date or the system), write one complete program: Python in a \
```python block or a shell script in a ```sh block. The terminal runs it as written and shows \
you its output; nobody edits it, so never leave parts to fill in.
- Write at most one code block per reply, and print the results you need to see.
- If you have not been given a plan, say how you will proceed first, and which steps need code.
- Read the output of each run. On an error, write the corrected program in full. If the approach \
fails, rethink your assumptions and try another way.
- Once you have the answer, check it, and give it with the evidence that supports it."""
"""The coder's system message (Parlay's wording, with the role AutoGen's prompt gives it)."""

_SEALED = {
    "description": MAGENTIC_ONE_CODER_DESCRIPTION,
    "system_message": MAGENTIC_ONE_CODER_SYSTEM_MESSAGE,
}


class MagenticOneCoderAgent(AssistantAgent):
    """The coder of Magentic-One: writes Python or shell programs for a terminal agent to run.

    An :class:`~parlay_agentchat.agents.AssistantAgent` whose description and system message are
    fixed to Magentic-One's coder; use ``AssistantAgent`` to change them. It runs no code itself:
    pair it with a :class:`~parlay_agentchat.agents.CodeExecutorAgent` (Magentic-One's
    ``ComputerTerminal``).

    Needs the ``magentic-one`` extra: ``pip install "parlay-ext[magentic-one]"``.

    Args:
        name: The agent's name.
        model_client: The model that writes the code.
        **kwargs: Any other argument of ``AssistantAgent`` (``tools``, ``model_client_stream``,
            ``model_context``, ...). AutoGen ignores them; Parlay passes them on.

    Raises:
        AgentConfigurationError: ``description`` or ``system_message`` differs from the sealed
            prompt (AutoGen ignores them silently).
    """

    component_provider_override = "parlay_ext.agents.magentic_one.MagenticOneCoderAgent"

    def __init__(self, name: str, model_client: ChatCompletionClient, **kwargs: Any) -> None:
        for key, sealed in _SEALED.items():
            given = kwargs.pop(key, sealed)
            if given != sealed:
                raise AgentConfigurationError(
                    f"MagenticOneCoderAgent's {key} is sealed to Magentic-One's coder; build an "
                    f"AssistantAgent to give the coder another {key}."
                )
        super().__init__(
            name,
            model_client,
            description=MAGENTIC_ONE_CODER_DESCRIPTION,
            system_message=MAGENTIC_ONE_CODER_SYSTEM_MESSAGE,
            **kwargs,
        )

    @classmethod
    def _from_config(cls, config: AssistantAgentConfig) -> Self:
        # A dumped coder carries its prompts (AutoGen's, in an AutoGen config); the class's own
        # sealed ones apply, as AutoGen's coder ignores them too.
        return super()._from_config(config.model_copy(update=_SEALED))
