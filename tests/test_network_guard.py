"""The suite's network guard fails any test that leaves the machine, before anything is sent.

Each case runs a small pytest session (pytester, in this process) with the suite's conftest.
Spies placed under the guard record every call that reaches the real socket functions, so a
refused call is shown to send nothing.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests import _network_guard

CONFTEST = 'pytest_plugins = ["tests.conftest"]\n'
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nmarkers =\n    live: calls a provider\n"


@pytest.fixture
def reached(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Calls that got past the guard of the inner session to the socket layer below it."""
    calls: list[str] = []
    below = {
        "connect": socket.socket.connect,
        "connect_ex": socket.socket.connect_ex,
    }

    def connect(self: socket.socket, address: Any, /) -> None:
        calls.append(f"connect {address!r}")
        below["connect"](self, address)

    def connect_ex(self: socket.socket, address: Any, /) -> int:
        calls.append(f"connect_ex {address!r}")
        result: int = below["connect_ex"](self, address)
        return result

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(f"getaddrinfo {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


def test_a_test_connecting_to_a_private_address_fails_and_sends_nothing(
    pytester: pytest.Pytester, reached: list[str]
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import socket

        def test_touches_the_network():
            socket.create_connection(("10.255.255.1", 9), timeout=1)
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*connect to ('10.255.255.1', 9) was refused before anything was sent*"]
    )
    # Looking up an IP literal only parses it; the connect is what must not happen.
    assert [call for call in reached if call.startswith("connect")] == []


def test_a_swallowed_refusal_still_fails_the_test(
    pytester: pytest.Pytester, reached: list[str]
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import asyncio
        import socket

        def test_retries_quietly():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.connect_ex(("10.255.255.1", 443))
            except Exception:
                pass  # a client library turning errors into a retry or an error value
            finally:
                sock.close()

        def test_asyncio_swallowed():
            async def main():
                try:
                    await asyncio.open_connection("10.255.255.1", 443)
                except Exception:
                    pass

            asyncio.run(main())
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*connect to ('10.255.255.1', 443) was refused*"])
    assert [call for call in reached if call.startswith("connect")] == []


def test_a_lookup_of_another_host_fails(pytester: pytest.Pytester, reached: list[str]) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import socket

        def test_resolves():
            socket.getaddrinfo("example.com", 443)

        def test_connects_by_name():
            socket.socket().connect(("example.com", 80))
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*getaddrinfo('example.com')*", "*('example.com', 80)*"])
    assert reached == []


def test_loopback_and_unix_sockets_are_allowed(
    pytester: pytest.Pytester, reached: list[str]
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import asyncio
        import socket
        import tempfile

        def test_loopback():
            with socket.create_server(("127.0.0.1", 0)) as server:
                port = server.getsockname()[1]
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                socket.create_connection(("localhost", port), timeout=5).close()

                async def main():
                    _, writer = await asyncio.open_connection("localhost", port)
                    writer.close()
                    await writer.wait_closed()

                asyncio.run(main())
            # A short path: a Unix socket's path is limited to about 100 bytes.
            folder = tempfile.TemporaryDirectory(dir="/tmp")
            path = folder.name + "/s"
            with folder, socket.socket(socket.AF_UNIX) as unix_server:
                unix_server.bind(path)
                unix_server.listen()
                with socket.socket(socket.AF_UNIX) as client:
                    client.connect(path)
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert any("127.0.0.1" in call for call in reached)


def test_live_tests_run_only_with_run_live(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARLAY_RUN_LIVE", raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import pytest
        from tests import _network_guard

        @pytest.mark.live
        def test_provider():
            assert _network_guard.is_allowed()

        def test_offline():
            assert not _network_guard.is_allowed()
        """
    )
    skipped = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rs")
    skipped.assert_outcomes(passed=1, skipped=1)
    skipped.stdout.fnmatch_lines(["*--run-live*"])
    opted_in = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--run-live")
    opted_in.assert_outcomes(passed=2)


def test_loopback_checks() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", b"127.0.0.1"):
        assert _network_guard.is_local_address(host), host
    for host in ("10.255.255.1", "0.0.0.0", "192.168.1.1", "::", "2001:db8::1", "localhost"):
        assert not _network_guard.is_local_address(host), host
    for name in (None, "", "localhost", "LOCALHOST.", "api.localhost", "10.0.0.1"):
        assert _network_guard.is_local_name(name), name
    for name in ("example.com", "api.openai.com", "localhost.example.com"):
        assert not _network_guard.is_local_name(name), name
