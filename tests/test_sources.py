"""sources: paths -> RawDocument | Reject, on a bad-input corpus generated in tmp_path."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import pytest

import casualty_etl.sources as sources_module
from casualty_etl.model import Article, MediaType, RawDocument, Reject, RejectStage
from casualty_etl.normalise import Reason, normalise_all
from casualty_etl.sources import DEFAULT_MAX_BYTES, FolderSource, SourceItem, iter_documents, open_source

SENTENCE = "Officials said 12 people were killed in the flood."
OTHER = "Three villagers were reported missing after the landslide."


def items(path: Path, **options: object) -> list[SourceItem]:
    return list(FolderSource(str(path), **options))  # type: ignore[arg-type]


def only(path: Path, **options: object) -> SourceItem:
    result = items(path, **options)
    assert len(result) == 1, result
    return result[0]


def doc(item: SourceItem) -> RawDocument:
    assert isinstance(item, RawDocument), item
    return item


def rejected(item: SourceItem, reason: Reason) -> Reject:
    assert isinstance(item, Reject), item
    assert (item.stage, item.reason) == (RejectStage.READ, reason.value)
    return item


def write(path: Path, content: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def jsonl(path: Path, *lines: str) -> Path:
    return write(path, "".join(line + "\n" for line in lines))


# --------------------------------------------------------------------------- whole files


def test_text_file_is_one_document_with_undecoded_body(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", SENTENCE)
    item = doc(only(path))
    assert (item.source, item.body, item.media_type) == (path.as_posix(), SENTENCE.encode(), MediaType.TEXT)


@pytest.mark.parametrize(
    ("name", "media_type"),
    [("a.md", MediaType.MARKDOWN), ("a.HTML", MediaType.HTML), ("a.htm", MediaType.HTML)],
    ids=["markdown", "html-upper", "htm"],
)
def test_media_type_follows_extension(tmp_path: Path, name: str, media_type: MediaType) -> None:
    assert doc(only(write(tmp_path / name, SENTENCE))).media_type is media_type


def test_folder_is_read_recursively_in_sorted_order_skipping_hidden_and_unknown(tmp_path: Path) -> None:
    for name in ("b.txt", "a/z.md", "a/b/c.html", "c.bin", ".hidden.txt", ".git/x.txt", "README"):
        write(tmp_path / name, SENTENCE)
    sources = [item.source for item in items(tmp_path)]
    root = tmp_path.as_posix()
    assert sources == [f"{root}/a/b/c.html", f"{root}/a/z.md", f"{root}/b.txt"]


def test_explicit_file_with_unknown_extension_is_unsupported(tmp_path: Path) -> None:
    rejected(only(write(tmp_path / "photo.jpg", b"\xff\xd8\xff")), Reason.UNSUPPORTED_TYPE)


def test_missing_path_is_unreadable(tmp_path: Path) -> None:
    rejected(only(tmp_path / "nope.txt"), Reason.UNREADABLE)


def test_empty_text_file_is_read_and_left_to_normalise(tmp_path: Path) -> None:
    assert doc(only(write(tmp_path / "empty.txt", b""))).body == b""


class CountingFile(io.BufferedReader):
    """A real file that counts the bytes handed out."""

    total = 0
    largest = 0

    def read(self, size: int | None = -1, /) -> bytes:
        return self._count(super().read(size))

    def readline(self, size: int | None = -1, /) -> bytes:
        return self._count(super().readline(size))

    @classmethod
    def _count(cls, data: bytes) -> bytes:
        cls.total += len(data)
        cls.largest = max(cls.largest, len(data))
        return data


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> type[CountingFile]:
    CountingFile.total = CountingFile.largest = 0

    def opener(path: Path) -> BinaryIO:
        return CountingFile(io.FileIO(path, "rb"))

    monkeypatch.setattr(sources_module, "_open_binary", opener)
    return CountingFile


def test_100mb_single_line_file_is_too_large_without_reading_past_the_cap(
    tmp_path: Path, counted: type[CountingFile]
) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: one line of 100 MB, written in no time
        handle.write(b"Officials said ")
        handle.truncate(100 * 1024 * 1024)
    rejected(only(path), Reason.TOO_LARGE)
    assert counted.total <= DEFAULT_MAX_BYTES + 1


class EndlessStream(io.RawIOBase):
    """A stream without a size (a pipe, a socket): only the bounded reader can stop it."""

    def __init__(self) -> None:
        self.handed_out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        buffer[:] = b"x" * len(buffer)
        self.handed_out += len(buffer)
        return len(buffer)


def test_bounded_reader_stops_one_byte_past_the_cap() -> None:
    stream = EndlessStream()
    assert sources_module._read_capped(stream, 5_000_000) is None  # type: ignore[arg-type]
    assert stream.handed_out == 5_000_001


def test_bounded_reader_returns_content_at_the_cap() -> None:
    assert sources_module._read_capped(io.BytesIO(b"abc"), 3) == b"abc"


# --------------------------------------------------------------------------- JSON lines


def test_jsonl_records_carry_line_numbers_and_fields(tmp_path: Path) -> None:
    record = {
        "id": 7,
        "text": SENTENCE,
        "title": " Flood ",
        "url": "https://example.org/f",
        "published_at": "2024-03-05",
    }
    path = jsonl(tmp_path / "a.jsonl", "", json.dumps(record))
    item = doc(only(path))
    assert item == RawDocument(
        source=f"{path.as_posix()}#L2",
        body=SENTENCE,
        media_type=MediaType.TEXT,
        title="Flood",
        url="https://example.org/f",
        published_at=datetime(2024, 3, 5, tzinfo=UTC),
        entry_id="7",
    )


def test_jsonl_truncated_line_is_rejected_and_other_lines_still_read(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "a.jsonl",
        json.dumps({"text": SENTENCE}),
        '{"text": "Officials sa',
        json.dumps({"text": OTHER}),
    )
    first, bad, last = items(path)
    assert rejected(bad, Reason.MALFORMED_JSON).source == f"{path.as_posix()}#L2"
    assert (doc(first).body, doc(last).body) == (SENTENCE, OTHER)


@pytest.mark.parametrize(
    "line",
    ['{"text": NaN}', '{"text": Infinity}', '{"text": 1e400}', '{"text": "a", "title": -Infinity}'],
    ids=["nan", "infinity", "1e400", "in-title"],
)
def test_jsonl_non_finite_number_in_a_read_field_is_malformed(tmp_path: Path, line: str) -> None:
    rejected(only(jsonl(tmp_path / "a.jsonl", line)), Reason.MALFORMED_JSON)


def test_jsonl_non_finite_number_in_an_unread_field_is_ignored(tmp_path: Path) -> None:
    assert (
        doc(only(jsonl(tmp_path / "a.jsonl", f'{{"text": "{SENTENCE}", "score": 1e400}}'))).body == SENTENCE
    )


def test_jsonl_duplicate_key_is_malformed(tmp_path: Path) -> None:
    item = rejected(
        only(jsonl(tmp_path / "a.jsonl", f'{{"text": "{SENTENCE}", "text": "{OTHER}"}}')),
        Reason.MALFORMED_JSON,
    )
    assert "duplicate key 'text'" in item.detail


def test_jsonl_line_above_the_cap_is_too_large_and_the_next_line_still_read(tmp_path: Path) -> None:
    big = json.dumps({"text": "x" * 5_000})
    path = jsonl(tmp_path / "a.jsonl", big, json.dumps({"text": SENTENCE}))
    too_large, last = items(path, max_bytes=1_000)
    assert rejected(too_large, Reason.TOO_LARGE).source == f"{path.as_posix()}#L1"
    assert doc(last).source == f"{path.as_posix()}#L2"


def test_jsonl_100mb_line_is_skipped_in_bounded_reads(tmp_path: Path, counted: type[CountingFile]) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:  # sparse: a 100 MB first line, then one good record
        handle.write(b'{"text": "')
        handle.seek(100 * 1024 * 1024)
        handle.write(b'"}\n' + json.dumps({"text": SENTENCE}).encode() + b"\n")
    too_large, last = items(path)
    rejected(too_large, Reason.TOO_LARGE)
    assert doc(last).source == f"{path.as_posix()}#L2"
    assert counted.largest <= DEFAULT_MAX_BYTES + 1


def test_jsonl_line_that_is_not_utf8_is_undecodable(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", b'{"text": "caf\xe9"}\n')
    rejected(only(path), Reason.UNDECODABLE)


def test_jsonl_line_that_is_not_an_object_is_malformed(tmp_path: Path) -> None:
    rejected(only(jsonl(tmp_path / "a.jsonl", "[1, 2]")), Reason.MALFORMED_JSON)


def test_jsonl_without_records_is_empty(tmp_path: Path) -> None:
    rejected(only(write(tmp_path / "a.jsonl", "\n\n")), Reason.EMPTY)


# --------------------------------------------------------------------------- JSON


def test_json_object_is_one_document_named_after_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", json.dumps({"text": SENTENCE}))
    assert doc(only(path)).source == path.as_posix()


def test_json_array_items_are_numbered_from_one(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", json.dumps([{"text": SENTENCE}, "oops", {"text": OTHER}]))
    first, bad, last = items(path)
    assert doc(first).source == f"{path.as_posix()}#item=1"
    assert rejected(bad, Reason.MALFORMED_JSON).source == f"{path.as_posix()}#item=2"
    assert doc(last).body == OTHER


def test_json_nested_too_deeply_is_malformed(tmp_path: Path) -> None:
    rejected(only(write(tmp_path / "a.json", "[" * 200_000 + "]" * 200_000)), Reason.MALFORMED_JSON)


def test_json_file_above_the_cap_is_too_large(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", json.dumps([{"text": SENTENCE}] * 100))
    rejected(only(path, max_bytes=1_000), Reason.TOO_LARGE)


def test_empty_json_array_is_empty(tmp_path: Path) -> None:
    rejected(only(write(tmp_path / "a.json", "[]")), Reason.EMPTY)


# --------------------------------------------------------------------------- records


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"title": "No text"}, Reason.EMPTY),
        ({"text": None}, Reason.EMPTY),
        ({"text": "  \n "}, Reason.EMPTY),
        ({"text": ["a"]}, Reason.MALFORMED_JSON),
        ({"text": SENTENCE, "title": 5}, Reason.MALFORMED_JSON),
        ({"text": SENTENCE, "id": True}, Reason.MALFORMED_JSON),
        ({"text": "Officials said \ud800"}, Reason.UNDECODABLE),
    ],
    ids=["missing", "null", "blank", "list", "title-number", "id-bool", "lone-surrogate"],
)
def test_bad_records_are_rejected(tmp_path: Path, record: dict[str, object], reason: Reason) -> None:
    rejected(only(write(tmp_path / "a.json", json.dumps(record))), reason)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 05 Mar 2024 11:00:00 +0100", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("2024-03-05T12:00:00+02:00", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("last Tuesday", None),
        (1709632800, None),
    ],
    ids=["rfc2822", "iso-offset", "unparseable", "number"],
)
def test_record_dates_are_utc_or_none(tmp_path: Path, value: object, expected: datetime | None) -> None:
    path = write(tmp_path / "a.json", json.dumps({"text": SENTENCE, "published_at": value}))
    assert doc(only(path)).published_at == expected


def test_field_names_are_configurable(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", json.dumps({"body": SENTENCE, "headline": "Flood", "guid": "g-1"}))
    item = doc(only(path, text_field="body", title_field="headline", id_field="guid"))
    assert (item.body, item.title, item.entry_id) == (SENTENCE, "Flood", "g-1")


def test_record_media_type_is_configurable(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", json.dumps({"text": f"<p>{SENTENCE}</p>"}))
    assert doc(only(path, record_media_type=MediaType.HTML)).media_type is MediaType.HTML


# --------------------------------------------------------------------------- CSV


def test_csv_quoted_newlines_stay_in_one_record(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.csv",
        f'id,title,text\n1,Flood,"{SENTENCE}\nRescuers ""searched"" all night."\n2,,{OTHER}\n',
    )
    first, second = items(path)
    assert doc(first).body == f'{SENTENCE}\nRescuers "searched" all night.'
    assert (doc(first).source, doc(first).entry_id) == (f"{path.as_posix()}#row=1", "1")
    assert (doc(second).title, doc(second).source) == (None, f"{path.as_posix()}#row=2")


def test_csv_row_without_text_is_empty(tmp_path: Path) -> None:
    rejected(only(write(tmp_path / "a.csv", "id,text\n1,\n")), Reason.EMPTY)


def test_csv_without_text_column_is_malformed(tmp_path: Path) -> None:
    rejected(only(write(tmp_path / "a.csv", f"id,body\n1,{SENTENCE}\n")), Reason.MALFORMED_CSV)


def test_csv_empty_file_is_empty(tmp_path: Path) -> None:
    rejected(only(write(tmp_path / "a.csv", b"")), Reason.EMPTY)


def test_csv_record_above_the_cap_ends_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", f'text\n"{SENTENCE}\n' + "more\n" * 500 + f'"\n{OTHER}\n')
    (item,) = items(path, max_bytes=1_000)
    assert rejected(item, Reason.TOO_LARGE).source == f"{path.as_posix()}#row=1"


def test_csv_cp1252_line_and_utf8_bom(tmp_path: Path) -> None:
    smart = "The mayor said “seven” residents of Montréal were injured."
    path = write(tmp_path / "a.csv", b"\xef\xbb\xbftext\n" + smart.encode("cp1252") + b"\n")
    assert doc(only(path)).body == smart


def test_csv_utf16_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", f"text,id\n{SENTENCE},9\n".encode("utf-16"))
    assert (doc(only(path)).body, doc(only(path)).entry_id) == (SENTENCE, "9")


def test_csv_line_neither_utf8_nor_cp1252_is_undecodable(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", b"text\nOfficials \x81 said\n" + OTHER.encode() + b"\n")
    bad, good = items(path)
    rejected(bad, Reason.UNDECODABLE)
    assert doc(good).body == OTHER


# --------------------------------------------------------------------------- dispatch


def test_iter_documents_maps_each_path_in_order(tmp_path: Path) -> None:
    a = write(tmp_path / "x" / "a.txt", SENTENCE)
    b = jsonl(tmp_path / "b.jsonl", json.dumps({"text": OTHER}))
    sources = [item.source for item in iter_documents([str(b), str(tmp_path / "x")])]
    assert sources == [f"{b.as_posix()}#L1", a.as_posix()]


def test_url_paths_go_to_network_sources_other_schemes_are_unsupported() -> None:
    from casualty_etl.feeds import FeedSource  # feeds and URLs are tested in test_feeds.py

    assert isinstance(open_source("https://example.org/feed.xml"), FeedSource)  # not iterated: no network
    (item,) = open_source("ftp://example.org/feed.txt")
    rejected(item, Reason.UNSUPPORTED_TYPE)


def test_iter_documents_refuses_a_single_string() -> None:
    with pytest.raises(TypeError):
        list(iter_documents("data/in"))


def test_reading_twice_gives_the_same_items(tmp_path: Path) -> None:
    for name in ("b.txt", "a.txt", "c/d.md"):
        write(tmp_path / name, SENTENCE)
    assert items(tmp_path) == items(tmp_path)


# --------------------------------------------------------------------------- the bad-input corpus


def bad_corpus(root: Path) -> dict[str, str]:
    """Writes one file per kind of bad input; returns file name -> expected reason (or "article")."""
    expected: dict[str, str] = {}

    def add(name: str, content: bytes | str, outcome: str) -> None:
        write(root / name, content)
        expected[name] = outcome

    smart = "The mayor said “seven” residents of Montréal were injured."
    add("good.txt", f"Flood kills 12\n\n{SENTENCE}\n", "article")
    add("empty.txt", b"", Reason.EMPTY)
    add("blank.md", b"  \n\t\n", Reason.EMPTY)
    add("binary.txt", bytes(range(256)) * 4, Reason.BINARY)
    add("utf16.txt", smart.encode("utf-16"), "article")
    add("cp1252.txt", smart.encode("cp1252"), "article")
    add("invalid.txt", b"Officials said \x81\x8d\x90 twelve", Reason.UNDECODABLE)
    add("script.html", f"<p>{SENTENCE}</p><script>var x = 500 killed</script>", "article")
    add("deep.html", "<div>" * 100_000 + SENTENCE + "</div>" * 100_000, "article")
    add("only-script.html", "<script>var x = 500 killed</script>", Reason.EMPTY)
    add("truncated.jsonl", '{"text": "Officials said 4 peo', Reason.MALFORMED_JSON)
    add("nan.jsonl", '{"text": NaN}\n', Reason.MALFORMED_JSON)
    add("overflow.jsonl", '{"text": 1e400}\n', Reason.MALFORMED_JSON)
    add("duplicate.jsonl", '{"text": "a", "text": "b"}\n', Reason.MALFORMED_JSON)
    add("quoted.csv", f'text\n"{SENTENCE}\nOn two lines."\n', "article")
    add("no-text-column.csv", "body\nx\n", Reason.MALFORMED_CSV)
    add("nul-in-json.json", json.dumps({"text": "Officials\u0000said"}), Reason.BINARY)
    return expected


def test_every_bad_input_ends_as_an_article_or_a_specific_reject(tmp_path: Path) -> None:
    expected = bad_corpus(tmp_path)
    outcomes: dict[str, str] = {}
    for item in normalise_all(FolderSource(str(tmp_path))):
        name = item.source.removeprefix(tmp_path.as_posix() + "/").split("#")[0]
        assert name not in outcomes, f"{name} gave two items"
        outcomes[name] = "article" if isinstance(item, Article) else item.reason
        if isinstance(item, Article):
            assert "500 killed" not in item.text
    assert outcomes == {name: str(outcome) for name, outcome in expected.items()}
