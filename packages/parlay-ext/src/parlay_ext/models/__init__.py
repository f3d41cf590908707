"""Model clients: OpenAI (and compatible servers), Anthropic, an embedded offline model.

Each provider is a subpackage that needs its extra (``parlay_ext.models.openai`` needs
``pip install "parlay-ext[openai]"``, and so on); importing this package imports none of them.
:func:`default_model_client` picks one from the environment (as a component, loaded from
``"provider": "default"``: :class:`DefaultChatCompletionClient`). ``parlay_ext.models.cache`` wraps
any client with a result cache; ``parlay_ext.models.replay`` re-exports the scripted client.
"""

from parlay_ext.models._default import (
    DEFAULT_ANTHROPIC_MODEL,
    DEFAULT_OPENAI_MODEL,
    DefaultChatCompletionClient,
    DefaultChatCompletionClientConfig,
    default_model_client,
)

__all__ = [
    "DEFAULT_ANTHROPIC_MODEL",
    "DEFAULT_OPENAI_MODEL",
    "DefaultChatCompletionClient",
    "DefaultChatCompletionClientConfig",
    "default_model_client",
]
