"""Network sources: RSS/Atom feeds and lists of page URLs in, ``RawDocument``s or read-stage ``Reject``s out.

Contract: iterating a source never raises on content or network errors, and every input yields
at least one item.

``FeedSource(path_or_url)`` reads a feed from a local file (``.rss``/``.atom``/``.xml``) or
fetches it over HTTP(S). The raw XML first goes through defusedxml with DTDs, entity
declarations and external references forbidden (billion laughs, XXE -> ``unsafe_xml``; a feed
that is not well-formed is still handed to feedparser's lenient parser unless it contains a
``<!DOCTYPE`` or ``<!ENTITY``), then through feedparser (from an in-memory stream, so feedparser
never opens a URL or a file itself; its HTML sanitiser stays on). One document per entry, in
feed order, with ``source`` ``<feed>#entry=N`` (1-based), ``entry_id`` = guid/id else the link,
``title``, ``url`` and ``published_at`` (published, else updated, in UTC; None when missing,
never "now"). With ``fetch_articles`` (the default) each entry's link is fetched and the
article body taken with trafilatura (precision first, no comments, no tables) as
``MediaType.TEXT`` with blank lines between paragraphs, ``url`` the final URL after redirects
and the page's own date used only when the entry has none. When the fetch or the extraction
fails, the entry's content or summary is the body instead (``MediaType.HTML``, or TEXT when the
feed says ``text/plain``) and the failure is not reported; only an entry with nothing to fall
back on becomes the fetch's ``Reject``. Without ``fetch_articles`` the summary is the body.

``UrlListSource(path_or_url)`` reads one http(s) URL, or a ``.urls`` text file (UTF-8, one URL
a line, blank lines and ``#`` comments ignored, each distinct URL fetched once), and extracts
each page like a feed's article: ``source`` = the URL as listed, ``url`` = the final URL,
``title``/``published_at`` from the page's metadata when present.

Reject codes: ``FetchReason`` codes from ``fetch``; ``FeedReason.UNSAFE_XML``,
``MALFORMED_FEED`` (neither RSS nor Atom, or unparseable), ``EXTRACTION_FAILED`` (the
extractor raised); and from ``normalise.Reason``: ``empty`` (no entries, no URLs, no article
text), ``unsupported_type`` (a page that is neither HTML nor plain text), ``undecodable``/
``binary``, ``unreadable``/``too_large`` (a local file).

Fetching (rate limits, retries, SSRF checks) is all ``fetch.Fetcher``: pass one to share it
between sources; without one a source makes its own default ``Fetcher`` (body cap: the smaller
of ``max_bytes`` and ``DEFAULT_FETCH_MAX_BYTES``) and closes it when iteration ends.
Deliberately not here: feed discovery from HTML pages, conditional GETs (ETag), deduplicating
entries across feeds, following pagination, and any cleaning beyond trafilatura's.
"""

from __future__ import annotations

import io
import os
import urllib.parse
import xml.sax
import xml.sax.handler
from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import defusedxml
import defusedxml.sax
import feedparser
import trafilatura

from casualty_etl.fetch import DEFAULT_FETCH_MAX_BYTES, Fetcher, FetchPolicy, FetchReason, FetchResult
from casualty_etl.model import MediaType, RawDocument, Reject, RejectStage
from casualty_etl.normalise import DecodeFailure, Reason, decode_bytes, html_to_text, parse_date
from casualty_etl.sources import DEFAULT_MAX_BYTES, Source, SourceItem

__all__ = [
    "FEED_SUFFIXES",
    "URL_LIST_SUFFIXES",
    "FeedEntry",
    "FeedReason",
    "FeedSource",
    "Page",
    "UrlListSource",
    "check_xml_safety",
    "extract_page",
    "is_web_url",
    "looks_like_feed_url",
    "network_source",
    "parse_feed",
]

#: A local file with one of these suffixes is read as a feed.
FEED_SUFFIXES = (".rss", ".atom", ".xml")
#: A local file with one of these suffixes is a list of URLs.
URL_LIST_SUFFIXES = (".urls",)
#: Last path segments that name a feed (``/feed``, ``/rss/``), besides the suffixes above.
_FEED_SEGMENTS = frozenset({"feed", "feeds", "rss", "rss2", "atom"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_EXCERPT_CHARS = 120


class FeedReason(StrEnum):
    """Reject codes of this module (stage ``read``), besides ``FetchReason`` and ``normalise.Reason``."""

    UNSAFE_XML = "unsafe_xml"
    MALFORMED_FEED = "malformed_feed"
    EXTRACTION_FAILED = "extraction_failed"


# --------------------------------------------------------------------------- dispatch


def is_web_url(value: str) -> bool:
    """True for an absolute ``http://`` or ``https://`` URL with a host."""
    parts = urllib.parse.urlsplit(value.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def looks_like_feed_url(url: str) -> bool:
    """An http(s) URL whose path ends in a feed: ``.rss``/``.atom``/``.xml``, or ``/feed``, ``/rss``,
    ``/atom`` (trailing slash allowed), or a ``?feed=...``/``?format=rss|atom`` query."""
    parts = urllib.parse.urlsplit(url.strip())
    last = parts.path.rstrip("/").rsplit("/", 1)[-1].lower()
    if last.endswith(FEED_SUFFIXES) or last in _FEED_SEGMENTS:
        return True
    query = urllib.parse.parse_qs(parts.query)
    return "feed" in query or any(v.lower() in ("rss", "rss2", "atom") for v in query.get("format", []))


def network_source(
    path: str,
    *,
    kind: str | None = None,
    fetcher: Fetcher | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    skip_entry: Callable[[str], bool] | None = None,
) -> Source | None:
    """The feed or URL source for ``path``, or None when it is neither (``sources.open_source`` hook).

    ``kind="feed"``/``"url"`` forces the choice; otherwise an http(s) URL is a feed when
    ``looks_like_feed_url`` says so and a page otherwise, and a local file is a feed or a URL list
    by its suffix. Other schemes and local folders are not network sources.
    """
    if kind not in (None, "feed", "url"):
        raise ValueError(f"kind must be 'feed', 'url' or None, got {kind!r}")
    if kind == "feed":
        return FeedSource(path, fetcher, max_bytes=max_bytes, skip_entry=skip_entry)
    if kind == "url":
        return UrlListSource(path, fetcher, max_bytes=max_bytes)
    if is_web_url(path):
        if looks_like_feed_url(path):
            return FeedSource(path, fetcher, max_bytes=max_bytes, skip_entry=skip_entry)
        return UrlListSource(path, fetcher, max_bytes=max_bytes)
    if "://" in path or os.path.isdir(path):
        return None
    suffix = Path(path).suffix.lower()
    if suffix in FEED_SUFFIXES:
        return FeedSource(path, fetcher, max_bytes=max_bytes, skip_entry=skip_entry)
    if suffix in URL_LIST_SUFFIXES:
        return UrlListSource(path, fetcher, max_bytes=max_bytes)
    return None


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class Page:
    """The article read from a fetched page."""

    text: str
    title: str | None = None
    published_at: datetime | None = None


def extract_page(result: FetchResult) -> Page | Reject:
    """The article text of a fetched page: trafilatura for HTML, the text itself for text/plain.

    Rejects have ``source`` = the requested URL; callers re-label them.
    """
    mime = result.content_type
    is_html = mime is None or mime in _HTML_TYPES
    if not is_html and mime != "text/plain":
        return _reject(result.url, Reason.UNSUPPORTED_TYPE, f"content type {mime!r} is not HTML or text")
    text = _decode(result, is_html)
    if isinstance(text, Reject):
        return text
    if not is_html:
        if not text.strip():
            return _reject(result.url, Reason.EMPTY, "empty text/plain response")
        return Page(text=text)
    try:
        document = trafilatura.bare_extraction(
            text,
            url=result.final_url,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            with_metadata=True,
            date_extraction_params={
                "extensive_search": False,
                "original_date": True,
                "outputformat": "%Y-%m-%dT%H:%M:%S%z",
            },
        )
    except Exception as exc:  # a third-party parser on untrusted HTML: whatever it raises is a reject
        return _reject(result.url, FeedReason.EXTRACTION_FAILED, f"{type(exc).__name__}: {exc}")
    extracted = getattr(document, "text", None) or ""
    paragraphs = [line.strip() for line in extracted.splitlines() if line.strip()]
    if not paragraphs:
        return _reject(result.url, Reason.EMPTY, "no article text found in the page", text)
    return Page(
        text="\n\n".join(paragraphs),
        title=_clean(getattr(document, "title", None)),
        published_at=parse_date(getattr(document, "date", None)),
    )


def _decode(result: FetchResult, is_html: bool) -> str | Reject:
    if result.charset:
        try:
            return result.body.decode(result.charset)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declared charset: fall back to the fixed chain
    decoded = decode_bytes(result.body, html=is_html)
    if isinstance(decoded, DecodeFailure):
        return _reject(result.url, decoded.reason, decoded.detail)
    return decoded.text


# --------------------------------------------------------------------------- feeds


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One feed entry, read out of feedparser's dictionaries."""

    position: int  # 1-based, in feed order
    entry_id: str | None
    title: str | None
    link: str | None
    published_at: datetime | None
    fallback: str | None  # content or summary, used when the article cannot be fetched
    fallback_media_type: MediaType = MediaType.HTML


def check_xml_safety(data: bytes) -> str | None:
    """Why ``data`` is refused as XML (a DTD, an entity, an external reference), or None."""
    try:
        defusedxml.sax.parseString(
            data,
            xml.sax.handler.ContentHandler(),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
    except defusedxml.DefusedXmlException as exc:
        return f"{type(exc).__name__}: {exc}"
    except (xml.sax.SAXException, ValueError, UnicodeError) as exc:
        # Not well-formed XML: feedparser's lenient parser may still read it, but never with a DTD.
        probe = data.replace(b"\x00", b"").lower()
        if b"<!doctype" in probe or b"<!entity" in probe:
            return f"malformed XML with a DTD or entity declaration: {exc}"
    return None


def parse_feed(
    data: bytes, *, source: str, base_url: str | None = None, content_type: str | None = None
) -> tuple[FeedEntry, ...] | Reject:
    """The entries of an RSS or Atom document, after the XML safety check; a reject otherwise."""
    refusal = check_xml_safety(data)
    if refusal is not None:
        return _reject(source, FeedReason.UNSAFE_XML, refusal)
    headers: dict[str, str] = {}
    if content_type:
        headers["content-type"] = content_type
    if base_url:
        headers["content-location"] = base_url
    try:
        parsed = feedparser.parse(
            io.BytesIO(data), response_headers=headers, sanitize_html=True, resolve_relative_uris=True
        )
    except Exception as exc:  # a third-party parser on untrusted input: whatever it raises is a reject
        return _reject(source, FeedReason.MALFORMED_FEED, f"{type(exc).__name__}: {exc}")
    entries = parsed.get("entries") or []
    if not entries:
        if not parsed.get("version"):
            problem = parsed.get("bozo_exception")
            detail = f"not an RSS or Atom feed{f': {problem}' if problem else ''}"
            return _reject(source, FeedReason.MALFORMED_FEED, detail, data.decode("utf-8", "replace"))
        return _reject(source, Reason.EMPTY, f"{parsed.get('version')} feed without entries")
    return tuple(_entry(number, entry, base_url) for number, entry in enumerate(entries, start=1))


def _entry(position: int, entry: Any, base_url: str | None) -> FeedEntry:
    raw_link = _text(entry.get("link"))
    link = urllib.parse.urljoin(base_url, raw_link) if raw_link and base_url else raw_link
    if link is not None and not is_web_url(link):
        link = None  # relative without a base, tag:/urn: ids feedparser promotes to links, file:, ...
    title = _text(entry.get("title"))
    title_detail = entry.get("title_detail") or {}
    if title is not None and "html" in str(title_detail.get("type", "")):
        title = _clean(html_to_text(title))
    fallback, media_type = _fallback(entry)
    return FeedEntry(
        position=position,
        entry_id=_text(entry.get("id")) or link or raw_link,
        title=title,
        link=link,
        published_at=_entry_date(entry),
        fallback=fallback,
        fallback_media_type=media_type,
    )


def _fallback(entry: Any) -> tuple[str | None, MediaType]:
    """The longest of the entry's contents, else its summary, with how to read it."""
    candidates: list[tuple[str, str]] = []
    for content in entry.get("content") or []:
        value = _text(content.get("value"))
        if value is not None:
            candidates.append((value, str(content.get("type", ""))))
    if not candidates:
        summary = _text(entry.get("summary"))
        if summary is not None:
            detail = entry.get("summary_detail") or {}
            candidates.append((summary, str(detail.get("type", ""))))
    if not candidates:
        return None, MediaType.HTML
    value, mime = max(candidates, key=lambda candidate: len(candidate[0]))
    return value, MediaType.TEXT if mime == "text/plain" else MediaType.HTML


def _entry_date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime(*parsed[:6], tzinfo=UTC)
            except (TypeError, ValueError, OverflowError):
                pass
    for key in ("published", "updated"):
        value = parse_date(_text(entry.get(key)))
        if value is not None:
            return value
    return None


@dataclass(frozen=True, slots=True)
class _Loaded:
    data: bytes
    base_url: str | None = None
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class FeedSource:
    """An RSS or Atom feed from a file or a URL, one document per entry (see module doc)."""

    path_or_url: str
    fetcher: Fetcher | None = None
    fetch_articles: bool = True
    _: KW_ONLY
    max_bytes: int = DEFAULT_MAX_BYTES  # cap on a local feed file (and on a default fetcher's bodies)
    skip_entry: Callable[[str], bool] | None = None  # entries already processed: neither fetched nor yielded

    def __iter__(self) -> Iterator[SourceItem]:
        with _OwnedFetcher(self.fetcher, self.max_bytes) as fetcher:
            loaded = self._load(fetcher)
            if isinstance(loaded, Reject):
                yield loaded
                return
            entries = parse_feed(
                loaded.data,
                source=self.path_or_url,
                base_url=loaded.base_url,
                content_type=loaded.content_type,
            )
            if isinstance(entries, Reject):
                yield entries
                return
            if self.skip_entry is not None:
                entries = [e for e in entries if not (e.entry_id and self.skip_entry(e.entry_id))]
            if self.fetch_articles:
                yield from fetcher.map(lambda entry: self._document(entry, fetcher), entries)
            else:
                for entry in entries:
                    yield self._document(entry, None)

    def _load(self, fetcher: Fetcher) -> _Loaded | Reject:
        if "://" in self.path_or_url:  # any scheme: the fetcher refuses what is not http(s)
            fetched = fetcher.fetch(self.path_or_url)
            if isinstance(fetched, Reject):
                return fetched
            content_type = fetched.content_type
            if content_type and fetched.charset:
                content_type = f"{content_type}; charset={fetched.charset}"
            return _Loaded(fetched.body, fetched.final_url, content_type)
        data = _read_local(self.path_or_url, self.max_bytes)
        return data if isinstance(data, Reject) else _Loaded(data)

    def _document(self, entry: FeedEntry, fetcher: Fetcher | None) -> SourceItem:
        source = f"{self.path_or_url}#entry={entry.position}"
        failure: Reject | None = None
        if fetcher is not None and entry.link is not None:
            fetched = fetcher.fetch(entry.link)
            page = fetched if isinstance(fetched, Reject) else extract_page(fetched)
            if isinstance(page, Reject):
                failure = page
            elif isinstance(fetched, FetchResult):
                return RawDocument(
                    source=source,
                    body=page.text,
                    media_type=MediaType.TEXT,
                    title=entry.title or page.title,
                    url=fetched.final_url,
                    published_at=entry.published_at or page.published_at,
                    entry_id=entry.entry_id,
                )
        if entry.fallback is not None:
            return RawDocument(
                source=source,
                body=entry.fallback,
                media_type=entry.fallback_media_type,
                title=entry.title,
                url=entry.link,
                published_at=entry.published_at,
                entry_id=entry.entry_id,
            )
        if failure is not None:
            return replace(failure, source=source, detail=f"{entry.link}: {failure.detail}")
        return _reject(
            source, Reason.EMPTY, "entry has no summary or content" + ("" if fetcher else " (not fetched)")
        )


# --------------------------------------------------------------------------- URL lists


@dataclass(frozen=True, slots=True)
class UrlListSource:
    """One http(s) URL, or a ``.urls`` file of them: one document per page (see module doc)."""

    path_or_url: str
    fetcher: Fetcher | None = None
    _: KW_ONLY
    max_bytes: int = DEFAULT_MAX_BYTES  # cap on the list file (and on a default fetcher's bodies)

    def __iter__(self) -> Iterator[SourceItem]:
        if "://" in self.path_or_url:  # any scheme: the fetcher refuses what is not http(s)
            urls: list[str | Reject] = [self.path_or_url.strip()]
        else:
            listed = self._read_list()
            if isinstance(listed, Reject):
                yield listed
                return
            urls = listed
        with _OwnedFetcher(self.fetcher, self.max_bytes) as fetcher:
            yield from fetcher.map(lambda url: url if isinstance(url, Reject) else _page(url, fetcher), urls)

    def _read_list(self) -> list[str | Reject] | Reject:
        data = _read_local(self.path_or_url, self.max_bytes)
        if isinstance(data, Reject):
            return data
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return _reject(self.path_or_url, Reason.UNDECODABLE, f"URL list is not UTF-8 (byte {exc.start})")
        urls: list[str | Reject] = []
        seen: set[str] = set()
        for number, line in enumerate(text.splitlines(), start=1):
            url = line.split(" #", 1)[0].split("\t#", 1)[0].strip()
            if not url or url.startswith("#") or url in seen:
                continue
            seen.add(url)
            if is_web_url(url):
                urls.append(url)
            else:
                urls.append(
                    _reject(
                        f"{self.path_or_url}#L{number}", FetchReason.FETCH_REFUSED, "not an http(s) URL", url
                    )
                )
        if not urls:
            return _reject(self.path_or_url, Reason.EMPTY, "no URLs in the list")
        return urls


def _page(url: str, fetcher: Fetcher) -> SourceItem:
    fetched = fetcher.fetch(url)
    if isinstance(fetched, Reject):
        return fetched
    page = extract_page(fetched)
    if isinstance(page, Reject):
        return replace(page, source=url)
    return RawDocument(
        source=url,
        body=page.text,
        media_type=MediaType.TEXT,
        title=page.title,
        url=fetched.final_url,
        published_at=page.published_at,
    )


# --------------------------------------------------------------------------- helpers


class _OwnedFetcher:
    """``with``: the given fetcher as is, or a default one that is closed at the end."""

    def __init__(self, fetcher: Fetcher | None, max_bytes: int) -> None:
        self._given = fetcher
        self._max_bytes = max_bytes
        self._own: Fetcher | None = None

    def __enter__(self) -> Fetcher:
        if self._given is not None:
            return self._given
        self._own = Fetcher(FetchPolicy(max_bytes=min(self._max_bytes, DEFAULT_FETCH_MAX_BYTES)))
        return self._own

    def __exit__(self, *_exc: object) -> None:
        if self._own is not None:
            self._own.close()


def _read_local(path: str, max_bytes: int) -> bytes | Reject:
    """A local file's bytes, reading at most ``max_bytes + 1`` of them."""
    try:
        with open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as exc:
        return _reject(path, Reason.UNREADABLE, f"{type(exc).__name__}: {exc.strerror or exc}")
    if len(data) > max_bytes:
        return _reject(path, Reason.TOO_LARGE, f"more than {max_bytes} bytes")
    return data


def _reject(source: str, reason: str, detail: str, excerpt: str | None = None) -> Reject:
    return Reject(
        source=source,
        stage=RejectStage.READ,
        reason=str(reason),
        detail=detail,
        excerpt=excerpt[:_EXCERPT_CHARS] if excerpt else None,
    )


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    return " ".join(value.split()) or None
