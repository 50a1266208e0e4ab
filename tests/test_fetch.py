"""fetch.Fetcher against a real HTTP server on 127.0.0.1: redirects, retries, limits, SSRF refusals.

Every test connects to 127.0.0.1 only (the autouse ``connect_log`` guard refuses anything else);
other host names go through a stub resolver, so no DNS query leaves the machine either.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpcore
import pytest
from _local_http import ConnectLog, LocalHTTP, StubResolver, redirect, respond
from _local_http import connect_log as connect_log  # noqa: F401 (autouse fixture)

from casualty_etl.fetch import (
    USER_AGENT,
    Fetcher,
    FetchPolicy,
    FetchReason,
    FetchResult,
    _HostGate,
    address_refusal,
)
from casualty_etl.model import Reject, RejectStage

PAGE = (
    "<html><head><title>River crossing closed</title></head><body>"
    "<p>The ferry at Lower Vantor stopped running after the flood.</p></body></html>"
)
LOCAL = frozenset({"127.0.0.1"})


def policy(**overrides: object) -> FetchPolicy:
    """A fast policy for tests: tiny timeouts and backoff, 127.0.0.1 allowed."""
    settings: dict[str, object] = {
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "total_timeout": 2.0,
        "retries": 2,
        "backoff_base": 0.01,
        "backoff_max": 0.02,
        "retry_after_max": 0.05,
        "min_host_interval": 0.0,
        "allowed_hosts": LOCAL,
    }
    settings.update(overrides)
    return FetchPolicy(**settings)  # type: ignore[arg-type]


class SpyBackend(httpcore.NetworkBackend):
    """Records every connection the fetcher opens; connects to 127.0.0.1 only."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.calls.append(host)
        if host != "127.0.0.1":
            raise httpcore.ConnectError(f"spy: not connecting to {host}")
        return self.inner.connect_tcp(host, port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise AssertionError("no unix sockets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@pytest.fixture
def server() -> Iterator[LocalHTTP]:
    with LocalHTTP() as srv:
        srv.add("/page", PAGE)
        yield srv


def failed(item: FetchResult | Reject, reason: FetchReason) -> Reject:
    assert isinstance(item, Reject), item
    assert item.reason == reason.value, item
    assert item.stage is RejectStage.READ
    return item


def ok(item: FetchResult | Reject) -> FetchResult:
    assert isinstance(item, FetchResult), item
    return item


# --------------------------------------------------------------------------- plain fetching


def test_fetches_a_page_with_its_metadata(server: LocalHTTP) -> None:
    url = server.url("/page")
    before = datetime.now(UTC)
    with Fetcher(policy()) as fetcher:
        result = ok(fetcher.fetch(url))
    assert result.url == result.final_url == url
    assert (result.status, result.content_type, result.charset) == (200, "text/html", "utf-8")
    assert result.body == PAGE.encode()
    assert result.fetched_at.tzinfo is UTC and before <= result.fetched_at <= datetime.now(UTC)
    (hit,) = server.hits
    assert hit.user_agent == USER_AGENT
    assert USER_AGENT.startswith("casualty-etl/") and "(+https://" in USER_AGENT


def test_http_errors_are_final_without_retries(server: LocalHTTP) -> None:
    sleeps: list[float] = []
    with Fetcher(policy(), sleep=sleeps.append) as fetcher:
        reject = failed(fetcher.fetch(server.url("/nowhere")), FetchReason.HTTP_ERROR)
    assert "404" in reject.detail
    assert server.count("/nowhere") == 1 and sleeps == []


def test_connection_refused_is_fetch_failed_after_retries() -> None:
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    with Fetcher(policy(retries=1), sleep=sleeps.append) as fetcher:
        reject = failed(fetcher.fetch(f"http://127.0.0.1:{port}/"), FetchReason.FETCH_FAILED)
    assert "after 2 attempts" in reject.detail and len(sleeps) == 1


# --------------------------------------------------------------------------- redirects


def test_follows_redirects_and_reports_the_final_url(server: LocalHTTP) -> None:
    server.routes["/old"] = redirect("/moved")
    server.routes["/moved"] = redirect(server.url("/page"), status=301)
    with Fetcher(policy()) as fetcher:
        result = ok(fetcher.fetch(server.url("/old")))
    assert result.url == server.url("/old") and result.final_url == server.url("/page")
    assert [hit.path for hit in server.hits] == ["/old", "/moved", "/page"]


def test_redirect_loops_stop_at_the_first_repeat(server: LocalHTTP) -> None:
    server.routes["/ping"] = redirect("/pong")
    server.routes["/pong"] = redirect("/ping")
    with Fetcher(policy()) as fetcher:
        reject = failed(fetcher.fetch(server.url("/ping")), FetchReason.TOO_MANY_REDIRECTS)
    assert "loop" in reject.detail
    assert [hit.path for hit in server.hits] == ["/ping", "/pong"]


def test_redirect_chains_longer_than_the_cap_are_refused(server: LocalHTTP) -> None:
    for n in range(5):
        server.routes[f"/hop{n}"] = redirect(f"/hop{n + 1}")
    server.add("/hop5", PAGE)
    with Fetcher(policy(max_redirects=2)) as fetcher:
        failed(fetcher.fetch(server.url("/hop0")), FetchReason.TOO_MANY_REDIRECTS)
        assert [hit.path for hit in server.hits] == ["/hop0", "/hop1", "/hop2"]
        assert ok(fetcher.fetch(server.url("/hop3"))).final_url == server.url("/hop5")  # 2 hops: fine


@pytest.mark.parametrize(
    "location", ["file:///etc/hostname", "ftp://127.0.0.1/x", "http://intranet.example/admin"]
)
def test_every_redirect_hop_is_checked(server: LocalHTTP, connect_log: ConnectLog, location: str) -> None:
    server.routes["/jump"] = redirect(location)
    resolver = StubResolver({"intranet.example": ["10.0.0.5"]})
    with Fetcher(policy(), resolver=resolver) as fetcher:
        reject = failed(fetcher.fetch(server.url("/jump")), FetchReason.FETCH_REFUSED)
    assert reject.source == server.url("/jump")
    assert connect_log.others() == []


# --------------------------------------------------------------------------- timeouts and size


def test_slow_response_times_out(server: LocalHTTP) -> None:
    def slow(h: BaseHTTPRequestHandler) -> None:
        if not server.stop.wait(1.0):
            respond(h, 200, b"too late")

    server.routes["/slow"] = slow
    start = time.monotonic()
    with Fetcher(policy(read_timeout=0.2, retries=1)) as fetcher:
        reject = failed(fetcher.fetch(server.url("/slow")), FetchReason.TIMEOUT)
    assert time.monotonic() - start < 0.9
    assert server.count("/slow") == 2 and "after 2 attempts" in reject.detail


def test_trickling_body_hits_the_total_timeout(server: LocalHTTP) -> None:
    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.end_headers()
        for _ in range(100):
            if server.stop.wait(0.03):
                return
            h.wfile.write(b"x")

    server.routes["/trickle"] = trickle
    start = time.monotonic()
    with Fetcher(policy(read_timeout=1.0, total_timeout=0.25, retries=0)) as fetcher:
        reject = failed(fetcher.fetch(server.url("/trickle")), FetchReason.TIMEOUT)
    assert time.monotonic() - start < 0.8
    assert "not complete" in reject.detail


def test_huge_body_stops_after_the_cap(server: LocalHTTP) -> None:
    cap = 256 * 1024
    total = 64 * 1024 * 1024

    def huge(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)  # no Content-Length: the body runs until the connection closes
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        chunk = b"a" * 65536
        for _ in range(total // len(chunk)):
            h.wfile.write(chunk)
            server.bytes_sent["/huge"] += len(chunk)

    server.routes["/huge"] = huge
    with Fetcher(policy(max_bytes=cap)) as fetcher:
        reject = failed(fetcher.fetch(server.url("/huge")), FetchReason.TOO_LARGE)
    read = int(reject.detail.split("stopped after reading ")[1].split(")")[0])
    assert cap < read <= cap + 65536  # at most one network read past the cap
    deadline = time.monotonic() + 5
    while server.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.in_flight == 0 and server.bytes_sent["/huge"] < total // 4  # the server was cut off
    assert server.count("/huge") == 1  # too_large is not retried


def test_declared_length_over_the_cap_is_refused_unread(server: LocalHTTP) -> None:
    def liar(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "999999999")
        h.end_headers()
        h.wfile.write(b"<p>short</p>")

    server.routes["/declared"] = liar
    with Fetcher(policy(max_bytes=1000)) as fetcher:
        reject = failed(fetcher.fetch(server.url("/declared")), FetchReason.TOO_LARGE)
    assert "Content-Length 999999999" in reject.detail


def test_gzip_bodies_are_decoded_and_bombs_stopped(server: LocalHTTP) -> None:
    server.add("/zipped", gzip.compress(PAGE.encode()), headers=[("Content-Encoding", "gzip")])
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    server.add("/bomb", bomb, headers=[("Content-Encoding", "gzip")])
    server.add("/brotli", b"xx", headers=[("Content-Encoding", "br")])
    with Fetcher(policy(max_bytes=256 * 1024)) as fetcher:
        assert ok(fetcher.fetch(server.url("/zipped"))).body == PAGE.encode()
        reject = failed(fetcher.fetch(server.url("/bomb")), FetchReason.TOO_LARGE)
        assert f"stopped after reading {len(bomb)})" in reject.detail  # ~20 KB read, 256 KB inflated
        failed(fetcher.fetch(server.url("/brotli")), FetchReason.FETCH_FAILED)


# --------------------------------------------------------------------------- retries


def test_server_errors_recover_after_retries(server: LocalHTTP) -> None:
    def flaky(h: BaseHTTPRequestHandler) -> None:
        if server.count("/flaky") <= 2:
            respond(h, 500 if server.count("/flaky") == 1 else 503, b"busy")
        else:
            respond(h, 200, PAGE.encode())

    server.routes["/flaky"] = flaky
    sleeps: list[float] = []
    with Fetcher(policy(retries=3, backoff_base=0.01, backoff_max=1.0), sleep=sleeps.append) as fetcher:
        assert ok(fetcher.fetch(server.url("/flaky"))).body == PAGE.encode()
    assert server.count("/flaky") == 3
    # exponential backoff with jitter: retry n waits within [base*2**n / 2, base*2**n]
    assert len(sleeps) == 2
    assert 0.005 <= sleeps[0] <= 0.01 and 0.01 <= sleeps[1] <= 0.02


def test_persistent_server_errors_end_as_http_error(server: LocalHTTP) -> None:
    server.add("/down", b"down", status=502)
    sleeps: list[float] = []
    with Fetcher(policy(retries=2), sleep=sleeps.append) as fetcher:
        reject = failed(fetcher.fetch(server.url("/down")), FetchReason.HTTP_ERROR)
    assert "HTTP 502" in reject.detail and "after 3 attempts" in reject.detail
    assert server.count("/down") == 3 and len(sleeps) == 2


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("2", 2.0), ("3600", 5.0), ("soon", None)],
)
def test_429_honours_retry_after_up_to_the_cap(
    server: LocalHTTP, retry_after: str, expected: float | None
) -> None:
    def busy(h: BaseHTTPRequestHandler) -> None:
        if server.count("/busy") == 1:
            respond(h, 429, b"slow down", headers=[("Retry-After", retry_after)])
        else:
            respond(h, 200, PAGE.encode())

    server.routes["/busy"] = busy
    sleeps: list[float] = []
    with Fetcher(policy(retry_after_max=5.0, backoff_base=0.01), sleep=sleeps.append) as fetcher:
        ok(fetcher.fetch(server.url("/busy")))
    (slept,) = sleeps
    if expected is None:  # unparseable: ordinary backoff
        assert 0.005 <= slept <= 0.01
    else:
        assert slept == expected


def test_retry_after_as_an_http_date(server: LocalHTTP) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)

    def busy(h: BaseHTTPRequestHandler) -> None:
        status = 503 if server.count("/later") == 1 else 200
        respond(h, status, PAGE.encode(), headers=[("Retry-After", when)])

    server.routes["/later"] = busy
    sleeps: list[float] = []
    with Fetcher(policy(retry_after_max=10.0), sleep=sleeps.append) as fetcher:
        ok(fetcher.fetch(server.url("/later")))
    (slept,) = sleeps
    assert 1.0 < slept <= 3.0


# --------------------------------------------------------------------------- refusals (SSRF)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "ftp://127.0.0.1/feed.xml",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "data:text/html,<p>hi</p>",
        "127.0.0.1/page",
        "",
        "http://",
        "http://[not-an-ip]/",
    ],
)
def test_non_http_urls_are_refused_without_any_lookup(url: str, connect_log: ConnectLog) -> None:
    resolver = StubResolver({})
    spy = SpyBackend()
    with Fetcher(policy(), resolver=resolver, network_backend=spy) as fetcher:
        reject = failed(fetcher.fetch(url), FetchReason.FETCH_REFUSED)
    assert reject.source == url
    assert resolver.calls == [] and spy.calls == [] and connect_log.addresses == []


@pytest.mark.parametrize(
    ("host", "addresses"),
    [
        ("intranet.example", ["10.0.0.5"]),
        ("metadata.example", ["169.254.169.254"]),
        ("six.example", ["::1"]),
        ("mapped.example", ["::ffff:10.0.0.5"]),
        ("carrier.example", ["100.64.0.7"]),
        ("mixed.example", ["93.184.215.14", "192.168.1.20"]),  # one bad address refuses the host
        ("127.0.0.1", []),
        ("[::1]", []),
        ("0.0.0.0", []),
        ("localhost.example", ["127.0.0.1"]),
    ],
)
def test_private_addresses_are_refused_before_any_connection(
    host: str, addresses: list[str], connect_log: ConnectLog, server: LocalHTTP
) -> None:
    resolver = StubResolver({host: addresses})
    spy = SpyBackend()
    with Fetcher(policy(allowed_hosts=frozenset()), resolver=resolver, network_backend=spy) as fetcher:
        reject = failed(fetcher.fetch(f"http://{host}:{server.port}/page"), FetchReason.FETCH_REFUSED)
    assert "allowed_hosts" in reject.detail
    assert spy.calls == [] and connect_log.addresses == []  # nothing was even attempted
    assert server.hits == []
    assert resolver.calls == ([] if not addresses else [host])  # literals are never resolved


def test_loopback_is_allowed_only_through_allowed_hosts(server: LocalHTTP, connect_log: ConnectLog) -> None:
    url = server.url("/page")
    with Fetcher(policy(allowed_hosts=frozenset())) as fetcher:
        failed(fetcher.fetch(url), FetchReason.FETCH_REFUSED)
    assert connect_log.addresses == [] and server.hits == []
    with Fetcher(policy(allowed_hosts=frozenset({"127.0.0.1"}))) as fetcher:
        ok(fetcher.fetch(url))
    assert connect_log.addresses == ["127.0.0.1"]
    # exactly the host as written: a name resolving to an allowed IP is still refused
    resolver = StubResolver({"loop.example": ["127.0.0.1"]})
    with Fetcher(policy(allowed_hosts=frozenset({"127.0.0.1"})), resolver=resolver) as fetcher:
        failed(fetcher.fetch(server.url("/page", host="loop.example")), FetchReason.FETCH_REFUSED)
    assert len(server.hits) == 1


def test_allowed_host_name_connects_to_the_resolved_ip(server: LocalHTTP) -> None:
    resolver = StubResolver({"feeds.example": ["127.0.0.1"]})
    spy = SpyBackend()
    allowed = frozenset({"FEEDS.example"})  # matching ignores case
    with Fetcher(policy(allowed_hosts=allowed), resolver=resolver, network_backend=spy) as fetcher:
        result = ok(fetcher.fetch(server.url("/page", host="feeds.example")))
    assert result.final_url == server.url("/page", host="feeds.example")
    assert spy.calls == ["127.0.0.1"] and resolver.calls == ["feeds.example"]
    assert server.hits[0].host == f"feeds.example:{server.port}"


def test_connects_to_the_checked_address_not_the_name(connect_log: ConnectLog) -> None:
    """One resolution per connection, and the socket goes to that checked IP: no second lookup
    that a rebinding DNS server could answer differently."""
    resolver = StubResolver({"news.example": ["93.184.215.14"]})
    spy = SpyBackend()  # refuses to really connect anywhere but 127.0.0.1
    with Fetcher(policy(retries=0), resolver=resolver, network_backend=spy) as fetcher:
        failed(fetcher.fetch("http://news.example/story"), FetchReason.FETCH_FAILED)
    assert resolver.calls == ["news.example"] and spy.calls == ["93.184.215.14"]
    assert connect_log.addresses == []


def test_unresolvable_names_fail_without_retries() -> None:
    resolver = StubResolver({})
    sleeps: list[float] = []
    with Fetcher(policy(), resolver=resolver, sleep=sleeps.append) as fetcher:
        reject = failed(fetcher.fetch("http://no-such-host.example/"), FetchReason.FETCH_FAILED)
    assert "cannot resolve" in reject.detail
    assert resolver.calls == ["no-such-host.example"] and sleeps == []


def test_allow_private_turns_the_address_check_off(server: LocalHTTP) -> None:
    with Fetcher(policy(allowed_hosts=frozenset(), allow_private=True)) as fetcher:
        ok(fetcher.fetch(server.url("/page")))


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3", "172.16.0.1", "192.168.0.1", "127.0.0.1", "127.8.8.8", "169.254.169.254",
        "0.0.0.0", "100.64.0.1", "224.0.0.1", "239.1.1.1", "240.0.0.1", "255.255.255.255",
        "192.0.2.1", "198.18.0.1", "::", "::1", "fe80::1", "fc00::1", "fd12::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.5", "64:ff9b::a00:5", "2002:a00:5::1", "2001:db8::1",
    ],
)  # fmt: skip
def test_address_refusal_refuses_non_global_addresses(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_address_refusal_accepts_global_unicast(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


# --------------------------------------------------------------------------- politeness


def test_per_host_concurrency_is_capped(server: LocalHTTP) -> None:
    def held(h: BaseHTTPRequestHandler) -> None:
        server.stop.wait(0.15)
        respond(h, 200, PAGE.encode())

    server.routes["/held"] = held
    urls = [server.url(f"/held?n={n}") for n in range(6)]
    with Fetcher(policy(max_workers=4, per_host_concurrency=2)) as fetcher:
        results = list(fetcher.map(fetcher.fetch, urls))
    assert [ok(r).url for r in results] == urls  # input order
    assert server.max_in_flight == 2


class _VirtualClock:
    """A clock that only moves when slept on: spacing is checked without wall-clock timing."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_to_one_host_are_spaced() -> None:
    clock = _VirtualClock()
    gate = _HostGate(2, 0.5, clock=clock.monotonic, sleep=clock.sleep)
    starts = []
    for _ in range(4):
        with gate.slot():
            starts.append(clock.now)
    assert starts == [100.0, 100.5, 101.0, 101.5]


def test_a_spaced_host_still_answers_every_request(server: LocalHTTP) -> None:
    urls = [server.url(f"/page?n={n}") for n in range(4)]
    with Fetcher(policy(max_workers=4, per_host_concurrency=2, min_host_interval=0.05)) as fetcher:
        results = list(fetcher.map(fetcher.fetch, urls))
    assert [ok(r).url for r in results] == urls


def test_map_can_be_closed_early(server: LocalHTTP) -> None:
    urls = [server.url(f"/page?n={n}") for n in range(40)]
    with Fetcher(policy(max_workers=2)) as fetcher:
        results = fetcher.map(fetcher.fetch, urls)
        ok(next(results))
        results.close()
    assert len(server.hits) <= 5  # at most the bounded window was submitted


def test_policy_is_validated() -> None:
    with pytest.raises(ValueError):
        FetchPolicy(allowed_schemes=frozenset({"http", "ftp"}))
    with pytest.raises(ValueError):
        FetchPolicy(max_bytes=0)
    with pytest.raises(ValueError):
        FetchPolicy(read_timeout=0)
    with pytest.raises(ValueError):
        FetchPolicy(retries=-1)
    assert FetchPolicy(allowed_hosts=frozenset({"[::1]", "Feeds.Example"})).allowed_hosts == {
        "::1",
        "feeds.example",
    }
    default = FetchPolicy()
    assert (default.max_bytes, default.max_redirects, default.retries) == (5 * 1024 * 1024, 5, 3)
    assert (default.per_host_concurrency, default.allow_private, default.allowed_hosts) == (2, False, set())
