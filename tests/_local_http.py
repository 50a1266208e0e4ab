"""Test helpers for the network sources: a real HTTP server on 127.0.0.1, a stub resolver and
a socket guard. Nothing here ever connects anywhere but 127.0.0.1.

``LocalHTTP`` serves routes registered by the test (exact path, query ignored) from a thread
pool; each route is a function of the request handler, so a test can write headers and bodies
byte by byte (slow, huge, broken responses). It records every hit, its headers and its start time.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    host: str | None
    user_agent: str | None
    started: float


@dataclass
class LocalHTTP:
    """A threaded HTTP/1.0 server on 127.0.0.1 with per-path routes; use as a context manager."""

    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    max_in_flight: int = 0
    bytes_sent: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = self.path.split("?", 1)[0]
                with server.lock:
                    server.hits.append(
                        Hit(
                            self.path,
                            self.headers.get("Host"),
                            self.headers.get("User-Agent"),
                            time.monotonic(),
                        )
                    )
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    route = server.routes.get(path)
                    if route is None:
                        respond(self, 404, b"not here")
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up, as some tests intend
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01})

    def __enter__(self) -> LocalHTTP:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str | None = "text/html; charset=utf-8",
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = lambda h: respond(h, status, data, content_type=content_type, headers=headers)

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for hit in self.hits if hit.path.split("?", 1)[0] == path)


def respond(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    *,
    content_type: str | None = "text/html; charset=utf-8",
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    handler.send_response(status)
    if content_type is not None:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def redirect(location: str, status: int = 302) -> Route:
    return lambda h: respond(h, status, b"", headers=[("Location", location)])


# --------------------------------------------------------------------------- name resolution


@dataclass
class StubResolver:
    """``socket.getaddrinfo`` over a fixed table; unknown names fail like NXDOMAIN."""

    table: dict[str, list[str]]
    calls: list[str] = field(default_factory=list)

    def __call__(
        self, host: str, port: int | None, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> list[tuple[object, ...]]:  # noqa: A002
        self.calls.append(host)
        addresses = self.table.get(host)
        if addresses is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port or 0, 0, 0))
            if ":" in ip
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 0))
            for ip in addresses
        ]


# --------------------------------------------------------------------------- socket guard


@dataclass
class ConnectLog:
    """Every address a socket tried to connect to during a test."""

    addresses: list[str] = field(default_factory=list)

    def others(self) -> list[str]:
        return [a for a in self.addresses if a != "127.0.0.1"]


@pytest.fixture(autouse=True)
def connect_log(monkeypatch: pytest.MonkeyPatch) -> ConnectLog:
    """Refuses (and records) any socket connection to an address other than 127.0.0.1."""
    log = ConnectLog()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def checked(address: object) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        log.addresses.append(str(host))
        if host != "127.0.0.1":
            raise OSError(f"test guard: refusing to connect to {host}")

    def connect(self: socket.socket, address: object) -> None:
        checked(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        checked(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return log
