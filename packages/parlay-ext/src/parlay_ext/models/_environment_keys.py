"""Whether a client loaded from a config may send the user's environment API key to its URL.

A config chooses ``base_url``; the key in ``OPENAI_API_KEY`` or ``ANTHROPIC_API_KEY`` belongs
to the person running it. So a client loaded from a config that points at a server other than
the provider's own, and carries no key of its own, does not send that server the environment's
key unless the caller allowed it (``load_component(..., allow_environment_keys=True)``, or
``--allow-environment-keys`` on the ``parlay`` command). Without the key, a local server that
needs none still works. A client built in code keeps using the environment's key: there the
user chose the URL. ``docs/security.md`` states the rule.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Collection, Sequence
from urllib.parse import urlsplit

from parlay_core import are_environment_keys_allowed

__all__ = ["withheld_environment_key"]


def _is_own_endpoint(base_url: str, own_hosts: Collection[str]) -> bool:
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    # An entry starting with a dot is a domain: each Azure resource has its own host under it.
    owned = any(host.endswith(h) if h.startswith(".") else host == h for h in own_hosts)
    # Plain http to the provider's host name would hand the key to whoever answers on the path.
    return parts.scheme == "https" and owned


def withheld_environment_key(
    client: str, base_url: str | None, variables: Sequence[str], own_hosts: Collection[str]
) -> str | None:
    """Decide, while a client is loaded from a config, whether to withhold the environment key.

    Call it from ``_from_config`` only when the config carries no key. When the key is withheld
    this warns once, at load time, naming the host, the variable and the opt-in.

    Args:
        client: The client's class name, for the message.
        base_url: The config's ``base_url`` (None: the provider's default endpoint).
        variables: The environment variables the SDK would read a credential from.
        own_hosts: Host names of the provider's own endpoints, reached over https; an entry
            starting with a dot (``".openai.azure.com"``) stands for every host under it.

    Returns:
        None when the environment key may be used (no base_url, the provider's own endpoint,
        the variable is unset, or the caller allowed it); otherwise a short note on why the key
        is not sent, for the client's error messages.
    """
    if base_url is None or _is_own_endpoint(base_url, own_hosts):
        return None
    variable = next((v for v in variables if os.environ.get(v)), None)
    if variable is None or are_environment_keys_allowed():
        return None
    host = urlsplit(base_url).netloc or base_url
    note = (
        f"the {variable} from the environment was not sent to {host}, a base_url taken from a "
        "config; if you trust that server with the key, load the config with "
        "allow_environment_keys=True (the parlay command: --allow-environment-keys), or put "
        "the key in the config"
    )
    warnings.warn(f"{client} loaded without an API key: {note}.", UserWarning, stacklevel=4)
    return note
