"""One MCP session at a time, reopened after the server goes away.

The SDK's transports and ``ClientSession`` are anyio task-group context managers: they must be
entered and left in the same task. So a background task owns each session (it enters the
contexts, then waits to be told to leave them), while callers send requests on the session
from their own tasks, which the SDK allows. Every request is bounded by a deadline, so a server
that never answers ends in an error instead of a hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from parlay_core import CancellationToken
from parlay_core.exceptions import ToolError, ToolServerError
from parlay_ext.tools.mcp._config import (
    SseServerParams,
    StdioServerParams,
    StreamableHttpServerParams,
    request_timeout,
    startup_timeout,
)
from parlay_ext.tools.mcp._sdk import (
    ClientSession,
    MCPError,
    SamplingFnT,
    StdioServerParameters,
    httpx2,
    mcp_types,
    sse_client,
    stdio_client,
    streamable_http_client,
)

__all__ = ["McpConnection", "SamplingCallback"]

T = TypeVar("T")

SamplingCallback = SamplingFnT
"""The SDK's sampling callback: ``(context, CreateMessageRequestParams)`` to a result."""

ServerParams = StdioServerParams | SseServerParams | StreamableHttpServerParams

# Codes with which the SDK reports that the connection itself is gone, not that the server
# refused one request.
_CONNECTION_LOST = {mcp_types.jsonrpc.CONNECTION_CLOSED, mcp_types.jsonrpc.REQUEST_TIMEOUT}
# A stopped session's transport shuts down within a few seconds (stdio: close stdin, then
# SIGTERM, then SIGKILL, each bounded); past this the owner task is cancelled outright.
_CLOSE_TIMEOUT = 10.0


def _transport(params: ServerParams) -> Any:
    if isinstance(params, StdioServerParams):
        return stdio_client(
            StdioServerParameters(
                command=params.command,
                args=params.args,
                env=params.env,
                cwd=params.cwd,
                encoding=params.encoding,
                encoding_error_handler=params.encoding_error_handler,
            )
        )
    if isinstance(params, SseServerParams):
        return sse_client(
            params.url,
            headers=params.headers,
            timeout=params.timeout,
            sse_read_timeout=params.sse_read_timeout,
        )
    client = httpx2.AsyncClient(
        headers={key: str(value) for key, value in (params.headers or {}).items()},
        timeout=httpx2.Timeout(params.timeout, read=params.sse_read_timeout),
    )
    return _owning(
        client,
        streamable_http_client(
            params.url, http_client=client, terminate_on_close=params.terminate_on_close
        ),
    )


class _owning:
    """Enter an HTTP client, then the transport over it; leave both in reverse order."""

    def __init__(self, client: Any, transport: Any) -> None:
        self._client = client
        self._transport = transport

    async def __aenter__(self) -> Any:
        await self._client.__aenter__()
        try:
            return await self._transport.__aenter__()
        except BaseException:
            await self._client.__aexit__(None, None, None)
            raise

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self._transport.__aexit__(*exc)
        finally:
            await self._client.__aexit__(None, None, None)


def describe(error: BaseException) -> str:
    """A one-line account of an error, flattening exception groups from the SDK's task groups."""
    nested: tuple[BaseException, ...] = getattr(error, "exceptions", ())
    if nested:
        return "; ".join(describe(item) for item in nested)
    return str(error).strip() or type(error).__name__


class McpConnection:
    """Opens an MCP session on first use and reopens it after the server went away.

    Args:
        params: Where the server is.
        sampling_callback: Answers the server's sampling requests; ``None`` declines them.
    """

    def __init__(self, params: ServerParams, sampling_callback: SamplingCallback | None = None):
        self._params = params
        self._sampling_callback = sampling_callback
        self._timeout = request_timeout(params)
        self._startup_timeout = startup_timeout(params)
        self._session: ClientSession | None = None
        self._owner: asyncio.Task[None] | None = None
        self._leave: asyncio.Event | None = None
        self._opening: asyncio.Lock | None = None
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def timeout(self) -> float:
        """The deadline of each request, in seconds."""
        return self._timeout

    @property
    def startup_timeout(self) -> float:
        """The deadline of opening a session (starting the server and the handshake)."""
        return self._startup_timeout

    @property
    def is_open(self) -> bool:
        """Whether a session is up (it may still fail on the next request)."""
        return self._session is not None and self._owner is not None and not self._owner.done()

    async def session(self) -> ClientSession:
        """Return the live session, opening a new one when there is none.

        Raises:
            ToolServerError: The server could not be started or reached, or did not finish
                the handshake within the deadline.
        """
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._session is not None and self.is_open:
                return self._session
            self._drop()
            return await self._open()

    async def _open(self) -> ClientSession:
        ready: asyncio.Future[ClientSession] = asyncio.get_running_loop().create_future()
        leave = asyncio.Event()
        owner = asyncio.create_task(self._own(ready, leave), name="mcp-session")
        try:
            session = await asyncio.wait_for(asyncio.shield(ready), self._startup_timeout)
        except asyncio.TimeoutError:
            ready.cancel()
            self._retire(owner, leave, wait=False)
            raise ToolServerError(
                f"The MCP server at {self._where()} did not start and complete the handshake "
                f"within {self._startup_timeout:g} s; if it is just slow to start, raise "
                f"{self._startup_field()}."
            ) from None
        except asyncio.CancelledError:
            ready.cancel()
            self._retire(owner, leave, wait=False)
            raise
        except Exception as exc:
            await asyncio.gather(owner, return_exceptions=True)
            raise ToolServerError(
                f"Cannot connect to the MCP server at {self._where()}: {describe(exc)}"
            ) from exc
        self._session, self._owner, self._leave = session, owner, leave
        return session

    async def _own(self, ready: asyncio.Future[ClientSession], leave: asyncio.Event) -> None:
        try:
            async with AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(_transport(self._params))
                session = await stack.enter_async_context(
                    ClientSession(read, write, sampling_callback=self._sampling_callback)
                )
                await session.initialize()
                if ready.done():  # the caller gave up waiting
                    return
                ready.set_result(session)
                await leave.wait()
        except Exception as exc:
            if not ready.done():
                ready.set_exception(exc)

    def _startup_field(self) -> str:
        if isinstance(self._params, StdioServerParams):
            return "StdioServerParams.startup_timeout_seconds"
        return f"{type(self._params).__name__}.sse_read_timeout"

    def _where(self) -> str:
        if isinstance(self._params, StdioServerParams):
            return repr(" ".join([self._params.command, *self._params.args]))
        return self._params.url

    def _retire(self, owner: asyncio.Task[None], leave: asyncio.Event, wait: bool = True) -> None:
        """Stop a session in the background, so a caller need not wait for a dying server.

        A session that never finished its handshake has nothing to close politely: its owner
        is cancelled at once (the SDK still stops a stdio server's process, within bounds).
        """
        leave.set()

        async def close() -> None:
            try:
                if not wait:
                    raise asyncio.TimeoutError
                await asyncio.wait_for(asyncio.shield(owner), _CLOSE_TIMEOUT)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                owner.cancel()
                await asyncio.gather(owner, return_exceptions=True)

        task = asyncio.create_task(close(), name="mcp-session-close")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _drop(self) -> None:
        if self._owner is not None and self._leave is not None:
            self._retire(self._owner, self._leave)
        self._session = self._owner = self._leave = None

    async def close(self) -> None:
        """Stop the session, if any, and wait until every server it started has been stopped."""
        self._drop()
        while self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        self._opening = None  # a lock is bound to its event loop; a restart may run in another

    async def request(
        self,
        what: str,
        send: Callable[[ClientSession], Awaitable[T]],
        cancellation_token: CancellationToken | None = None,
    ) -> T:
        """Send one request on the session, within the deadline.

        Args:
            what: The request, for error messages (``"call_tool 'add'"``).
            send: Sends the request on the session it is given.
            cancellation_token: Cancels the request (the server is told).

        Raises:
            ToolServerError: The server went away, or did not answer within the deadline. The
                session is dropped when it no longer answers, so the next request reopens it.
            ToolError: The server answered with a protocol error (an unknown prompt, say).
            asyncio.CancelledError: The token was cancelled.
        """
        session = await self.session()
        call = asyncio.ensure_future(send(session))
        if cancellation_token is not None:
            cancellation_token.link_future(call)
        try:
            return await asyncio.wait_for(call, self._timeout)
        except asyncio.TimeoutError:
            if not await self._answers_ping(session):
                self._forget(session)
            raise ToolServerError(
                f"The MCP server at {self._where()} did not answer {what} within "
                f"{self._timeout:g} s."
            ) from None
        except MCPError as exc:
            if exc.code not in _CONNECTION_LOST:
                raise ToolError(f"The MCP server refused {what}: {exc.message}") from exc
            self._forget(session)
            raise self._lost(what, exc) from exc
        except (asyncio.CancelledError, ToolError):
            raise
        except Exception as exc:
            # Transport failures (a refused HTTP connection, a broken pipe) end the session.
            self._forget(session)
            raise self._lost(what, exc) from exc

    def _lost(self, what: str, error: BaseException) -> ToolServerError:
        return ToolServerError(
            f"The connection to the MCP server at {self._where()} was lost during {what} "
            f"({describe(error)}); the server may have crashed. The next call starts a new "
            "session."
        )

    async def _answers_ping(self, session: ClientSession) -> bool:
        # A slow tool leaves the session usable; a hung or dead server does not.
        try:
            await asyncio.wait_for(session.send_ping(), min(self._timeout, 5.0))
        except Exception:
            return False
        return True

    def _forget(self, session: ClientSession) -> None:
        if self._session is session:
            self._drop()
