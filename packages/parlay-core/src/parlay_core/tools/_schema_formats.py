"""The Python types that check a JSON schema's string ``format`` (and OpenAPI's number formats).

Used by the schema builder when a caller asks for formats to be checked, as
:func:`parlay_core.utils.schema_to_pydantic_model` does (AutoGen checks them there). Formats that
JSON Schema defines but no Python type checks better than ``str`` (``regex``, ``uri-template``,
``json-pointer``, ...) are accepted as plain strings; a format nobody defines is an error.
"""

from __future__ import annotations

import datetime
import importlib.util
from collections.abc import Mapping
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Annotated, Any
from uuid import UUID

from pydantic import UUID1, UUID3, UUID4, UUID5, AnyUrl, Field, Json

__all__ = ["format_type"]

# RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
_HOSTNAME = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
# Used for "email" only when the email-validator package (which pydantic's EmailStr needs) is
# absent: one @, no spaces, a dot in the domain.
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _email() -> Any:
    if importlib.util.find_spec("email_validator") is not None:
        from pydantic import EmailStr

        return EmailStr
    return Annotated[str, Field(pattern=_EMAIL)]


_FORMATS: Mapping[str, Any] = {
    "date-time": datetime.datetime,
    "date": datetime.date,
    "time": datetime.time,
    "duration": datetime.timedelta,
    "uuid": UUID,
    "uuid1": UUID1,
    "uuid3": UUID3,
    "uuid4": UUID4,
    "uuid5": UUID5,
    "uri": AnyUrl,
    "url": AnyUrl,
    "hostname": Annotated[str, Field(pattern=_HOSTNAME, max_length=253)],
    "ipv4": IPv4Address,
    "ipv6": IPv6Address,
    "ipv4-network": IPv4Network,
    "ipv6-network": IPv6Network,
    "int32": Annotated[int, Field(ge=-(2**31), le=2**31 - 1)],
    "int64": Annotated[int, Field(ge=-(2**63), le=2**63 - 1)],
    "float": float,
    "double": float,
    "decimal": float,
    "json": Json[Any],  # type: ignore[misc]
}
# Formats whose values are strings that no type checks better; kept as str.
_PLAIN = frozenset(
    {
        "byte",
        "binary",
        "password",
        "path",
        "regex",
        "uri-reference",
        "uri-template",
        "iri",
        "iri-reference",
        "idn-hostname",
        "json-pointer",
        "relative-json-pointer",
    }
)


def format_type(name: str) -> Any | None:
    """The type that checks values of a format.

    Args:
        name: The ``format`` keyword's value.

    Returns:
        The type; ``str`` for formats kept as plain strings; ``None`` for an unknown format.
    """
    if name in ("email", "idn-email"):
        return _email()
    if name in _PLAIN:
        return str
    return _FORMATS.get(name)
