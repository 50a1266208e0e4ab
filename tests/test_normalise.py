"""normalise: RawDocument -> Article | Reject, on a bad-input corpus generated here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import casualty_etl.normalise as normalise_module
from casualty_etl.model import Article, MediaType, RawDocument, Reject, RejectStage, article_id_of
from casualty_etl.normalise import (
    MAX_HTML_DEPTH,
    Reason,
    decode_bytes,
    html_to_text,
    infer_title,
    markdown_to_text,
    normalise,
    normalise_all,
    parse_date,
)

SENTENCE = "Officials said 12 people were killed in the flood."
SMART = "The mayor said “seven” residents of Montréal were injured – none seriously."


def article(body: bytes | str, media_type: MediaType = MediaType.TEXT, **kwargs: object) -> Article:
    result = normalise(RawDocument("doc", body, media_type, **kwargs))  # type: ignore[arg-type]
    assert isinstance(result, Article), result
    return result


def reject(body: bytes | str, media_type: MediaType = MediaType.TEXT, **kwargs: object) -> Reject:
    result = normalise(RawDocument("doc", body, media_type), **kwargs)  # type: ignore[arg-type]
    assert isinstance(result, Reject), result
    assert result.stage is RejectStage.DECODE
    return result


# --------------------------------------------------------------------------- plain text


def test_utf8_text_becomes_article_with_hash_of_normalised_text() -> None:
    result = article(f"Flood kills 12\r\n\r\n{SENTENCE}   \r\n".encode())
    assert result.text == f"Flood kills 12\n\n{SENTENCE}"
    assert result.article_id == article_id_of(result.text)
    assert result.source == "doc"
    assert result.title == "Flood kills 12"


def test_metadata_of_raw_document_is_kept() -> None:
    when = datetime(2024, 3, 5, 10, tzinfo=UTC)
    result = article(SENTENCE, title="Flood", url="https://example.org/a", published_at=when, entry_id="e1")
    assert (result.title, result.url, result.published_at, result.entry_id) == (
        "Flood",
        "https://example.org/a",
        when,
        "e1",
    )


def test_naive_published_at_is_taken_as_utc() -> None:
    assert article(SENTENCE, published_at=datetime(2024, 3, 5, 10)).published_at == datetime(
        2024, 3, 5, 10, tzinfo=UTC
    )


def test_aware_published_at_is_converted_to_utc() -> None:
    when = datetime(2024, 3, 5, 12, tzinfo=timezone(timedelta(hours=2)))
    assert article(SENTENCE, published_at=when).published_at == datetime(2024, 3, 5, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (f"Flood kills 12\n\n{SENTENCE}", "Flood kills 12"),
        (f"{SENTENCE}\n\nA second paragraph follows.", None),  # ends with a full stop
        (SENTENCE, None),  # a single line is the text, not a title
        (f"{'Long headline ' * 20}\n{SENTENCE}", None),
    ],
    ids=["headline", "sentence", "single-line", "too-long"],
)
def test_infer_title(text: str, title: str | None) -> None:
    assert infer_title(text) == title


def test_empty_bytes_are_rejected_as_empty() -> None:
    assert reject(b"").reason == Reason.EMPTY


def test_whitespace_only_is_rejected_as_empty() -> None:
    assert reject(b" \r\n\t \n").reason == Reason.EMPTY


def test_nul_bytes_are_binary() -> None:
    assert reject(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").reason == Reason.BINARY


def test_many_control_bytes_are_binary() -> None:
    assert reject(b"abc\x01\x02\x03\x04\x05def\x06\x07\x08").reason == Reason.BINARY


def test_nul_in_already_decoded_text_is_binary() -> None:
    assert reject("Officials\x00 said").reason == Reason.BINARY


def test_lone_surrogate_in_decoded_text_is_undecodable() -> None:
    assert reject("Officials said \ud800 twelve").reason == Reason.UNDECODABLE


@pytest.mark.parametrize(
    "encoded",
    [
        SMART.encode("utf-16"),
        "\ufeff".encode("utf-16-be") + SMART.encode("utf-16-be"),
        b"\xef\xbb\xbf" + SMART.encode(),
    ],
    ids=["utf16-le-bom", "utf16-be-bom", "utf8-bom"],
)
def test_bom_decides_the_encoding(encoded: bytes) -> None:
    assert article(encoded).text == SMART


def test_utf16_with_bom_but_odd_length_is_undecodable() -> None:
    assert reject(SMART.encode("utf-16") + b"\x00").reason == Reason.UNDECODABLE


def test_cp1252_smart_quotes_and_accents() -> None:
    assert article(SMART.encode("cp1252")).text == SMART


def test_bytes_undefined_in_cp1252_are_undecodable() -> None:
    assert reject(b"Officials said \x81\x8d twelve").reason == Reason.UNDECODABLE


def test_legacy_non_western_text_is_not_read_as_cp1252() -> None:
    assert reject("Власти сообщили о двенадцати погибших".encode("cp1251")).reason == Reason.UNDECODABLE


def test_decode_bytes_reports_codec() -> None:
    assert decode_bytes(SMART.encode("cp1252")).encoding == "cp1252"  # type: ignore[union-attr]


def test_control_characters_are_removed_from_accepted_text() -> None:
    assert article(f"{SENTENCE}\x1b[0m\fNext page.".encode()).text == f"{SENTENCE}[0m\nNext page."


def test_more_than_max_chars_is_too_large() -> None:
    assert reject(SENTENCE * 10, max_chars=100).reason == Reason.TOO_LARGE


# --------------------------------------------------------------------------- HTML

PAGE = """<!doctype html><html><head>
<title>Flood kills 12 | Example News</title>
<meta property="og:title" content="Flood kills 12 &amp; leaves 40 homeless">
<meta property="article:published_time" content="2024-03-05T10:00:00+02:00">
<link rel="canonical" href="https://example.org/flood">
<style>p { color: red } /* 99 dead */</style>
<script>var x = 500 killed;</script>
</head><body>
<header><a href="/">Example News</a></header>
<nav><ul><li>Home</li><li>World</li></ul></nav>
<!-- 77 wounded in a comment -->
<article>
<h1>Flood kills 12</h1>
<p>Officials said <b>12</b> people
   were killed in the flood.</p>
<p>Rescuers &ndash; about 30 &ndash; searched the river&nbsp;banks.<br>Roads were closed.</p>
<ul><li>Two bridges collapsed.</li><li>Power was cut.</li></ul>
<script>document.write("var x = 500 killed")</script>
<noscript>Enable scripts to see 300 injured.</noscript>
<form><label>Search</label><input name="q"><button>Go 88</button></form>
</article>
<aside>Related: 1000 evacuated elsewhere</aside>
<footer>© 2024 Example News</footer>
</body></html>"""


def test_html_text_keeps_blocks_and_drops_boilerplate() -> None:
    result = article(PAGE.encode(), MediaType.HTML)
    assert result.text == (
        "Flood kills 12\n\n"
        "Officials said 12 people were killed in the flood.\n\n"
        "Rescuers – about 30 – searched the river\xa0banks.\n"
        "Roads were closed.\n\n"
        "Two bridges collapsed.\n"
        "Power was cut."
    )


def test_html_metadata_fills_title_date_and_url() -> None:
    result = article(PAGE.encode(), MediaType.HTML)
    assert result.title == "Flood kills 12 & leaves 40 homeless"
    assert result.published_at == datetime(2024, 3, 5, 8, tzinfo=UTC)
    assert result.url == "https://example.org/flood"


def test_html_metadata_of_the_source_wins() -> None:
    result = article(PAGE.encode(), MediaType.HTML, title="Given", url="https://example.org/given")
    assert (result.title, result.url) == ("Given", "https://example.org/given")


def test_html_title_falls_back_to_title_element_then_h1() -> None:
    with_title = "<title> River  rises </title><h1>Heading</h1><p>Text.</p>"
    only_h1 = "<h1>River <i>rises</i></h1><p>Text.</p>"
    assert article(with_title, MediaType.HTML).title == "River rises"
    assert article(only_h1, MediaType.HTML).title == "River rises"


def test_html_script_text_never_reaches_the_text() -> None:
    result = article(PAGE.encode(), MediaType.HTML)
    for hidden in ("500 killed", "99 dead", "77 wounded", "300 injured", "1000 evacuated", "88", "Home"):
        assert hidden not in result.text


def test_html_preformatted_text_keeps_its_lines() -> None:
    assert article("<pre>Killed:  3\nInjured: 5</pre>", MediaType.HTML).text == "Killed:  3\nInjured: 5"


def test_html_with_only_scripts_is_empty() -> None:
    assert reject("<html><script>var x = 500 killed</script></html>", MediaType.HTML).reason == Reason.EMPTY


def test_html_meta_charset_is_used_when_not_utf8() -> None:
    page = '<meta charset="windows-1251"><p>Власти сообщили о 12 погибших.</p>'.encode("cp1251")
    assert article(page, MediaType.HTML).text == "Власти сообщили о 12 погибших."


def test_html_cp1252_without_declaration() -> None:
    assert article(f"<p>{SMART}</p>".encode("cp1252"), MediaType.HTML).text == SMART


def test_deeply_nested_html_does_not_crash_or_recurse() -> None:
    depth = 100_000
    page = "<div>" * depth + f"<p>{SENTENCE}</p><script>var x = 500 killed</script>" + "</div>" * depth
    result = article(page.encode(), MediaType.HTML)
    assert result.text == SENTENCE


def test_nested_html_below_the_flattening_limit_uses_the_dom_walk() -> None:
    depth = MAX_HTML_DEPTH - 10
    page = "<section>" * depth + f"<h2>Flood</h2><p>{SENTENCE}</p>" + "</section>" * depth
    assert html_to_text(page) == f"Flood\n\n{SENTENCE}"


def test_flattened_html_reads_like_the_dom_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = html_to_text(PAGE)
    monkeypatch.setattr(normalise_module, "MAX_HTML_DEPTH", 0)
    assert html_to_text(PAGE) == expected


def test_deep_unclosed_tags_are_flattened() -> None:
    page = "<div><blockquote>" * 50_000 + SENTENCE
    assert article(page, MediaType.HTML).text == SENTENCE


# --------------------------------------------------------------------------- Markdown


def test_markdown_markup_is_stripped() -> None:
    markdown = (
        "# Flood kills 12 #\n\n"
        'Officials said **12** people were *killed* in the [flood](https://example.org/f "t").\n\n'
        "- Two bridges `collapsed`.\n"
        "1. Power_line was cut.\n\n"
        "---\n"
        "> Roads were closed.\n\n"
        "```\nraw 5 lines\n```\n"
        "[ref]: https://example.org\n"
    )
    assert markdown_to_text(markdown).strip() == (
        "Flood kills 12\n\n"
        "Officials said 12 people were killed in the flood.\n\n"
        "Two bridges collapsed.\n"
        "Power_line was cut.\n\n"
        "Roads were closed.\n\n"
        "raw 5 lines"
    )


def test_markdown_inline_markup_keeps_its_text() -> None:
    line = r"Officials said \*12\* died, see ![a map](https://example.org/m.png) and <https://example.org>."
    assert markdown_to_text(line + " snake_case 5*3*2 ~~old~~") == (
        "Officials said *12* died, see a map and https://example.org. snake_case 5*3*2 old"
    )


def test_markdown_document_gets_heading_as_title() -> None:
    result = article(f"## Flood kills 12\n\n{SENTENCE}\n".encode(), MediaType.MARKDOWN)
    assert (result.title, result.text) == ("Flood kills 12", f"Flood kills 12\n\n{SENTENCE}")


def test_markdown_pathological_emphasis_is_linear() -> None:
    line = "*a" * 200_000 + " **b" * 100_000 + "[x" * 100_000
    assert len(markdown_to_text(line)) > 0


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024-03-05T10:00:00Z", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("2024-03-05T12:30:00+02:00", datetime(2024, 3, 5, 10, 30, tzinfo=UTC)),
        ("2024-03-05T10:00:00", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 11:00:00 +0100", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("5 March 2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("March 5, 2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024/03/05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("05/03/2024", None),
        ("yesterday", None),
        ("", None),
        (None, None),
        ("2024-02-30", None),
        ("0001-01-01T00:00:00+05:00", None),
    ],
    ids=[
        "iso-date",
        "iso-z",
        "iso-offset",
        "iso-naive",
        "rfc2822",
        "day-month-year",
        "month-day-year",
        "ymd-slash",
        "ambiguous",
        "relative",
        "blank",
        "none",
        "invalid-day",
        "overflow",
    ],
)
def test_parse_date(value: str | None, expected: datetime | None) -> None:
    assert parse_date(value) == expected


# --------------------------------------------------------------------------- never raises


def test_normalise_all_passes_rejects_through() -> None:
    earlier = Reject("x", RejectStage.READ, Reason.TOO_LARGE, "big")
    items = list(normalise_all([earlier, RawDocument("y", SENTENCE)]))
    assert items[0] is earlier
    assert isinstance(items[1], Article)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(st.binary(max_size=300), st.text(max_size=300)),
    media_type=st.sampled_from(list(MediaType)),
)
def test_any_input_ends_as_article_or_reject(body: bytes | str, media_type: MediaType) -> None:
    result = normalise(RawDocument("fuzz", body, media_type))
    assert isinstance(result, Article | Reject)
    if isinstance(result, Article):
        assert result.text.strip()
        assert result.article_id == article_id_of(result.text)
    else:
        assert result.reason in {r.value for r in Reason}


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<div>",
                "</div>",
                "<p>",
                "<b>",
                "</p>",
                "<!--",
                "-->",
                "<script>",
                "x 1 ",
                "&amp;",
                "<br>",
                "\n",
            ]
        ),
        max_size=60,
    )
)
def test_html_fragments_never_raise(pieces: list[str]) -> None:
    page = "".join(pieces)
    assert isinstance(normalise(RawDocument("fuzz", page, MediaType.HTML)), Article | Reject)
    with mock.patch.object(normalise_module, "MAX_HTML_DEPTH", 0):  # the flattening path too
        assert isinstance(normalise(RawDocument("fuzz", page, MediaType.HTML)), Article | Reject)


@given(st.text())
def test_normalise_text_is_idempotent(text: str) -> None:
    """``normalise`` hashes its output without normalising it again: that is only right if this holds."""
    from casualty_etl.model import normalise_text

    once = normalise_text(text)
    assert normalise_text(once) == once


@given(st.text())
def test_control_character_check_agrees_with_the_pattern(text: str) -> None:
    """The fast byte-level check must say exactly what the control-character regex says."""
    assert normalise_module._has_control_chars(text) == (
        normalise_module._CONTROL_CHARS_RE.search(text) is not None
    )
