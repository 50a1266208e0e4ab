"""HTTP fetching under a safety policy: one URL in, one ``FetchResult`` or one read-stage ``Reject`` out.

Contract: ``Fetcher(policy).fetch(url)`` never raises. It GETs an ``http``/``https`` URL with
httpx, follows at most ``max_redirects`` redirects by hand (each hop checked like the first),
retries transient failures (connection errors, timeouts, 429, 5xx) with exponential backoff and
jitter (a ``Retry-After`` is honoured up to ``retry_after_max``), and streams the body, stopping
after ``max_bytes + 1`` bytes (at most one network read past the cap). Every failure is a
``Reject`` with stage ``read`` and a ``FetchReason`` code: ``fetch_refused`` (scheme, URL or
address not allowed), ``fetch_failed`` (resolution, connection or protocol error),
``http_error`` (a final non-2xx status), ``too_large``, ``too_many_redirects`` (including
loops) and ``timeout`` (connect, read, or ``total_timeout`` for one attempt).

Address safety (SSRF): an IP-literal host is checked before the request; a host name is
resolved with ``resolver`` (``socket.getaddrinfo`` by default) inside the connection layer,
and the connection is made to exactly the addresses that were checked: an httpcore network
backend resolves, refuses the whole host when any of its addresses is private, loopback,
link-local, multicast, reserved, unspecified or otherwise not global (IPv4 embedded in
IPv6 is checked too), and only then connects to the checked IP. There is one resolution per
new connection and nothing to rebind between check and connect; every redirect hop goes
through the same checks (a kept-alive connection is reused only for its own origin).
``allow_private`` turns the check off; ``allowed_hosts`` turns it off for exactly the hosts
named there, as written in the URL (``{"127.0.0.1"}`` does not allow ``localhost``).
Environment proxies and ``.netrc`` are ignored (``trust_env=False``): a proxy would make the
check meaningless.

Politeness: at most ``per_host_concurrency`` requests in flight per host and at least
``min_host_interval`` seconds between the starts of two requests to one host (retries and
redirect hops included); ``Fetcher.map`` runs a function over items in a bounded thread pool
and yields results in input order.

Deliberately not here: decoding bodies or extracting text (``feeds``/``normalise``),
robots.txt, caching, cookies policy, HTTP/2, request methods other than GET, and a timeout
on name resolution (the system resolver's own limits apply).
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, TypeVar

import httpcore
import httpx

from casualty_etl import __version__
from casualty_etl.model import Reject, RejectStage

__all__ = [
    "DEFAULT_FETCH_MAX_BYTES",
    "USER_AGENT",
    "FetchPolicy",
    "FetchReason",
    "FetchResult",
    "Fetcher",
    "Resolver",
    "address_refusal",
]

#: Default cap on the (decoded) bytes of one HTTP response body.
DEFAULT_FETCH_MAX_BYTES = 5 * 1024 * 1024
USER_AGENT = f"casualty-etl/{__version__} (+https://example.org/casualty-etl)"

#: ``socket.getaddrinfo``-compatible: called as ``resolver(host, port, 0, socket.SOCK_STREAM)``.
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

_T = TypeVar("_T")
_R = TypeVar("_R")

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"
)
_GZIP_WBITS = 32 + zlib.MAX_WBITS  # gzip or zlib header, detected
_EXCERPT_CHARS = 120


class FetchReason(StrEnum):
    """Stable reject codes of fetching (``Reject.reason``, stage ``read``)."""

    FETCH_REFUSED = "fetch_refused"
    FETCH_FAILED = "fetch_failed"
    HTTP_ERROR = "http_error"
    TOO_LARGE = "too_large"  # same code as ``normalise.Reason.TOO_LARGE``
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TIMEOUT = "timeout"


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How a ``Fetcher`` may fetch. Times are seconds; every limit is checked on construction."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0  # longest wait for the response headers or for any body chunk
    total_timeout: float = 60.0  # wall-clock budget of one attempt, checked between body chunks
    max_bytes: int = DEFAULT_FETCH_MAX_BYTES
    max_redirects: int = 5
    retries: int = 3  # extra attempts after the first, for transient failures only
    backoff_base: float = 0.5  # the n-th retry waits about backoff_base * 2**n (jittered)
    backoff_max: float = 10.0
    retry_after_max: float = 30.0  # a longer Retry-After is cut to this
    per_host_concurrency: int = 2
    min_host_interval: float = 1.0
    max_workers: int = 4  # thread pool of ``Fetcher.map``
    user_agent: str = USER_AGENT
    allowed_schemes: frozenset[str] = frozenset({"http", "https"})
    allow_private: bool = False
    allowed_hosts: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        for name in ("backoff_base", "backoff_max", "retry_after_max", "min_host_interval"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must not be negative")
        if self.max_bytes < 1 or self.per_host_concurrency < 1 or self.max_workers < 1:
            raise ValueError("max_bytes, per_host_concurrency and max_workers must be positive")
        if self.max_redirects < 0 or self.retries < 0:
            raise ValueError("max_redirects and retries must not be negative")
        schemes = frozenset(s.lower() for s in self.allowed_schemes)
        if not schemes or not schemes <= {"http", "https"}:
            raise ValueError(f"allowed_schemes must be a non-empty subset of http/https, got {schemes}")
        object.__setattr__(self, "allowed_schemes", schemes)
        hosts = frozenset(h.lower().strip("[]") for h in self.allowed_hosts)
        object.__setattr__(self, "allowed_hosts", hosts)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A successful (2xx) response with its whole body (decompressed when it was gzip/deflate)."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content_type: str | None  # media type only, lower case: "text/html"
    charset: str | None  # from the Content-Type header, lower case
    body: bytes
    fetched_at: datetime  # UTC, when the final response's headers arrived


# --------------------------------------------------------------------------- address checks


def address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why connecting to ``address`` is refused by default, or None for a global unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d
            return address_refusal(address.ipv4_mapped)
        embedded = address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            why = address_refusal(embedded)
            if why is not None:
                return f"embeds {embedded}, {why}"
    for flag in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
        if getattr(address, f"is_{flag}"):
            return flag.replace("_", "-")
    if not address.is_global:
        return "not globally routable"
    return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class _RefusedError(Exception):
    """A connection the policy forbids; raised before any socket exists."""


class _UnresolvableError(Exception):
    def __init__(self, detail: str, *, transient: bool) -> None:
        super().__init__(detail)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class _AddressGuard:
    policy: FetchPolicy
    resolver: Resolver

    def literal_refusal(self, host: str) -> str | None:
        """Why an IP-literal host is refused (no resolution needed), or None (also for names)."""
        name = host.lower().strip("[]")
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return None
        return self._refusal(name, address, f"{host} is")

    def addresses(self, host: str, port: int) -> tuple[str, ...]:
        """The checked addresses of ``host``, in resolver order; raises when any is refused."""
        name = host.lower().strip("[]")
        try:
            found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ipaddress.ip_address(name)]
        except ValueError:
            found = self._resolve(host, port)
        for address in found:
            why = self._refusal(name, address, f"{host} resolves to {address},")
            if why is not None:
                raise _RefusedError(why)
        return tuple(dict.fromkeys(str(address) for address in found))

    def _refusal(
        self, name: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address, what: str
    ) -> str | None:
        if self.policy.allow_private or name in self.policy.allowed_hosts:
            return None
        why = address_refusal(address)
        return None if why is None else f"{what} {why} (host not in allowed_hosts)"

    def _resolve(self, host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        try:
            infos = self.resolver(host, port, 0, socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise _UnresolvableError(
                f"cannot resolve {host}: {exc.strerror or exc}", transient=exc.errno == socket.EAI_AGAIN
            ) from exc
        except (OSError, UnicodeError, ValueError) as exc:
            raise _UnresolvableError(f"cannot resolve {host}: {exc}", transient=False) from exc
        found = []
        for info in infos:
            try:
                found.append(ipaddress.ip_address(str(info[4][0])))
            except (ValueError, IndexError, TypeError):
                continue
        if not found:
            raise _UnresolvableError(f"{host} has no IP address", transient=False)
        return found


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolves and checks the host, then connects the inner backend to a checked IP only."""

    def __init__(self, guard: _AddressGuard, inner: httpcore.NetworkBackend) -> None:
        self._guard = guard
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self._guard.addresses(host, port):
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # addresses() never returns an empty tuple
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise _RefusedError("unix sockets are never used")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


# --------------------------------------------------------------------------- transport

_HTTPCORE_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    """httpcore exceptions as their httpx counterparts (what ``httpx.HTTPTransport`` does)."""
    try:
        yield
    except Exception as exc:
        for core, public in _HTTPCORE_ERRORS:
            if isinstance(exc, core):
                raise public(str(exc)) from exc
        raise


class _BodyStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class _GuardedTransport(httpx.BaseTransport):
    """``httpx.HTTPTransport`` over an httpcore pool whose every connection is guarded."""

    def __init__(self, backend: httpcore.NetworkBackend, max_connections: int) -> None:
        # ssl_context=None: httpcore builds its default verifying context (certifi) on first use.
        self._pool = httpcore.ConnectionPool(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=backend,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = self._pool.handle_request(core_request)
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_BodyStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


# --------------------------------------------------------------------------- per-host gate


class _HostGate:
    """At most ``limit`` requests in flight, and request starts ``interval`` seconds apart.

    ``clock`` and ``sleep`` are the real ones in use; tests pass a virtual clock, so that the
    spacing is checked without depending on how fast a loaded machine schedules threads.
    """

    def __init__(
        self,
        limit: int,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._interval = interval
        self._next_start = 0.0
        self._clock = clock
        self._sleep = sleep

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        with self._slots:
            with self._lock:
                now = self._clock()
                start = max(now, self._next_start)
                self._next_start = start + self._interval
            if start > now:
                self._sleep(start - now)
            yield


# --------------------------------------------------------------------------- fetcher


@dataclass(frozen=True, slots=True)
class _Redirect:
    location: str


@dataclass(frozen=True, slots=True)
class _Attempt:
    """The outcome of one request: a result, a redirect or a reject, and whether to try again."""

    value: FetchResult | _Redirect | Reject
    transient: bool = False
    retry_after: float | None = None


@dataclass(slots=True)
class _Body:
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    raw_size: int = 0


class Fetcher:
    """Fetches URLs under a ``FetchPolicy``; thread-safe; close it (or use ``with``) when done.

    ``resolver`` (``socket.getaddrinfo``-like), ``sleep`` (used for retry waits only),
    ``rng`` (jitter) and ``network_backend`` (the httpcore backend that opens checked
    connections) are injectable for tests.
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolver: Resolver = socket.getaddrinfo,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        network_backend: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.policy = policy if policy is not None else FetchPolicy()
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._rng_lock = threading.Lock()
        self._gates: dict[str, _HostGate] = {}
        self._gates_lock = threading.Lock()
        self._guard = _AddressGuard(self.policy, resolver)
        backend = _GuardedBackend(self._guard, network_backend or httpcore.SyncBackend())
        p = self.policy
        self._client = httpx.Client(
            transport=_GuardedTransport(backend, max(p.max_workers, p.per_host_concurrency)),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=p.connect_timeout, read=p.read_timeout, write=p.read_timeout, pool=p.total_timeout
            ),
            headers={"User-Agent": p.user_agent, "Accept": _ACCEPT, "Accept-Encoding": "gzip, deflate"},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # ----------------------------------------------------------------- public

    def fetch(self, url: str) -> FetchResult | Reject:
        """GET ``url`` under the policy; never raises."""
        try:
            return self._fetch(url)
        except Exception as exc:  # the contract is "never an exception out": a bug becomes a reject
            return _reject(url, FetchReason.FETCH_FAILED, f"unexpected {type(exc).__name__}: {exc}")

    def map(self, fn: Callable[[_T], _R], items: Iterable[_T]) -> Iterator[_R]:
        """``fn`` over ``items`` in ``policy.max_workers`` threads; results in input order.

        At most ``2 * max_workers`` items are in flight, so a long input is never all queued;
        closing the iterator early cancels what has not started.
        """
        workers = self.policy.max_workers
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="casualty-fetch") as pool:
            pending: deque[Future[_R]] = deque()
            try:
                for item in items:
                    pending.append(pool.submit(fn, item))
                    if len(pending) >= 2 * workers:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()

    # ----------------------------------------------------------------- internals

    def _fetch(self, url: str) -> FetchResult | Reject:
        current = url
        seen: set[str] = set()
        for hop in range(self.policy.max_redirects + 1):
            target = self._check_url(url, current)
            if isinstance(target, Reject):
                return target
            seen.add(str(target))
            outcome = self._with_retries(url, target)
            if not isinstance(outcome, _Redirect):
                return outcome
            try:
                current = str(target.join(outcome.location))
            except (httpx.InvalidURL, ValueError, TypeError) as exc:
                return _reject(url, FetchReason.FETCH_FAILED, f"bad redirect location from {target}: {exc}")
            if current in seen:
                return _reject(
                    url, FetchReason.TOO_MANY_REDIRECTS, f"redirect loop after {hop + 1} hops at {current}"
                )
            seen.add(current)
        return _reject(
            url,
            FetchReason.TOO_MANY_REDIRECTS,
            f"more than {self.policy.max_redirects} redirects ({current})",
        )

    def _check_url(self, source: str, url: str) -> httpx.URL | Reject:
        """The static checks of one hop: scheme, host, and an IP-literal host's address. Names are
        resolved and checked at connect time, by the guarded backend."""
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            return _reject(source, FetchReason.FETCH_REFUSED, f"invalid URL {url!r}: {exc}")
        scheme = target.scheme.lower()
        if scheme not in self.policy.allowed_schemes:
            what = f"scheme {scheme!r}" if scheme else "a URL without a scheme"
            return _reject(source, FetchReason.FETCH_REFUSED, f"{what} is not allowed: {url}")
        if not target.raw_host:
            return _reject(source, FetchReason.FETCH_REFUSED, f"no host in {url}")
        refusal = self._guard.literal_refusal(target.raw_host.decode("ascii"))
        if refusal is not None:  # early, so a refused literal never waits for the host's gate
            return _reject(source, FetchReason.FETCH_REFUSED, refusal)
        return target

    def _with_retries(self, source: str, target: httpx.URL) -> FetchResult | _Redirect | Reject:
        attempt = _Attempt(_reject(source, FetchReason.FETCH_FAILED, "not attempted"))
        for number in range(self.policy.retries + 1):
            if number:
                self._sleep(self._delay(number - 1, attempt.retry_after))
            attempt = self._attempt(source, target)
            if not attempt.transient:
                break
        value = attempt.value
        if isinstance(value, Reject) and attempt.transient and self.policy.retries:
            return _reject(source, value.reason, f"{value.detail} (after {self.policy.retries + 1} attempts)")
        return value

    def _delay(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.policy.retry_after_max)
        backoff = min(self.policy.backoff_max, self.policy.backoff_base * 2**retry)
        with self._rng_lock:
            jitter = self._rng.random()
        return backoff / 2 + jitter * backoff / 2

    def _gate(self, host: str) -> _HostGate:
        with self._gates_lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = _HostGate(self.policy.per_host_concurrency, self.policy.min_host_interval)
                self._gates[host] = gate
            return gate

    def _attempt(self, source: str, target: httpx.URL) -> _Attempt:
        where = "" if str(target) == source else f" (at {target})"
        host = target.raw_host.decode("ascii").lower()
        with self._gate(host).slot():
            deadline = time.monotonic() + self.policy.total_timeout
            try:
                response = self._client.send(self._client.build_request("GET", target), stream=True)
            except _RefusedError as exc:
                return _Attempt(_reject(source, FetchReason.FETCH_REFUSED, f"{exc}{where}"))
            except _UnresolvableError as exc:
                return _Attempt(_reject(source, FetchReason.FETCH_FAILED, f"{exc}{where}"), exc.transient)
            except httpx.TimeoutException as exc:
                return _Attempt(_reject(source, FetchReason.TIMEOUT, f"{_describe(exc)}{where}"), True)
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                return _Attempt(_reject(source, FetchReason.FETCH_FAILED, f"{_describe(exc)}{where}"), True)
            except httpx.HTTPError as exc:
                return _Attempt(_reject(source, FetchReason.FETCH_FAILED, f"{_describe(exc)}{where}"))
            try:
                return self._response(source, target, response, deadline, where)
            except httpx.TimeoutException as exc:
                return _Attempt(_reject(source, FetchReason.TIMEOUT, f"{_describe(exc)}{where}"), True)
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                return _Attempt(_reject(source, FetchReason.FETCH_FAILED, f"{_describe(exc)}{where}"), True)
            except httpx.HTTPError as exc:
                return _Attempt(_reject(source, FetchReason.FETCH_FAILED, f"{_describe(exc)}{where}"))
            finally:
                response.close()

    def _response(
        self, source: str, target: httpx.URL, response: httpx.Response, deadline: float, where: str
    ) -> _Attempt:
        status = response.status_code
        fetched_at = datetime.now(UTC)
        if status in _REDIRECT_STATUSES:
            location = response.headers.get("location")
            if not location:
                return _Attempt(
                    _reject(source, FetchReason.HTTP_ERROR, f"HTTP {status} without Location{where}")
                )
            return _Attempt(_Redirect(location))
        if status == 429 or 500 <= status <= 599:
            retry_after = _retry_after(response.headers.get("retry-after"), fetched_at)
            return _Attempt(
                _reject(source, FetchReason.HTTP_ERROR, f"HTTP {status}{where}"), True, retry_after
            )
        if not 200 <= status <= 299:
            return _Attempt(_reject(source, FetchReason.HTTP_ERROR, f"HTTP {status}{where}"))
        body = self._read_body(source, response, deadline, where)
        if isinstance(body, _Attempt):
            return body
        content_type, charset = _content_type(response.headers.get("content-type"))
        return _Attempt(
            FetchResult(
                url=source,
                final_url=str(response.url),
                status=status,
                content_type=content_type,
                charset=charset,
                body=body,
                fetched_at=fetched_at,
            )
        )

    def _read_body(
        self, source: str, response: httpx.Response, deadline: float, where: str
    ) -> bytes | _Attempt:
        cap = self.policy.max_bytes
        encoding = response.headers.get("content-encoding", "").strip().lower()
        inflater = None
        if encoding in ("gzip", "x-gzip", "deflate"):
            inflater = zlib.decompressobj(_GZIP_WBITS)
        elif encoding not in ("", "identity"):
            return _Attempt(
                _reject(source, FetchReason.FETCH_FAILED, f"unsupported Content-Encoding {encoding!r}")
            )
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            return _Attempt(
                _reject(source, FetchReason.TOO_LARGE, f"Content-Length {declared}, limit {cap} bytes{where}")
            )
        body = _Body()

        def too_large() -> _Attempt:
            return _Attempt(
                _reject(
                    source,
                    FetchReason.TOO_LARGE,
                    f"more than {cap} bytes (stopped after reading {body.raw_size}){where}",
                )
            )

        try:
            for chunk in response.iter_raw():
                body.raw_size += len(chunk)
                if body.raw_size > cap:
                    return too_large()
                if inflater is not None:
                    chunk = inflater.decompress(chunk, cap + 1 - body.size)
                    if inflater.unconsumed_tail:
                        return too_large()
                body.chunks.append(chunk)
                body.size += len(chunk)
                if body.size > cap:
                    return too_large()
                if time.monotonic() > deadline:
                    return _Attempt(
                        _reject(
                            source,
                            FetchReason.TIMEOUT,
                            f"body not complete after {self.policy.total_timeout} s "
                            f"({body.raw_size} bytes){where}",
                        ),
                        True,
                    )
            if inflater is not None:
                tail = inflater.flush()
                body.chunks.append(tail)
                body.size += len(tail)
                if body.size > cap:
                    return too_large()
        except zlib.error as exc:
            return _Attempt(
                _reject(source, FetchReason.FETCH_FAILED, f"corrupt {encoding} body: {exc}{where}")
            )
        return b"".join(body.chunks)


# --------------------------------------------------------------------------- helpers


def _reject(source: str, reason: str, detail: str) -> Reject:
    return Reject(source=source, stage=RejectStage.READ, reason=str(reason), detail=detail)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text[:_EXCERPT_CHARS]}" if text else type(exc).__name__


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(min(int(text[:12]), 10**9))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _content_type(value: str | None) -> tuple[str | None, str | None]:
    """``text/html; charset="UTF-8"`` -> ("text/html", "utf-8")."""
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower() or None
    return media.strip().lower() or None, charset
