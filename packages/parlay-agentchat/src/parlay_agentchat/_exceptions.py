"""The errors parlay-agentchat raises on purpose.

Each derives from :class:`~parlay_core.exceptions.ParlayError` and, where AutoGen raised a
built-in exception in the same situation, from that built-in too, so ``except ValueError`` or
``except RuntimeError`` written for AutoGen keeps working::

    ParlayError
    ├── AgentChatError                      base of the errors below
    │   ├── InvalidTaskError                a task is not a str, chat message or list (ValueError)
    │   ├── MessageTypeNotRegisteredError   a message class unknown to a MessageFactory (ValueError)
    │   ├── AgentArgumentTypeError          an agent argument of the wrong type (TypeError)
    │   ├── AgentConfigurationError         bad constructor arguments of an agent or team (ValueError)
    │   │   └── GraphValidationError        a GraphFlow graph that cannot run (ValueError)
    │   │       ├── GraphCycleError         a cycle without a conditional edge to leave it
    │   │       ├── GraphStartNodeError     no node can start the flow
    │   │       └── UnknownGraphNodeError   an edge, entry point or participant unknown to the graph
    │   ├── HandoffTargetError              a handoff reached an agent it does not name (RuntimeError)
    │   ├── ModelStreamError                a model stream yielded no final result or a bad chunk (RuntimeError)
    │   ├── ProgressLedgerError             a Magentic-One model gave no readable progress ledger (ValueError)
    │   ├── TerminatedException             a termination condition called after it fired (RuntimeError)
    │   ├── TeamAlreadyRunningError         run() while the team runs (ValueError)
    │   ├── TeamRunningError                reset() or load_state() while the team runs (RuntimeError)
    │   ├── TeamRunError                    a participant or condition raised during a run (RuntimeError)
    │   ├── UserInputError                  the input function of a UserProxyAgent failed (RuntimeError)
    │   └── StructuredOutputError           a reply does not match the structured output type
    │                                       (pydantic's ValidationError, so a ValueError)
"""

from __future__ import annotations

from pydantic import ValidationError

from parlay_core.exceptions import ParlayError

__all__ = [
    "AgentArgumentTypeError",
    "AgentChatError",
    "AgentConfigurationError",
    "GraphCycleError",
    "GraphStartNodeError",
    "GraphValidationError",
    "HandoffTargetError",
    "InvalidTaskError",
    "MessageTypeNotRegisteredError",
    "ModelStreamError",
    "ProgressLedgerError",
    "StructuredOutputError",
    "TeamAlreadyRunningError",
    "TeamRunError",
    "TeamRunningError",
    "TerminatedException",
    "UnknownGraphNodeError",
    "UserInputError",
]


class AgentChatError(ParlayError):
    """Base class of the errors raised by parlay-agentchat."""


class InvalidTaskError(AgentChatError, ValueError):
    """A task given to ``run``/``run_stream`` is not a str, a chat message or a list of them."""


class MessageTypeNotRegisteredError(AgentChatError, ValueError):
    """A message class (or ``type`` name) is not registered with the :class:`MessageFactory`."""


class AgentArgumentTypeError(AgentChatError, TypeError):
    """An agent was given an argument of a type it cannot use (for example ``memory`` that is
    not a list of memories)."""


class AgentConfigurationError(AgentChatError, ValueError):
    """An agent or team was built with arguments that cannot work together."""


class GraphValidationError(AgentConfigurationError):
    """A :class:`~parlay_agentchat.teams.DiGraph` cannot run as given (see the message)."""


class GraphCycleError(GraphValidationError):
    """A cycle of the graph has no conditional edge, so a run could never leave it."""


class GraphStartNodeError(GraphValidationError):
    """No node of the graph can start a run: set an entry point."""


class UnknownGraphNodeError(GraphValidationError):
    """An edge, the entry point or a participant names a node the graph does not have."""


class HandoffTargetError(AgentChatError, RuntimeError):
    """An agent was given a turn whose last message hands off to another agent."""


class ModelStreamError(AgentChatError, RuntimeError):
    """A model client's ``create_stream`` yielded something other than text chunks followed by
    one final ``CreateResult``."""


class ProgressLedgerError(AgentChatError, ValueError):
    """The Magentic-One orchestrator's model gave no readable progress ledger, even after
    being told what was wrong with its replies."""


class TerminatedException(AgentChatError, RuntimeError):
    """A termination condition was called again after it fired, without a ``reset()``."""


class TeamAlreadyRunningError(AgentChatError, ValueError):
    """``run``/``run_stream`` was called while the same team is still running."""


class TeamRunningError(AgentChatError, RuntimeError):
    """An operation that needs an idle team (reset, load_state) was called during a run."""


class TeamRunError(AgentChatError, RuntimeError):
    """A participant, a speaker selector or the termination condition raised during a run.

    The original exception is the ``__cause__`` when it was raised in this process.
    """


class UserInputError(AgentChatError, RuntimeError):
    """The input function of a :class:`~parlay_agentchat.agents.UserProxyAgent` raised."""


class StructuredOutputError(AgentChatError, ValidationError):
    """A model reply does not validate against the agent's ``output_content_type``.

    It is a pydantic ``ValidationError`` (as AutoGen raises in this case), so ``errors()`` lists
    what did not validate; a note names the agent and quotes the reply. Build one with
    ``StructuredOutputError.from_exception_data(title, line_errors)``.
    """
