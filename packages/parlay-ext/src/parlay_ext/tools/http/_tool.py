"""HttpTool: one REST endpoint offered to a model as a tool."""

from __future__ import annotations

import asyncio
import codecs
import copy
import json
import re
import typing
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, SecretStr
from typing_extensions import Self

from parlay_core import CancellationToken, Component
from parlay_core.exceptions import (
    ComponentConfigError,
    HttpToolError,
    ToolArgumentsError,
    ToolSchemaError,
)
from parlay_core.tools import BaseTool, ParametersSchema, ToolSchema
from parlay_core.utils import inline_refs
from parlay_ext.tools.http._args_model import args_model_from_json_schema, dump_args
from parlay_ext.tools.http._sdk import httpx

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "DEFAULT_TIMEOUT", "HttpTool", "HttpToolConfig"]

DEFAULT_TIMEOUT = 5.0
"""Seconds a request may take by default (AutoGen's default too)."""
DEFAULT_MAX_RESPONSE_BYTES = 1_000_000
"""Bytes of response body kept by default; the rest is not read."""

Method = Literal["GET", "POST", "PUT", "DELETE", "PATCH"]
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_EXCERPT_CHARS = 500


class HttpToolConfig(BaseModel):
    """The component config of an :class:`HttpTool` (AutoGen's fields, plus authentication).

    Secrets are ``SecretStr``: ``dump_component()`` masks them unless ``include_secrets=True``.
    See :class:`HttpTool` for the meaning of each field.
    """

    name: str
    description: str | None = "HTTP tool"
    scheme: Literal["http", "https"] = "http"
    host: str
    port: int
    path: str = "/"
    method: Method | None = "POST"
    headers: dict[str, Any] | None = None
    json_schema: dict[str, Any]
    return_type: Literal["text", "json"] | None = "text"
    timeout: float = DEFAULT_TIMEOUT
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    bearer_token: SecretStr | None = None
    basic_auth_username: str | None = None
    basic_auth_password: SecretStr | None = None
    secret_headers: dict[str, SecretStr] | None = None


def _secret(value: str | SecretStr) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(value)


def _excerpt(text: str) -> str:
    if not text.strip():
        return "(empty body)"
    if len(text) <= _EXCERPT_CHARS:
        return text
    return f"{text[:_EXCERPT_CHARS]}... ({len(text) - _EXCERPT_CHARS} more characters)"


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """The first ``limit`` bytes of the decoded body, and whether there was more.

    Reading stops there: the rest is never downloaded (or decompressed).
    """
    body = bytearray()
    async for chunk in response.aiter_bytes():
        room = limit - len(body)
        body.extend(chunk[:room])
        if len(chunk) > room:
            return bytes(body), True
    return bytes(body), False


def _decode(body: bytes, charset: str | None) -> str:
    # Incremental, so that a body cut inside a multi-byte character loses that character only.
    try:
        decoder = codecs.getincrementaldecoder(charset or "utf-8")(errors="replace")
    except LookupError:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return decoder.decode(body, final=False)


def _is_nested(value: object) -> bool:
    items: list[object] = typing.cast("list[object]", value) if isinstance(value, list) else []
    return isinstance(value, dict) or any(isinstance(v, (dict, list)) for v in items)


def _query_value(value: object) -> object:
    # httpx encodes scalars and lists of scalars itself; nested data travels as JSON text.
    return json.dumps(value) if _is_nested(value) else value


class HttpTool(BaseTool[BaseModel, Any], Component[HttpToolConfig]):
    """Offer one HTTP endpoint to a model as a tool.

    The model sees ``json_schema`` as the tool's parameters. A call is validated against it
    before any request is made; then the arguments are sent this way:

    * each ``{name}`` placeholder in ``path`` is replaced by that argument, percent-encoded as
      one path segment (a ``/`` in the value cannot reach another endpoint; ``.`` and ``..``
      are refused). Placeholders must be properties of the schema and are always required;
    * the other arguments go to the query string for ``GET`` and ``DELETE``, and to a JSON
      object body for ``POST``, ``PUT`` and ``PATCH``. Optional arguments the model left out
      are not sent; arguments the schema does not declare are dropped unless the schema sets
      ``additionalProperties``.

    The result is the response body as text, or parsed JSON with ``return_type="json"``.
    ``timeout`` is a deadline for the whole exchange, from connecting to the body's last byte, so
    a server trickling its answer cannot stretch it. The body is read only up to
    ``max_response_bytes`` (after decompression): a longer text body is cut there and ends with a
    ``[Response truncated ...]`` line, so the model still sees its start; a longer JSON body
    cannot be parsed from a part, so it is an error. Every failure raises :class:`~parlay_core.exceptions.HttpToolError`, which a workbench (and so an
    agent) turns into an error result the model can read: a 4xx/5xx status (with
    ``status_code`` and the start of the body), a redirect (not followed, so the tool stays on
    the configured host), a body that is not JSON when JSON was expected, a timeout, or a
    server that cannot be reached, a JSON body larger than ``max_response_bytes``.

    Args:
        name: The tool name the model uses.
        host: The server's host name or address.
        port: The server's port.
        json_schema: A JSON schema of an object: the tool's parameters.
        headers: Headers sent with every request.
        description: What the tool does, for the model.
        path: The path, with ``{name}`` placeholders for path parameters.
        scheme: ``"http"`` or ``"https"``.
        method: The HTTP method.
        return_type: ``"text"`` returns the body as a string; ``"json"`` parses it.
        timeout: Seconds the whole request may take, the response body included.
        max_response_bytes: The most body bytes read and given to the model; default 1 MB.
        bearer_token: Sent as ``Authorization: Bearer <token>``.
        basic_auth: A ``(username, password)`` pair for HTTP basic authentication.
        secret_headers: Headers whose values are secrets, such as an API key header; masked in
            dumped configs like the other secrets.

    Raises:
        ToolSchemaError: A path placeholder is not a property of the schema, or the schema is
            not an object schema or uses a keyword that cannot be checked.
        ComponentConfigError: ``timeout`` or ``max_response_bytes`` is not positive, or both
            ``bearer_token`` and ``basic_auth`` are given (also a ``ValueError``; loading a
            config with such values raises it too).

    Example::

        tool = HttpTool(
            name="get_item",
            description="Look up an item by id.",
            host="127.0.0.1",
            port=8080,
            path="/items/{item_id}",
            method="GET",
            json_schema={
                "type": "object",
                "properties": {"item_id": {"type": "string"}, "fields": {"type": "string"}},
                "required": ["item_id"],
            },
            return_type="json",
        )
        # GET http://127.0.0.1:8080/items/42?fields=name
        await tool.run_json({"item_id": "42", "fields": "name"}, CancellationToken())
    """

    component_provider_override = "parlay_ext.tools.http.HttpTool"
    component_config_schema = HttpToolConfig

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        json_schema: Mapping[str, Any],
        headers: Mapping[str, Any] | None = None,
        description: str = "HTTP tool",
        path: str = "/",
        scheme: Literal["http", "https"] = "http",
        method: Method = "POST",
        return_type: Literal["text", "json"] = "text",
        timeout: float = DEFAULT_TIMEOUT,
        *,
        bearer_token: str | SecretStr | None = None,
        basic_auth: tuple[str, str | SecretStr] | None = None,
        secret_headers: Mapping[str, str | SecretStr] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if timeout <= 0:
            raise ComponentConfigError(
                f"HttpTool {name!r}: timeout must be a positive number of seconds; got "
                f"{timeout}. Set it to how long one whole request may take, for example "
                f"{DEFAULT_TIMEOUT:g}."
            )
        if max_response_bytes <= 0:
            raise ComponentConfigError(
                f"HttpTool {name!r}: max_response_bytes must be a positive number of bytes; got "
                f"{max_response_bytes}. Set it to the most response body to read, for example "
                f"{DEFAULT_MAX_RESPONSE_BYTES}."
            )
        if bearer_token is not None and basic_auth is not None:
            raise ComponentConfigError(
                f"HttpTool {name!r}: give bearer_token or basic_auth (basic_auth_username and "
                "basic_auth_password in a config), not both: each sets the Authorization header."
            )
        self._host, self._port, self._path = host, port, path
        self._scheme: Literal["http", "https"] = scheme
        self._method: Method = method
        self._return_kind: Literal["text", "json"] = return_type
        self._timeout = timeout
        self._max_response = max_response_bytes
        self._headers = dict(headers or {})
        self._bearer = None if bearer_token is None else _secret(bearer_token)
        self._basic = None if basic_auth is None else (basic_auth[0], _secret(basic_auth[1]))
        self._secret_headers = {k: _secret(v) for k, v in (secret_headers or {}).items()}
        self._json_schema: dict[str, Any] = copy.deepcopy(dict(json_schema))
        self._path_params = list(dict.fromkeys(_PLACEHOLDER.findall(path)))
        declared = self._json_schema.get("properties", {})
        undeclared = [p for p in self._path_params if p not in declared]
        if undeclared:
            raise ToolSchemaError(
                f"The path {path!r} of tool {name!r} has placeholders {undeclared} that are not "
                "properties of its json_schema. Declare each path parameter in the schema."
            )
        args_model = args_model_from_json_schema(self._json_schema, name, self._path_params)
        super().__init__(args_model, object if return_type == "json" else str, name, description)

    @property
    def timeout(self) -> float:
        """Seconds one whole request may take, the response body included."""
        return self._timeout

    @property
    def max_response_bytes(self) -> int:
        """The most response body bytes read; a longer body is cut (text) or refused (JSON)."""
        return self._max_response

    def _build_schema(self) -> ToolSchema:
        # The model sees the configured schema itself (descriptions, formats and all), with path
        # parameters marked required and references written out for providers that reject $ref.
        parameters = inline_refs(self._json_schema)
        parameters.setdefault("type", "object")
        parameters.setdefault("properties", {})
        required = list(parameters.get("required", []))
        required += [p for p in self._path_params if p not in required]
        if required:
            parameters["required"] = required
        return ToolSchema(
            name=self._name,
            description=self._description,
            parameters=typing.cast(ParametersSchema, parameters),
            strict=False,
        )

    def return_value_as_string(self, value: Any) -> str:
        """Text bodies as they are; parsed JSON written back as JSON, for the model to read."""
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    def _fill_path(self, values: dict[str, Any]) -> str:
        segments: dict[str, str] = {}
        for name in self._path_params:
            value = values.pop(name, None)
            text = value if isinstance(value, str) else "" if value is None else json.dumps(value)
            if text in ("", ".", ".."):
                raise ToolArgumentsError(
                    f"Invalid arguments for tool {self._name!r}: the path parameter {name!r} "
                    f"cannot be {value!r}. Call it again with a real value."
                )
            segments[name] = quote(text, safe="")
        return _PLACEHOLDER.sub(lambda match: segments[match.group(1)], self._path)

    def _request_headers(self) -> dict[str, str]:
        headers = {key: str(value) for key, value in self._headers.items()}
        headers.update({k: v.get_secret_value() for k, v in self._secret_headers.items()})
        if self._bearer is not None:
            headers["Authorization"] = f"Bearer {self._bearer.get_secret_value()}"
        return headers

    async def run(self, args: BaseModel, cancellation_token: CancellationToken) -> Any:
        """Send the request for validated arguments and return the response body.

        Raises:
            ToolArgumentsError: A path parameter is empty, ``.`` or ``..``.
            HttpToolError: The request failed (see the class description).
            asyncio.CancelledError: The token was cancelled during the request.
        """
        values = dump_args(args)
        url = httpx.URL(scheme=self._scheme, host=self._host, port=self._port)
        url = url.copy_with(path=self._fill_path(values))
        request: dict[str, Any]
        if self._method in _BODY_METHODS:
            request = {"json": values}
        else:
            request = {"params": {k: _query_value(v) for k, v in values.items() if v is not None}}
        call = asyncio.ensure_future(self._send(url, request))
        cancellation_token.link_future(call)
        return await call

    async def _send(self, url: httpx.URL, request: dict[str, Any]) -> Any:
        target = f"{self._method} {url}"
        # httpx's timeout bounds each network operation; this one bounds the whole exchange, so
        # a server sending a byte now and then cannot keep the call alive.
        try:
            return await asyncio.wait_for(self._exchange(url, request, target), self._timeout)
        except asyncio.TimeoutError as exc:
            raise self._timeout_error(target, "deadline") from exc

    def _timeout_error(self, target: str, what: str) -> HttpToolError:
        return HttpToolError(
            f"{target} got no complete answer within {self._timeout:g} s ({what}). The server "
            "is slow or down: try again later, or give the tool a longer timeout."
        )

    async def _exchange(self, url: httpx.URL, request: dict[str, Any], target: str) -> Any:
        auth = None
        if self._basic is not None:
            auth = httpx.BasicAuth(self._basic[0], self._basic[1].get_secret_value())
        # No redirects: following one could take the model's request to another host.
        async with httpx.AsyncClient(
            timeout=self._timeout, headers=self._request_headers(), auth=auth
        ) as client:
            try:
                async with client.stream(self._method, url, **request) as response:
                    body, cut = await _read_capped(response, self._max_response)
            except httpx.TimeoutException as exc:
                raise self._timeout_error(target, type(exc).__name__) from exc
            except httpx.ConnectError as exc:
                raise HttpToolError(
                    f"Cannot connect to {url} ({exc or type(exc).__name__}). Check that the "
                    f"server is running and that the tool's host and port "
                    f"({self._host}:{self._port}) are right."
                ) from exc
            except httpx.HTTPError as exc:
                raise HttpToolError(f"{target} failed: {exc or type(exc).__name__}.") from exc
        return self._read(response, body, cut)

    def _read(self, response: httpx.Response, body: bytes, cut: bool) -> Any:
        target = f"{self._method} {response.request.url}"
        status = f"{response.status_code} {response.reason_phrase}".strip()
        text = _decode(body, response.charset_encoding)
        if response.is_redirect:
            raise HttpToolError(
                f"{target} answered {status}, a redirect to "
                f"{response.headers.get('location', '(no location)')}. The tool does not follow "
                "redirects; configure it with the final address.",
                status_code=response.status_code,
            )
        if response.is_error:
            raise HttpToolError(
                f"{target} answered {status}: {_excerpt(text)}",
                status_code=response.status_code,
            )
        if self._return_kind == "text":
            if cut:
                text += (
                    f"\n[Response truncated: the body is longer than {self._max_response} bytes "
                    "and only its start is shown (the tool's max_response_bytes).]"
                )
            return text
        if cut:
            raise HttpToolError(
                f"{target} answered {status} with a body larger than {self._max_response} bytes, "
                "the tool's max_response_bytes; a part of a JSON document cannot be read. Ask "
                "for less (a filter or a page), or raise max_response_bytes.",
                status_code=response.status_code,
            )
        try:
            return json.loads(body)
        except ValueError as exc:
            content_type = response.headers.get("content-type", "none")
            raise HttpToolError(
                f"{target} answered {status} with a body that is not JSON (content type "
                f"{content_type}), but the tool expects JSON: {_excerpt(text)}. Use "
                'return_type="text" for this endpoint.',
                status_code=response.status_code,
            ) from exc

    def _to_config(self) -> HttpToolConfig:
        return HttpToolConfig(
            name=self._name,
            description=self._description,
            scheme=self._scheme,
            host=self._host,
            port=self._port,
            path=self._path,
            method=self._method,
            headers=self._headers or None,
            json_schema=copy.deepcopy(self._json_schema),
            return_type=self._return_kind,
            timeout=self._timeout,
            max_response_bytes=self._max_response,
            bearer_token=self._bearer,
            basic_auth_username=None if self._basic is None else self._basic[0],
            basic_auth_password=None if self._basic is None else self._basic[1],
            secret_headers=self._secret_headers or None,
        )

    @classmethod
    def _from_config(cls, config: HttpToolConfig) -> Self:
        basic = None
        if config.basic_auth_username is not None or config.basic_auth_password is not None:
            basic = (config.basic_auth_username or "", config.basic_auth_password or SecretStr(""))
        return cls(
            name=config.name,
            host=config.host,
            port=config.port,
            json_schema=config.json_schema,
            headers=config.headers,
            description=config.description or "HTTP tool",
            path=config.path,
            scheme=config.scheme,
            method=config.method or "POST",
            return_type=config.return_type or "text",
            timeout=config.timeout,
            bearer_token=config.bearer_token,
            basic_auth=basic,
            secret_headers=config.secret_headers,
            max_response_bytes=config.max_response_bytes,
        )
