"""feeds: RSS/Atom and URL-list sources against a real HTTP server on 127.0.0.1.

All feed and page text below is invented for these tests. Every connection goes to 127.0.0.1
(the autouse ``connect_log`` guard refuses anything else); other names use a stub resolver.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _local_http import ConnectLog, LocalHTTP, StubResolver, redirect
from _local_http import connect_log as connect_log  # noqa: F401 (autouse fixture)

from casualty_etl import sources
from casualty_etl.feeds import (
    FEED_SUFFIXES,
    URL_LIST_SUFFIXES,
    FeedReason,
    FeedSource,
    UrlListSource,
    check_xml_safety,
    looks_like_feed_url,
    parse_feed,
)
from casualty_etl.fetch import Fetcher, FetchPolicy
from casualty_etl.model import MediaType, RawDocument, Reject, RejectStage
from casualty_etl.normalise import normalise
from casualty_etl.sources import FolderSource, SourceItem, UnsupportedSource, open_source

BRIDGE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Footbridge gives way in Orsk Valley | Valdera Desk</title>
<meta property="article:published_time" content="2024-04-11T07:40:00+00:00"></head>
<body>
<nav><ul><li><a href="/">Front page</a></li><li><a href="/subscribe">Subscribe today</a></li></ul></nav>
<article>
<h1>Footbridge gives way in Orsk Valley</h1>
<p>Twenty-three people were injured on Thursday when a wooden footbridge over the Orsk river gave
way during the morning market, the valley's civil protection office said in a statement.</p>
<p>Eleven of the injured were taken to the district hospital in Perrin, where two remained in a
serious condition in the evening. Engineers had inspected the bridge in the spring, officials said.</p>
<p>Market traders said the crossing had been unusually crowded because the road bridge downstream
was closed for repairs, and volunteers helped carry people up the muddy bank.</p>
</article>
<section class="comments"><h3>Comments</h3>
<p>Reader Tomas wrote: what a scandal, fix the roads first.</p></section>
<footer><p>Valdera Desk, all rights reserved.</p></footer>
</body></html>"""

CONVOY_PAGE = """<html><head><title>Aid convoy reaches Tessary</title>
<meta property="article:published_time" content="2024-04-14T16:05:00+02:00"></head>
<body><article><h1>Aid convoy reaches Tessary</h1>
<p>A convoy of fourteen lorries carrying food and medicine reached the hill town of Tessary on
Sunday, nine days after the landslide cut its only road, the regional relief agency said.</p>
<p>Agency staff said about 1,200 displaced residents were sheltering in the town's two schools and
that a second convoy was being loaded at the depot in Marrowgate for the following week.</p>
</article></body></html>"""

LANDSLIDE_PAGE = """<html><head><title>Marrow Hill landslide</title></head>
<body><article><h1>Marrow Hill landslide</h1>
<p>Rescue teams reached the hamlets below Marrow Hill on Sunday morning after a night of heavy rain
loosened the slope above them, and said four residents were still unaccounted for.</p>
<p>Volunteers from neighbouring valleys worked through the afternoon clearing the track so that
excavators could be brought up from the quarry road before more rain arrived.</p>
</article></body></html>"""


def rss(base: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>Valdera Regional Desk</title>
<link>{base}/</link>
<description>Invented regional news for tests</description>
<item>
  <title>Footbridge gives way in Orsk Valley</title>
  <link>{base}/articles/bridge</link>
  <guid isPermaLink="false">valdera-2024-0411</guid>
  <pubDate>Thu, 11 Apr 2024 09:15:00 +0200</pubDate>
  <description>&lt;p&gt;Twenty-three people hurt as a footbridge collapses.&lt;/p&gt;</description>
</item>
<item>
  <title>Storm drives 300 families from the coast</title>
  <link>/articles/storm</link>
  <description>&lt;p&gt;About 300 families left the coastal villages of Brin and Osca as the storm
  approached, the harbour master said.&lt;/p&gt;</description>
</item>
<item>
  <title>Clinic reopens after repairs</title>
  <link>{base}/articles/gone</link>
  <guid>valdera-2024-0413</guid>
</item>
<item>
  <title>Aid convoy reaches Tessary</title>
  <link>{base}/articles/convoy</link>
  <guid>valdera-2024-0414</guid>
</item>
</channel>
</rss>"""


def atom(base: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Kestrel Coast Bulletin</title>
  <id>urn:uuid:5f0c7a52-2b7e-4d19-9a55-1d1c6a0b7e01</id>
  <updated>2024-06-03T08:00:00Z</updated>
  <entry>
    <title type="html">Landslide buries &lt;em&gt;two&lt;/em&gt; hamlets</title>
    <id>tag:kestrel.example,2024:landslide</id>
    <link href="{base}/articles/landslide"/>
    <updated>2024-06-01T22:30:00-04:00</updated>
    <content type="text">Rescue teams reached Marrow Hill; four residents unaccounted for.</content>
  </entry>
  <entry>
    <title>Dam inspection finished</title>
    <id>tag:kestrel.example,2024:dam</id>
    <published>2024-06-01T08:00:00+00:00</published>
    <updated>2024-06-03T08:00:00+00:00</updated>
    <summary type="html">&lt;p&gt;Engineers found no cracks in the Kestrel dam wall.&lt;/p&gt;</summary>
  </entry>
</feed>"""


LATIN_PAGE = (
    "<html><body><article><p>"
    + "Le maire de Montréal a parlé aux habitants du quartier inondé. " * 6
    + "</p></article></body></html>"
)

SECRET = "MARKER-7c1f-not-for-feeds"


def xxe_feed(target: str) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY leak SYSTEM "{target}">]>
<rss version="2.0"><channel><title>Leaky</title>
<item><title>&leak;</title><description>&leak;</description><link>http://127.0.0.1/x</link></item>
</channel></rss>"""


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "ha">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
 <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<rss version="2.0"><channel><title>Laughs</title><item><title>&i;</title></item></channel></rss>"""


def policy(**overrides: object) -> FetchPolicy:
    settings: dict[str, object] = {
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "total_timeout": 2.0,
        "retries": 1,
        "backoff_base": 0.01,
        "backoff_max": 0.02,
        "min_host_interval": 0.0,
        "allowed_hosts": frozenset({"127.0.0.1"}),
    }
    settings.update(overrides)
    return FetchPolicy(**settings)  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[LocalHTTP]:
    with LocalHTTP() as srv:
        base = srv.url("")
        srv.add("/desk.rss", rss(base), content_type="application/rss+xml; charset=utf-8")
        srv.add("/kestrel.atom", atom(base), content_type="application/atom+xml")
        srv.add("/articles/bridge", BRIDGE_PAGE)
        srv.add("/articles/convoy", CONVOY_PAGE)
        srv.add("/articles/landslide", LANDSLIDE_PAGE)
        yield srv


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(policy(), resolver=StubResolver({"intranet.example": ["10.0.0.5"]})) as f:
        yield f


def doc(item: SourceItem) -> RawDocument:
    assert isinstance(item, RawDocument), item
    return item


def rejected(item: SourceItem, reason: str) -> Reject:
    assert isinstance(item, Reject), item
    assert item.reason == reason and item.stage is RejectStage.READ, item
    return item


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- RSS and Atom over HTTP


def test_rss_feed_with_article_fetching(server: LocalHTTP, fetcher: Fetcher) -> None:
    feed = server.url("/desk.rss")
    bridge, storm, gone, convoy = list(FeedSource(feed, fetcher))

    bridge = doc(bridge)
    assert bridge.source == f"{feed}#entry=1" and bridge.entry_id == "valdera-2024-0411"
    assert bridge.title == "Footbridge gives way in Orsk Valley"
    assert bridge.url == server.url("/articles/bridge")
    assert bridge.published_at == utc(2024, 4, 11, 7, 15)  # the entry's date, in UTC
    assert bridge.media_type is MediaType.TEXT and isinstance(bridge.body, str)
    assert "Twenty-three people were injured on Thursday" in bridge.body
    assert "two remained in a\nserious" not in bridge.body  # paragraphs, not source lines
    assert "\n\n" in bridge.body
    for boilerplate in ("Subscribe today", "what a scandal", "all rights reserved"):
        assert boilerplate not in bridge.body

    storm = doc(storm)  # 404: the summary stands in, as HTML
    assert storm.source == f"{feed}#entry=2" and storm.media_type is MediaType.HTML
    assert storm.url == storm.entry_id == server.url("/articles/storm")  # relative link resolved
    assert "About 300 families" in str(storm.body) and storm.published_at is None

    gone = rejected(gone, "http_error")  # 404 and nothing to fall back on
    assert gone.source == f"{feed}#entry=3" and server.url("/articles/gone") in gone.detail

    convoy = doc(convoy)  # no date in the entry: the page's own date
    assert convoy.published_at == utc(2024, 4, 14, 14, 5)
    assert "fourteen lorries" in str(convoy.body)


def test_atom_feed_with_article_fetching(server: LocalHTTP, fetcher: Fetcher) -> None:
    feed = server.url("/kestrel.atom")
    landslide, dam = list(FeedSource(feed, fetcher))
    landslide = doc(landslide)
    assert landslide.entry_id == "tag:kestrel.example,2024:landslide"
    assert landslide.title == "Landslide buries two hamlets"  # HTML title as text
    assert landslide.published_at == utc(2024, 6, 2, 2, 30)  # updated, as there is no published
    assert "four residents were still unaccounted for" in str(landslide.body)
    dam = doc(dam)  # no link: the summary, and published wins over updated
    assert dam.url is None and dam.published_at == utc(2024, 6, 1, 8)
    assert dam.media_type is MediaType.HTML and "no cracks" in str(dam.body)


def test_feed_documents_normalise_into_articles(server: LocalHTTP, fetcher: Fetcher) -> None:
    articles = [
        normalise(item)
        for item in FeedSource(server.url("/desk.rss"), fetcher)
        if isinstance(item, RawDocument)
    ]
    assert len(articles) == 3
    assert all(not isinstance(a, Reject) for a in articles)


def test_entries_without_fetching_use_summaries(server: LocalHTTP, fetcher: Fetcher) -> None:
    items = list(FeedSource(server.url("/kestrel.atom"), fetcher, fetch_articles=False))
    landslide, dam = (doc(item) for item in items)
    assert landslide.media_type is MediaType.TEXT  # Atom type="text"
    assert landslide.body == "Rescue teams reached Marrow Hill; four residents unaccounted for."
    assert dam.media_type is MediaType.HTML
    assert [hit.path for hit in server.hits] == ["/kestrel.atom"]  # no article was fetched


def test_links_to_private_hosts_are_not_fetched(server: LocalHTTP, connect_log: ConnectLog) -> None:
    server.add(
        "/inside.rss",
        """<rss version="2.0"><channel><title>Inside</title>
        <item><title>A</title><link>http://intranet.example/admin</link>
        <description>Summary A</description></item>
        <item><title>B</title><link>http://169.254.169.254/latest/meta-data/</link></item>
        </channel></rss>""",
        content_type="application/rss+xml",
    )
    with Fetcher(policy(), resolver=StubResolver({"intranet.example": ["10.0.0.5"]})) as fetcher:
        first, second = list(FeedSource(server.url("/inside.rss"), fetcher))
    assert doc(first).body == "Summary A"
    assert "169.254.169.254" in rejected(second, "fetch_refused").detail
    assert connect_log.others() == []


def test_feed_fetch_failures_are_rejects(server: LocalHTTP, fetcher: Fetcher) -> None:
    server.routes["/moved.rss"] = redirect("/desk.rss")
    server.add("/broken.rss", b"", status=500)
    (item,) = list(FeedSource(server.url("/broken.rss"), fetcher))
    rejected(item, "http_error")
    assert len(list(FeedSource(server.url("/moved.rss"), fetcher, fetch_articles=False))) == 4


# --------------------------------------------------------------------------- unsafe and malformed XML


def test_xxe_feed_is_refused(server: LocalHTTP, fetcher: Fetcher, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    server.add("/leak.rss", xxe_feed(secret.as_uri()), content_type="application/rss+xml")
    items = list(FeedSource(server.url("/leak.rss"), fetcher))
    (item,) = items
    assert rejected(item, FeedReason.UNSAFE_XML).source == server.url("/leak.rss")
    assert SECRET not in repr(items)
    assert [hit.path for hit in server.hits] == ["/leak.rss"]  # no entry link was followed


def test_external_dtd_is_refused_without_loading_it(server: LocalHTTP, fetcher: Fetcher) -> None:
    dtd_url = server.url("/evil.dtd")
    server.add("/evil.dtd", '<!ENTITY x "boom">', content_type="application/xml-dtd")
    server.add(
        "/dtd.rss",
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{dtd_url}"><rss version="2.0"><channel>'
        "<title>t</title><item><title>&x;</title></item></channel></rss>",
        content_type="application/rss+xml",
    )
    (item,) = list(FeedSource(server.url("/dtd.rss"), fetcher))
    rejected(item, FeedReason.UNSAFE_XML)
    assert server.count("/evil.dtd") == 0


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "laughs.rss"
    path.write_text(LAUGHS)
    (item,) = list(FeedSource(str(path), fetch_articles=False))
    rejected(item, FeedReason.UNSAFE_XML)


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "b">]><rss><channel><item><title>&a;',  # not closed
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY a "b">]><rss>'.encode("utf-16"),
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd"><rss/>',
    ],
)
def test_any_dtd_is_unsafe(data: bytes) -> None:
    assert check_xml_safety(data) is not None
    rejected(parse_feed(data, source="f.rss"), FeedReason.UNSAFE_XML)  # type: ignore[arg-type]


def test_malformed_and_empty_feeds(tmp_path: Path) -> None:
    page = tmp_path / "page.xml"
    page.write_text("<html><body><p>Not a feed at all.</p></body></html>")
    garbage = tmp_path / "garbage.rss"
    garbage.write_bytes(b"\x00\x01 this is not xml")
    empty = tmp_path / "empty.atom"
    empty.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><title>Nothing yet</title></feed>')
    (item,) = list(FeedSource(str(page), fetch_articles=False))
    rejected(item, FeedReason.MALFORMED_FEED)
    (item,) = list(FeedSource(str(garbage), fetch_articles=False))
    rejected(item, FeedReason.MALFORMED_FEED)
    (item,) = list(FeedSource(str(empty), fetch_articles=False))
    rejected(item, "empty")


def test_local_feed_files(tmp_path: Path, connect_log: ConnectLog) -> None:
    path = tmp_path / "desk.rss"
    path.write_text(rss("http://127.0.0.1:9"))
    items = list(FeedSource(str(path), fetch_articles=False))
    assert [item.source for item in items] == [f"{path}#entry={n}" for n in range(1, 5)]
    assert doc(items[0]).body == "<p>Twenty-three people hurt as a footbridge collapses.</p>"
    assert doc(items[1]).url is None  # relative, and no base to resolve it against
    assert doc(items[1]).entry_id == "/articles/storm"
    rejected(items[2], "empty")
    # fetching with the default policy: 127.0.0.1 is refused, summaries stand in
    fetched = list(FeedSource(str(path)))
    assert isinstance(fetched[0], RawDocument) and fetched[0].media_type is MediaType.HTML
    rejected(fetched[2], "fetch_refused")
    assert connect_log.addresses == []
    (missing,) = list(FeedSource(str(tmp_path / "none.rss")))
    rejected(missing, "unreadable")
    (big,) = list(FeedSource(str(path), fetch_articles=False, max_bytes=100))
    rejected(big, "too_large")


def test_missing_dates_are_none_never_now(tmp_path: Path) -> None:
    path = tmp_path / "undated.rss"
    path.write_text(
        '<rss version="2.0"><channel><title>t</title><item><title>Undated</title>'
        "<pubDate>sometime last week</pubDate><description>Body text</description></item>"
        "</channel></rss>"
    )
    (item,) = list(FeedSource(str(path), fetch_articles=False))
    assert doc(item).published_at is None and doc(item).entry_id is None


# --------------------------------------------------------------------------- URL lists


def test_url_list_file(server: LocalHTTP, fetcher: Fetcher, tmp_path: Path, connect_log: ConnectLog) -> None:
    server.add("/notes.txt", "Field note: the ford at Kell is passable again.\n", content_type="text/plain")
    server.add("/report.pdf", b"%PDF-1.4 fake", content_type="application/pdf")
    server.add("/blank", "<html><body></body></html>")
    server.add("/latin", LATIN_PAGE.encode("cp1252"), content_type="text/html; charset=windows-1252")
    urls = tmp_path / "reading.urls"
    lines = [
        "# invented reading list",
        "",
        server.url("/articles/bridge"),
        server.url("/articles/bridge"),  # duplicates are fetched once
        f"  {server.url('/notes.txt')}  # trailing comment",
        server.url("/report.pdf"),
        server.url("/blank"),
        "not a url",
        "http://intranet.example/wiki",
        server.url("/latin"),
    ]
    urls.write_text("\n".join(lines) + "\n")
    items = list(UrlListSource(str(urls), fetcher))
    bridge, notes, pdf, blank, bad, intranet, latin = items
    bridge = doc(bridge)
    assert bridge.source == server.url("/articles/bridge") == bridge.url
    assert bridge.title == "Footbridge gives way in Orsk Valley"  # trafilatura drops the site name
    assert bridge.published_at == utc(2024, 4, 11, 7, 40)
    assert doc(notes).body == "Field note: the ford at Kell is passable again.\n"
    assert rejected(pdf, "unsupported_type").source == server.url("/report.pdf")
    rejected(blank, "empty")
    assert rejected(bad, "fetch_refused").source == f"{urls}#L8"
    rejected(intranet, "fetch_refused")
    assert "Montréal" in str(doc(latin).body)
    assert connect_log.others() == []
    assert server.count("/articles/bridge") == 1


def test_single_url_follows_redirects(server: LocalHTTP, fetcher: Fetcher) -> None:
    server.routes["/go/bridge"] = redirect("/articles/bridge")
    (item,) = list(UrlListSource(server.url("/go/bridge"), fetcher))
    item = doc(item)
    assert item.source == server.url("/go/bridge") and item.url == server.url("/articles/bridge")
    assert item.entry_id is None and item.media_type is MediaType.TEXT


def test_bad_url_lists(tmp_path: Path) -> None:
    empty = tmp_path / "empty.urls"
    empty.write_text("# nothing yet\n\n")
    latin = tmp_path / "latin.urls"
    latin.write_bytes(b"http://caf\xe9.example/\n")
    for path, reason in ((empty, "empty"), (latin, "undecodable"), (tmp_path / "none.urls", "unreadable")):
        (item,) = list(UrlListSource(str(path)))
        rejected(item, reason)


# --------------------------------------------------------------------------- dispatch in open_source


@pytest.mark.parametrize(
    ("path", "kind", "expected"),
    [
        ("https://news.example/world/feed.xml", None, FeedSource),
        ("https://news.example/world/rss/", None, FeedSource),
        ("https://news.example/index.atom", None, FeedSource),
        ("https://news.example/?feed=rss2", None, FeedSource),
        ("https://news.example/stories?format=atom", None, FeedSource),
        ("https://news.example/story/bridge-collapse", None, UrlListSource),
        ("HTTP://news.example/story", None, UrlListSource),
        ("https://news.example/latest", "feed", FeedSource),
        ("https://news.example/feed.xml", "url", UrlListSource),
        ("ftp://news.example/feed.xml", None, UnsupportedSource),
        ("desk.rss", None, FeedSource),
        ("desk.ATOM", None, FeedSource),
        ("export.xml", None, FeedSource),
        ("reading.urls", None, UrlListSource),
        ("notes.txt", "feed", FeedSource),
        ("notes.txt", None, FolderSource),
        ("data/in", None, FolderSource),
    ],
)
def test_open_source_dispatch(path: str, kind: str | None, expected: type) -> None:
    assert isinstance(open_source(path, kind=kind), expected)  # type: ignore[arg-type]


def test_open_source_dispatch_details(tmp_path: Path) -> None:
    folder = tmp_path / "bundle.xml"
    folder.mkdir()
    assert isinstance(open_source(str(folder)), FolderSource)
    with pytest.raises(ValueError):
        open_source("https://news.example/", kind="pdf")  # type: ignore[arg-type]
    assert sources._NETWORK_SUFFIXES == FEED_SUFFIXES + URL_LIST_SUFFIXES
    assert looks_like_feed_url("https://news.example/feeds/")
    assert not looks_like_feed_url("https://news.example/")


def test_open_source_reads_feeds_with_a_given_fetcher(server: LocalHTTP, fetcher: Fetcher) -> None:
    items = list(open_source(server.url("/kestrel.atom"), fetcher=fetcher))
    assert [doc(item).entry_id for item in items] == [
        "tag:kestrel.example,2024:landslide",
        "tag:kestrel.example,2024:dam",
    ]


def test_local_paths_do_not_load_the_network_stack() -> None:
    code = (
        "import sys; from casualty_etl.sources import open_source; open_source('notes.txt'); "
        "print('casualty_etl.feeds' in sys.modules, 'httpx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False", "False"]
