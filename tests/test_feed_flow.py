"""Incremental runs over a feed: the real flow against an RSS feed served on 127.0.0.1.

The first run reads every entry; a second run over the same feed fetches and adds nothing; when
the feed gains an entry, the next run fetches and adds only that one. Only 127.0.0.1 is contacted
(it is allowed explicitly in the fetch settings; everything else stays refused).
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests._local_http import LocalHTTP

pytestmark = pytest.mark.prefect

PAGE = """<html><head><title>{title}</title></head><body><article><h1>{title}</h1>
<p>{body}</p><p>Volunteers from the neighbouring valleys cleared the road during the afternoon
so that trucks could bring tents, water and blankets to the families waiting at the school.</p>
</article></body></html>"""

ENTRIES = [
    ("brin-1", "Flood in Brin", "Officials in Brin said 14 people were killed when the river burst."),
    ("brin-2", "Brin evacuations", "About 2,000 residents of Brin were evacuated overnight."),
    ("brin-3", "Bridge collapse", "Nine people were injured when a footbridge collapsed."),
]


def _feed(base: str, entries) -> str:
    items = "".join(
        f"<item><title>{title}</title><link>{base}/a/{guid}</link><guid>{guid}</guid>"
        f"<pubDate>Tue, 09 Apr 2024 09:00:00 +0000</pubDate><description>{title}</description></item>"
        for guid, title, _ in entries
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Brin desk</title>{items}</channel></rss>'


@pytest.fixture()
def server():
    with LocalHTTP() as srv:
        for guid, title, body in ENTRIES:
            srv.add(f"/a/{guid}", PAGE.format(title=title, body=body))
        yield srv


def _run(srv, lake):
    from flows.etl import run_etl

    fetch = {"allowed_hosts": ["127.0.0.1"], "timeout_seconds": 5}
    return run_etl([srv.url("/feed.rss")], str(lake), batch_size=10, fetch=fetch)


def test_feed_runs_add_only_new_entries(server, tmp_path) -> None:
    lake = tmp_path / "lake"
    server.add("/feed.rss", _feed(server.url(""), ENTRIES[:2]), content_type="application/rss+xml")
    first = _run(server, lake)
    again = _run(server, lake)
    server.add("/feed.rss", _feed(server.url(""), ENTRIES), content_type="application/rss+xml")
    third = _run(server, lake)
    articles = pd.read_parquet(lake / "articles")
    assert (
        first.articles_written,
        again.documents,
        third.documents,
        third.articles_written,
        server.count("/a/brin-1"),
        sorted(entry.rsplit("/", 1)[-1] for entry in articles["entry_id"]),
    ) == (2, 0, 1, 1, 1, ["brin-1", "brin-2", "brin-3"])
