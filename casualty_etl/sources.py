"""Sources: where documents come from. Paths in, ``RawDocument``s (or read-stage ``Reject``s) out.

Contract: a ``Source`` is anything iterable over ``RawDocument | Reject``. Every document
carries its provenance in ``source``: ``dir/a.txt`` for a whole file, ``f.jsonl#L12`` for a
JSON line (physical line, 1-based), ``f.json#item=3`` for an element of a JSON array (1-based),
``f.csv#row=3`` for a CSV record (1-based, header excluded). Iterating never raises on file
content or I/O errors: whatever cannot be read becomes a ``Reject`` (stage ``read``) with a
code from ``normalise.Reason``; every input file yields at least one item.

``FolderSource`` reads a single file or a folder recursively, in sorted order of relative
path parts; hidden entries (``.name``, and ``_name`` for metadata such as a corpus manifest) and unknown
extensions inside a folder are skipped
silently, while a single file with an unknown extension given explicitly is rejected as
``unsupported_type``. Symlinked folders are not followed.

- ``.txt``, ``.md``/``.markdown``, ``.html``/``.htm``: one document, body = undecoded bytes.
- ``.json`` (one object or an array of objects), ``.jsonl``/``.ndjson`` (one object a line),
  ``.csv`` (header row, RFC 4180 quoting, newlines inside quotes allowed): one document per
  record, body = the text field as ``str``. JSON must be UTF-8 (a BOM is allowed); CSV lines
  are UTF-8, or cp1252 when a line is not UTF-8, or UTF-16 with a BOM.

Reading is bounded: a whole-file document or a ``.json`` file above ``max_bytes`` is
``too_large`` after reading at most ``max_bytes + 1`` bytes (nothing at all when the file size
already says so). In ``.jsonl`` a line above the cap is ``too_large`` and skipped in bounded
chunks; the next lines are still read. In ``.csv`` a record above the cap is ``too_large`` and
ends that file (a CSV cannot be resynchronised safely).

Records (JSON object, CSV row): the text field missing, null or blank -> ``empty``; a text,
title, url, date or id field of the wrong JSON type -> ``malformed_json`` (id may be an integer;
a non-string date is ignored as None); NaN, Infinity or an overflowing number such as ``1e400``
in any of those fields -> ``malformed_json`` (elsewhere in the record they are ignored); a
duplicate key anywhere in the object -> ``malformed_json``; a lone surrogate in those fields ->
``undecodable``. Dates are parsed by ``normalise.parse_date`` (UTC, None when missing or
unparseable, never "now").

Deliberately not here: decoding whole-file bodies and stripping markup (``normalise``),
fetching URLs or feeds (``feeds``, ``fetch``). ``open_source`` is the one place that maps a path
to a source: an http(s) URL, a local ``.rss``/``.atom``/``.xml`` or ``.urls`` file, or any path
with ``kind="feed"``/``"url"`` goes to ``feeds.network_source`` (imported only then; a folder of
feeds is not walked); another ``scheme://`` path yields an ``unsupported_type`` reject.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, Protocol

import yaml

from casualty_etl.model import MediaType, RawDocument, Reject, RejectStage
from casualty_etl.normalise import Reason, parse_date

if TYPE_CHECKING:
    from casualty_etl.fetch import Fetcher

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FolderSource",
    "Source",
    "SourceItem",
    "UnsupportedSource",
    "iter_documents",
    "open_source",
]

#: Default cap on the bytes of one document (a whole file, a JSON line, a CSV record).
#: Folder entries whose names start with these are skipped (hidden files, corpus metadata).
HIDDEN_PREFIXES = (".", "_")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

SourceItem = RawDocument | Reject

_CHUNK = 1024 * 1024
_EXCERPT_CHARS = 120
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
#: Suffixes of local files read by ``feeds`` (its ``FEED_SUFFIXES`` + ``URL_LIST_SUFFIXES``, a test
#: keeps them in step); checked here so that local paths never import the network stack.
_NETWORK_SUFFIXES = (".rss", ".atom", ".xml", ".urls")


class Source(Protocol):
    """Yields raw documents with provenance, or read-stage rejects; never raises on content."""

    def __iter__(self) -> Iterator[SourceItem]: ...


class _Kind(Enum):
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


_KIND_BY_SUFFIX = {
    ".txt": _Kind.TEXT,
    ".md": _Kind.MARKDOWN,
    ".markdown": _Kind.MARKDOWN,
    ".html": _Kind.HTML,
    ".htm": _Kind.HTML,
    ".json": _Kind.JSON,
    ".jsonl": _Kind.JSONL,
    ".ndjson": _Kind.JSONL,
    ".csv": _Kind.CSV,
}
_MEDIA_BY_KIND = {_Kind.TEXT: MediaType.TEXT, _Kind.MARKDOWN: MediaType.MARKDOWN, _Kind.HTML: MediaType.HTML}


def _open_binary(path: Path) -> BinaryIO:
    """Every file read goes through here (tests wrap it to count the bytes read)."""
    return open(path, "rb")


def _reject(source: str, reason: Reason, detail: str, excerpt: str | None = None) -> Reject:
    return Reject(
        source=source,
        stage=RejectStage.READ,
        reason=reason.value,
        detail=detail,
        excerpt=excerpt[:_EXCERPT_CHARS] if excerpt else None,
    )


def _read_capped(stream: BinaryIO, max_bytes: int) -> bytes | None:
    """At most ``max_bytes`` bytes of a stream, in bounded chunks; None when there are more.

    Reads no more than ``max_bytes + 1`` bytes in total.
    """
    chunks: list[bytes] = []
    remaining = max_bytes + 1
    while remaining > 0:
        chunk = stream.read(min(_CHUNK, remaining))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    if remaining <= 0:
        return None
    return b"".join(chunks)


# --------------------------------------------------------------------------- JSON


class _NonFinite:
    """Stands for NaN, Infinity and numbers that overflow a float (``1e400``)."""

    def __repr__(self) -> str:
        return "<non-finite number>"


_NON_FINITE = _NonFinite()


class _DuplicateKeyError(ValueError):
    pass


def _parse_float(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NON_FINITE


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _loads(text: str) -> object:
    """``json.loads`` with NaN/Infinity/overflow as a marker and duplicate keys as errors."""
    return json.loads(
        text,
        parse_float=_parse_float,
        parse_constant=lambda _name: _NON_FINITE,
        object_pairs_hook=_object_without_duplicates,
    )


# --------------------------------------------------------------------------- CSV


class _RecordTooLargeError(Exception):
    pass


class _CsvLines:
    """Decoded physical lines of a CSV file for ``csv.reader``, with per-record byte accounting."""

    def __init__(self, stream: BinaryIO, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.record_bytes = 0
        self.undecodable = False
        head = stream.read(2)
        self.utf16 = head in (b"\xff\xfe", b"\xfe\xff")
        stream.seek(0)
        self.stream = stream
        self.text: io.TextIOWrapper | None = None
        if self.utf16:
            self.text = io.TextIOWrapper(stream, encoding="utf-16", errors="strict", newline="")
        self.first = True

    def start_record(self) -> None:
        self.record_bytes = 0
        self.undecodable = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.text is not None:
            line = self.text.readline(self.max_bytes + 1)  # UnicodeDecodeError ends the file
            size = len(line) * 2
        else:
            raw = self.stream.readline(self.max_bytes + 1)
            size = len(raw)
            if self.first and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            line = self._decode(raw)
        self.first = False
        if not line:
            raise StopIteration
        self.record_bytes += size
        if self.record_bytes > self.max_bytes:
            raise _RecordTooLargeError(f"more than {self.max_bytes} bytes")
        return line

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            self.undecodable = True
            return raw.decode("cp1252", errors="replace")


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True, slots=True)
class FolderSource:
    """A folder read recursively in a deterministic order, or a single file (see module doc)."""

    path: str
    _: KW_ONLY
    text_field: str = "text"
    title_field: str = "title"
    url_field: str = "url"
    date_field: str = "published_at"
    id_field: str = "id"
    max_bytes: int = DEFAULT_MAX_BYTES
    record_media_type: MediaType = MediaType.TEXT  # how the text field of JSON/CSV records is read

    def __post_init__(self) -> None:
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {self.max_bytes}")

    def __iter__(self) -> Iterator[SourceItem]:
        root = Path(self.path)
        try:
            is_dir = root.is_dir()
            exists = is_dir or root.exists()
        except OSError as exc:
            yield _reject(self.path, Reason.UNREADABLE, _os_error(exc))
            return
        if not exists:
            yield _reject(self.path, Reason.UNREADABLE, "no such file or directory")
        elif is_dir:
            yield from self._walk(root)
        else:
            yield from self._read_file(root, explicit=True)

    # ----------------------------------------------------------------- walking

    def _walk(self, root: Path) -> Iterator[SourceItem]:
        entries: list[tuple[tuple[str, ...], Path | Reject]] = []

        def on_error(exc: OSError) -> None:
            where = Path(exc.filename) if exc.filename else root
            entries.append(
                (_rel_parts(where, root), _reject(where.as_posix(), Reason.UNREADABLE, _os_error(exc)))
            )

        for folder, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=False):
            dirnames[:] = [name for name in dirnames if not name.startswith(HIDDEN_PREFIXES)]
            base = Path(folder)
            for name in filenames:
                if name.startswith(HIDDEN_PREFIXES) or Path(name).suffix.lower() not in _KIND_BY_SUFFIX:
                    continue
                path = base / name
                entries.append((_rel_parts(path, root), path))
        entries.sort(key=lambda entry: entry[0])
        for _parts, entry in entries:
            if isinstance(entry, Reject):
                yield entry
            else:
                yield from self._read_file(entry, explicit=False)

    def _read_file(self, path: Path, *, explicit: bool) -> Iterator[SourceItem]:
        source = path.as_posix()
        kind = _KIND_BY_SUFFIX.get(path.suffix.lower())
        if kind is None:
            if explicit:
                yield _reject(
                    source,
                    Reason.UNSUPPORTED_TYPE,
                    f"no reader for {path.suffix or 'files without an extension'!r}",
                )
            return
        try:
            if kind is _Kind.JSONL:
                yield from self._read_jsonl(path, source)
            elif kind is _Kind.CSV:
                yield from self._read_csv(path, source)
            else:
                data = self._read_whole(path, source)
                if isinstance(data, Reject):
                    yield data
                elif kind is _Kind.JSON:
                    yield from self._read_json(data, source)
                else:
                    yield self._plain_document(data, source, _MEDIA_BY_KIND[kind])
        except OSError as exc:
            yield _reject(source, Reason.UNREADABLE, _os_error(exc))

    def _plain_document(self, data: bytes, source: str, media_type: MediaType) -> RawDocument:
        """A text, Markdown or HTML file; a text or Markdown file may open with a front-matter
        block (``---`` lines around ``title:``, ``url:``, ``published_at:`` using this source's
        field names), which gives its metadata and is not part of the article."""
        meta, body = ({}, data) if media_type is MediaType.HTML else _front_matter(data)
        return RawDocument(
            source=source,
            body=body,
            media_type=media_type,
            title=_meta_text(meta.get(self.title_field)),
            url=_meta_text(meta.get(self.url_field)),
            published_at=parse_date(_meta_text(meta.get(self.date_field))),
        )

    def _read_whole(self, path: Path, source: str) -> bytes | Reject:
        with _open_binary(path) as stream:
            info = os.fstat(stream.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > self.max_bytes:
                return _reject(source, Reason.TOO_LARGE, f"{info.st_size} bytes, limit {self.max_bytes}")
            data = _read_capped(stream, self.max_bytes)
        if data is None:
            return _reject(source, Reason.TOO_LARGE, f"more than {self.max_bytes} bytes (stopped reading)")
        return data

    # ----------------------------------------------------------------- JSON

    def _read_json(self, data: bytes, source: str) -> Iterator[SourceItem]:
        value = _json_value(data, source, "JSON")
        if isinstance(value, Reject):
            yield value
            return
        if isinstance(value, dict):
            yield self._record(value, source)
        elif isinstance(value, list):
            if not value:
                yield _reject(source, Reason.EMPTY, "empty JSON array")
            for number, item in enumerate(value, start=1):
                where = f"{source}#item={number}"
                if isinstance(item, dict):
                    yield self._record(item, where)
                else:
                    yield _reject(where, Reason.MALFORMED_JSON, f"expected an object, got {_json_type(item)}")
        else:
            yield _reject(
                source, Reason.MALFORMED_JSON, f"expected an object or an array, got {_json_type(value)}"
            )

    def _read_jsonl(self, path: Path, source: str) -> Iterator[SourceItem]:
        records = 0
        with _open_binary(path) as stream:
            number = 0
            while True:
                line = stream.readline(self.max_bytes + 1)
                if not line:
                    break
                number += 1
                where = f"{source}#L{number}"
                if len(line) > self.max_bytes and not line.endswith(b"\n"):
                    skipped = len(line) + _skip_line(stream)
                    records += 1
                    yield _reject(where, Reason.TOO_LARGE, f"line of {skipped} bytes, limit {self.max_bytes}")
                    continue
                if not line.strip():
                    continue
                records += 1
                value = _json_value(line, where, "line", first=number == 1)
                if isinstance(value, Reject):
                    yield value
                    continue
                if isinstance(value, dict):
                    yield self._record(value, where)
                else:
                    yield _reject(
                        where, Reason.MALFORMED_JSON, f"expected an object, got {_json_type(value)}"
                    )
        if records == 0:
            yield _reject(source, Reason.EMPTY, "no JSON lines")

    # ----------------------------------------------------------------- CSV

    def _read_csv(self, path: Path, source: str) -> Iterator[SourceItem]:
        if csv.field_size_limit() <= self.max_bytes:  # raised only: the limit is process-wide
            csv.field_size_limit(self.max_bytes + 1)
        wanted = (self.text_field, self.title_field, self.url_field, self.date_field, self.id_field)
        with _open_binary(path) as stream:
            lines = _CsvLines(stream, self.max_bytes)
            reader = csv.reader(lines)
            number = 0
            where = f"{source}#row=0"
            try:
                lines.start_record()
                header = next(reader, None)
                if header is None:
                    yield _reject(source, Reason.EMPTY, "no header row")
                    return
                header = [name.strip() for name in header]
                if self.text_field not in header:
                    yield _reject(source, Reason.MALFORMED_CSV, f"no {self.text_field!r} column")
                    return
                duplicates = sorted({name for name in wanted if header.count(name) > 1})
                if duplicates:
                    yield _reject(source, Reason.MALFORMED_CSV, f"duplicate columns {duplicates}")
                    return
                columns = {name: header.index(name) for name in wanted if name in header}
                while True:
                    lines.start_record()
                    where = f"{source}#row={number + 1}"
                    row = next(reader, None)
                    if row is None:
                        break
                    number += 1
                    if not row:
                        continue
                    if lines.undecodable:
                        yield _reject(where, Reason.UNDECODABLE, "neither UTF-8 nor cp1252")
                        continue
                    record = {name: row[i] for name, i in columns.items() if i < len(row)}
                    yield self._record(record, where)
            except _RecordTooLargeError as exc:
                yield _reject(where, Reason.TOO_LARGE, f"record of {exc}; rest of the file not read")
                return
            except UnicodeDecodeError as exc:
                yield _reject(
                    where, Reason.UNDECODABLE, f"invalid UTF-16: {exc.reason}; rest of the file not read"
                )
                return
            except csv.Error as exc:
                yield _reject(where, Reason.MALFORMED_CSV, f"{exc}; rest of the file not read")
                return
        if number == 0:
            yield _reject(source, Reason.EMPTY, "no data rows")

    # ----------------------------------------------------------------- records

    def _record(self, record: Mapping[str, object], source: str) -> SourceItem:
        """One JSON object or CSV row -> a document, or the reason it cannot be one."""
        fields = (self.text_field, self.title_field, self.url_field, self.date_field, self.id_field)
        for name in fields:
            value = record.get(name)
            if value is _NON_FINITE:
                return _reject(source, Reason.MALFORMED_JSON, f"non-finite number in field {name!r}")
            if isinstance(value, str):
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return _reject(source, Reason.UNDECODABLE, f"lone surrogate in field {name!r}")
        text = record.get(self.text_field)
        if text is None or (isinstance(text, str) and not text.strip()):
            return _reject(source, Reason.EMPTY, f"field {self.text_field!r} missing or blank")
        if not isinstance(text, str):
            return _reject(source, Reason.MALFORMED_JSON, f"field {self.text_field!r} is {_json_type(text)}")
        optional: dict[str, str | None] = {}
        for name in (self.title_field, self.url_field):
            value = record.get(name)
            if value is not None and not isinstance(value, str):
                return _reject(source, Reason.MALFORMED_JSON, f"field {name!r} is {_json_type(value)}")
            optional[name] = (value.strip() or None) if isinstance(value, str) else None
        entry_id = record.get(self.id_field)
        if isinstance(entry_id, bool) or not isinstance(entry_id, str | int | None):
            return _reject(
                source, Reason.MALFORMED_JSON, f"field {self.id_field!r} is {_json_type(entry_id)}"
            )
        date = record.get(self.date_field)
        return RawDocument(
            source=source,
            body=text,
            media_type=self.record_media_type,
            title=optional[self.title_field],
            url=optional[self.url_field],
            published_at=parse_date(date) if isinstance(date, str) else None,
            entry_id=None if entry_id is None else (str(entry_id).strip() or None),
        )


@dataclass(frozen=True, slots=True)
class UnsupportedSource:
    """A path no source can read yet: yields one ``unsupported_type`` reject."""

    path: str
    detail: str

    def __iter__(self) -> Iterator[SourceItem]:
        yield _reject(self.path, Reason.UNSUPPORTED_TYPE, self.detail)


def open_source(
    path: str,
    *,
    text_field: str = "text",
    title_field: str = "title",
    url_field: str = "url",
    date_field: str = "published_at",
    id_field: str = "id",
    max_bytes: int = DEFAULT_MAX_BYTES,
    record_media_type: MediaType = MediaType.TEXT,
    kind: Literal["feed", "url"] | None = None,
    fetcher: Fetcher | None = None,
    skip_entry: Callable[[str], bool] | None = None,
) -> Source:
    """The source that reads ``path``: a file or folder, or a feed/URL source (see module doc).

    ``kind`` forces a feed (``"feed"``) or a page/URL list (``"url"``); ``fetcher`` is the
    ``fetch.Fetcher`` network sources use (default: their own, with the default policy);
    ``skip_entry`` tells feeds which entry ids were already processed.
    """
    scheme = _URL_RE.match(path)
    if kind is not None or scheme is not None or path.lower().endswith(_NETWORK_SUFFIXES):
        from casualty_etl.feeds import network_source  # the network stack loads only when needed

        network = network_source(path, kind=kind, fetcher=fetcher, max_bytes=max_bytes, skip_entry=skip_entry)
        if network is not None:
            return network
    if scheme is not None:
        return UnsupportedSource(path, f"no source for {scheme.group(0)!r} paths")
    return FolderSource(
        path,
        text_field=text_field,
        title_field=title_field,
        url_field=url_field,
        date_field=date_field,
        id_field=id_field,
        max_bytes=max_bytes,
        record_media_type=record_media_type,
    )


def iter_documents(
    paths: Sequence[str],
    *,
    text_field: str = "text",
    title_field: str = "title",
    url_field: str = "url",
    date_field: str = "published_at",
    id_field: str = "id",
    max_bytes: int = DEFAULT_MAX_BYTES,
    record_media_type: MediaType = MediaType.TEXT,
    fetcher: Fetcher | None = None,
    skip_entry: Callable[[str], bool] | None = None,
) -> Iterator[SourceItem]:
    """Every document of every path, in the order given (each path through ``open_source``);
    network paths share ``fetcher`` (so per-host limits hold across them)."""
    if isinstance(paths, str):
        raise TypeError("iter_documents takes a sequence of paths, not one string")
    for path in paths:
        yield from open_source(
            path,
            text_field=text_field,
            title_field=title_field,
            url_field=url_field,
            date_field=date_field,
            id_field=id_field,
            max_bytes=max_bytes,
            record_media_type=record_media_type,
            fetcher=fetcher,
            skip_entry=skip_entry,
        )


# --------------------------------------------------------------------------- helpers


_FRONT_MATTER_RE = re.compile(rb"\A(?:\xef\xbb\xbf)?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_FRONT_MATTER_MAX_BYTES = 4096


def _front_matter(data: bytes) -> tuple[dict[str, object], bytes]:
    """(metadata, body) of a file that opens with a YAML front-matter block; ({}, data) otherwise
    or when the block is not a small mapping of YAML."""
    match = _FRONT_MATTER_RE.match(data[: _FRONT_MATTER_MAX_BYTES + 8])
    if match is None:
        return {}, data
    try:
        meta = yaml.safe_load(match.group(1).decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        return {}, data
    if not isinstance(meta, dict):
        return {}, data
    return {str(k): v for k, v in meta.items()}, data[match.end() :]


def _meta_text(value: object) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.strip() or None


def _json_value(data: bytes, where: str, what: str, first: bool = True) -> object:
    """The JSON value of ``data``, or a reject naming ``what``; a byte-order mark is skipped
    when ``data`` starts the file (``first``)."""
    if first and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _reject(where, Reason.UNDECODABLE, f"{what} is not UTF-8 (byte {exc.start})")
    try:
        return _loads(text)
    except (ValueError, RecursionError) as exc:
        return _reject(where, Reason.MALFORMED_JSON, _json_error(exc), text.strip())


def _skip_line(stream: BinaryIO) -> int:
    """Read the rest of an over-long line in bounded chunks; returns the bytes skipped."""
    skipped = 0
    while True:
        chunk = stream.readline(_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _rel_parts(path: Path, root: Path) -> tuple[str, ...]:
    try:
        return path.relative_to(root).parts
    except ValueError:
        return path.parts


def _os_error(exc: OSError) -> str:
    return f"{type(exc).__name__}: {exc.strerror or exc}"


def _json_error(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply"
    if isinstance(exc, _DuplicateKeyError):
        return str(exc)
    return f"invalid JSON: {exc}"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
