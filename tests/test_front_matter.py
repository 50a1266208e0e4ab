"""Text and Markdown files may carry their metadata in a YAML front-matter block."""

from __future__ import annotations

from datetime import UTC, datetime

from casualty_etl.model import RawDocument
from casualty_etl.sources import iter_documents


def _one(tmp_path, content: bytes) -> RawDocument:
    path = tmp_path / "note.txt"
    path.write_bytes(content)
    (document,) = list(iter_documents([str(path)]))
    return document


def test_front_matter_gives_the_publication_date(tmp_path) -> None:
    doc = _one(tmp_path, b"---\npublished_at: 2025-03-03T10:00:00+02:00\n---\nFloods kill 12\n")
    assert doc.published_at == datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def test_front_matter_is_not_part_of_the_article(tmp_path) -> None:
    doc = _one(tmp_path, b"---\ntitle: Floods\n---\nFloods kill 12\n")
    assert (doc.title, doc.body) == ("Floods", b"Floods kill 12\n")


def test_a_rule_line_later_in_the_text_is_not_front_matter(tmp_path) -> None:
    doc = _one(tmp_path, b"Floods kill 12\n---\nMore below\n")
    assert doc.body == b"Floods kill 12\n---\nMore below\n"
