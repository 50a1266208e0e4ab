"""Normalisation: one ``RawDocument`` in, one ``Article`` or one ``Reject`` out.

Contract: ``normalise(raw)`` never raises on any content. It decodes bytes (BOM, then strict
UTF-8, then an HTML ``<meta charset>``, then cp1252 when the result looks like text), turns
HTML and Markdown into plain text with paragraph breaks as blank lines, applies
``model.normalise_text`` and hashes the result into ``article_id``. Metadata the source
already set wins; for HTML the page's own metadata fills the gaps (title: ``og:title``,
``<title>``, first ``<h1>``; date: ``article:published_time`` and friends; url: canonical
link or ``og:url``); for text and Markdown the title is the first non-empty line when it
looks like a headline (see ``infer_title``). The title line stays in the text.

HTML goes through selectolax (lexbor) and an iterative walk, dropping script, style,
noscript, nav, header, footer, aside, form, iframe, template (and svg, buttons, ...) and
comments. HTML nested deeper than ``MAX_HTML_DEPTH`` (a linear pre-scan) is flattened by a
linear, DOM-free pass instead, because lexbor's tree building is quadratic in that depth.
C0/C1 control characters other than tab and newline are removed from accepted text.

Rejects (stage ``decode``) use the codes in ``Reason``: ``binary`` (a NUL byte, or more than
5 % control characters), ``undecodable`` (none of the decodings apply, or a lone surrogate
in already-decoded text), ``empty`` (nothing but whitespace or markup), ``too_large`` (more
than ``max_chars`` decoded characters, or more than ``4 * max_chars`` bytes).

Deliberately not here: reading files or URLs (``sources``), language detection, encoding
guessing beyond the fixed chain above (UTF-16 without a BOM is ``binary``, Latin-2 or other
legacy 8-bit text decodes as cp1252 when it looks like text), boilerplate removal beyond
dropping a fixed set of HTML elements, and any interpretation of the text.
"""

from __future__ import annotations

import codecs
import html as html_lib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

from selectolax.lexbor import LexborHTMLParser, LexborNode

from casualty_etl.model import (
    Article,
    MediaType,
    RawDocument,
    Reject,
    RejectStage,
    article_id_of,
    normalise_text,
)

__all__ = [
    "DEFAULT_MAX_CHARS",
    "MAX_HTML_DEPTH",
    "DecodeFailure",
    "Decoded",
    "Reason",
    "decode_bytes",
    "html_to_text",
    "infer_title",
    "markdown_to_text",
    "normalise",
    "normalise_all",
    "parse_date",
]


class Reason(StrEnum):
    """Stable reject codes of the read and decode stages (``Reject.reason``)."""

    TOO_LARGE = "too_large"
    BINARY = "binary"
    UNDECODABLE = "undecodable"
    EMPTY = "empty"
    MALFORMED_JSON = "malformed_json"
    MALFORMED_CSV = "malformed_csv"
    UNSUPPORTED_TYPE = "unsupported_type"
    UNREADABLE = "unreadable"


#: Default cap on the decoded characters of one document (the sources cap bytes at 10 MB).
DEFAULT_MAX_CHARS = 10_000_000
#: HTML nested deeper than this (by a linear pre-scan of the tags) is flattened without a DOM:
#: lexbor's tree construction is quadratic in the depth of nested block elements.
MAX_HTML_DEPTH = 1000
#: A text's first line longer than this is never taken for its title.
MAX_TITLE_CHARS = 150
#: More than this share of control characters makes content binary.
MAX_CONTROL_RATIO = 0.05

_EXCERPT_CHARS = 120


# --------------------------------------------------------------------------- decoding


@dataclass(frozen=True, slots=True)
class Decoded:
    """Bytes decoded to text, with the codec that did it."""

    text: str
    encoding: str


@dataclass(frozen=True, slots=True)
class DecodeFailure:
    """Why bytes could not be decoded: ``reason`` is ``Reason.BINARY`` or ``Reason.UNDECODABLE``."""

    reason: Reason
    detail: str


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# C0 controls other than tab, newline, form feed and carriage return, plus DEL.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
_CONTROL_CHARS_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_C1_UTF8_RE = re.compile(rb"\xc2[\x80-\x9f]")  # the C1 controls U+0080-U+009F in UTF-8
_META_CHARSET_RE = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]{1,40})""", re.I)
# Non-ASCII characters that ordinary Western text in cp1252 is made of besides letters and digits.
_TEXTY_SYMBOLS = frozenset("€£¥©®°±×÷§¶·µ™")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


def decode_bytes(data: bytes, *, html: bool = False) -> Decoded | DecodeFailure:
    """Decode document bytes deterministically; never guesses beyond a fixed chain.

    1. a BOM (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE) decides, strictly;
    2. a NUL byte or more than ``MAX_CONTROL_RATIO`` control bytes -> ``binary``;
    3. strict UTF-8;
    4. with ``html=True``, the charset of a ``<meta>`` in the first 1024 bytes, strictly
       (``iso-8859-1``/``ascii`` mean cp1252 and ``utf-16`` means UTF-8, as browsers do);
    5. cp1252 when every byte is defined there and the text looks like Western text
       (at most 30 % non-ASCII, and those mostly letters or typographic punctuation);
    otherwise ``undecodable``.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                return DecodeFailure(Reason.UNDECODABLE, f"invalid {encoding} after its BOM: {exc.reason}")
            failure = _binary_text(text)
            return failure if failure is not None else Decoded(text, encoding)
    if b"\x00" in data:
        return DecodeFailure(Reason.BINARY, f"NUL byte at offset {data.index(0)}")
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if data and controls / len(data) > MAX_CONTROL_RATIO:
        return DecodeFailure(Reason.BINARY, f"{controls} control bytes in {len(data)}")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = f"invalid UTF-8 at byte {exc.start}"
    if html:
        declared = _declared_charset(data[:1024])
        if declared is not None and declared != "utf-8":
            try:
                return Decoded(data.decode(declared), declared)
            except UnicodeDecodeError:
                pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        return DecodeFailure(
            Reason.UNDECODABLE, f"{utf8_error}; byte 0x{data[exc.start]:02x} undefined in cp1252"
        )
    if not _looks_like_western_text(text):
        return DecodeFailure(Reason.UNDECODABLE, f"{utf8_error}; as cp1252 it does not look like text")
    return Decoded(text, "cp1252")


def _has_control_chars(text: str) -> bool:
    """Whether ``text`` holds a character of ``_CONTROL_CHARS_RE``, checked on its UTF-8 bytes (C0
    controls and DEL are single bytes, C1 controls are 0xC2 0x80-0x9F): several times faster than
    the regex on the text."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        return True
    return b"\xc2" in data and _C1_UTF8_RE.search(data) is not None


def _binary_text(text: str) -> DecodeFailure | None:
    if "\x00" in text:
        return DecodeFailure(Reason.BINARY, f"NUL character at offset {text.index(chr(0))}")
    if text and _has_control_chars(text):
        controls = len(text) - len(_CONTROL_CHARS_RE.sub("", text))
        if controls / len(text) > MAX_CONTROL_RATIO:
            return DecodeFailure(Reason.BINARY, f"{controls} control characters in {len(text)}")
    return None


def _declared_charset(head: bytes) -> str | None:
    match = _META_CHARSET_RE.search(head)
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None
    if name in {"latin-1", "iso8859-1", "ascii"}:
        return "cp1252"
    if name.startswith("utf-16") or name.startswith("utf-32"):
        return "utf-8"
    return None if name == "utf-7" else name


def _looks_like_western_text(text: str) -> bool:
    non_space = len(text) - sum(text.count(c) for c in " \t\r\n")
    high = _NON_ASCII_RE.findall(text)
    if not high:
        return True
    if len(high) > 0.3 * max(non_space, 1):
        return False
    texty = sum(1 for c in high if c in _TEXTY_SYMBOLS or unicodedata.category(c)[0] in "LNPZ")
    return texty >= 0.9 * len(high)


# --------------------------------------------------------------------------- HTML

_DROP_TAGS = frozenset(
    {
        "script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe",
        "template", "svg", "math", "canvas", "object", "embed", "button", "select", "textarea",
        "head", "title",
    }
)  # fmt: skip
_PARA_TAGS = frozenset(
    {
        "p", "blockquote", "pre", "table", "section", "article", "main", "figure", "hr",
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "address", "fieldset", "details",
    }
)  # fmt: skip
_LINE_TAGS = frozenset(
    {
        "div", "li", "tr", "dt", "dd", "figcaption", "caption", "summary", "legend", "center",
        "thead", "tbody", "tfoot", "body", "html", "hgroup", "menu", "dialog", "option",
    }
)  # fmt: skip
_SPACE_TAGS = frozenset({"td", "th", "img", "input", "label"})
# Elements that never hold children, or whose end tag the parser implies (they do not nest).
_NON_NESTING_TAGS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "dt", "dd", "option", "tr", "td", "th", "!doctype",
    }
)  # fmt: skip
_RAW_TEXT_TAGS = ("script", "style", "textarea", "title", "xmp", "noscript", "iframe", "template")

_HTML_WS_RE = re.compile(r"[ \t\n\r\f]+")
# Possessive quantifiers keep every match attempt linear (no backtracking into the name).
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*+|!doctype)(?=[\s/>])([^<>]*+)>", re.I)
_BLANK_LINES_RE = re.compile(r"\n(?:[ \t]*\n){2,}")
_FLAT_LINE, _FLAT_PARA = "\x01", "\x02"
_FLAT_BREAKS_RE = re.compile("[\x01\x02\n ]+")
_TAG_START_RE = re.compile(r"<(!--|/?[a-zA-Z!])")

_NONE, _SPACE, _LINE, _PARA = 0, 1, 2, 3


class _TextBuilder:
    """Collects text runs and break requests; a break is written only between two runs."""

    __slots__ = ("parts", "pending", "trailing_newlines", "last_space", "empty")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pending = _NONE
        self.trailing_newlines = 0
        self.last_space = True
        self.empty = True

    def brk(self, level: int) -> None:
        self.pending = max(self.pending, level)

    def hard_newline(self) -> None:
        """``<br>``: a line break of its own, after any pending block break."""
        if not self.empty:
            self._flush()
            self.parts.append("\n")
            self.trailing_newlines += 1
            self.last_space = True

    def _flush(self) -> None:
        if self.pending >= _LINE:
            wanted = 2 if self.pending == _PARA else 1
            if wanted > self.trailing_newlines:
                self.parts.append("\n" * (wanted - self.trailing_newlines))
                self.trailing_newlines = wanted
                self.last_space = True
        elif self.pending == _SPACE and not self.last_space:
            self.parts.append(" ")
            self.last_space = True
        self.pending = _NONE

    def text(self, run: str) -> None:
        if not run:
            return
        if not self.empty:
            self._flush()
        self.parts.append(run)
        self.empty = False
        self.pending = _NONE
        stripped = run.rstrip("\n")
        if stripped:
            self.trailing_newlines = len(run) - len(stripped)
        else:
            self.trailing_newlines += len(run)
        self.last_space = run[-1] in " \n\t"

    def flowing(self, raw: str) -> None:
        """A text node outside ``<pre>``: HTML whitespace collapses to single spaces."""
        collapsed = _HTML_WS_RE.sub(" ", raw)
        if collapsed.startswith(" "):
            self.brk(_SPACE)
        core = collapsed.strip(" ")
        if core:
            self.text(core)
            if collapsed.endswith(" "):
                self.brk(_SPACE)

    def result(self) -> str:
        return _BLANK_LINES_RE.sub("\n\n", "".join(self.parts))


def _nesting_depth(html: str) -> int:
    """Maximum element nesting by a linear scan of the tags (comments and raw text skipped)."""
    lowered = html.lower()
    depth = max_depth = 0
    pos = 0
    while True:
        match = _TAG_START_RE.search(lowered, pos)
        if match is None:
            return max_depth
        if match.group(1) == "!--":
            end = lowered.find("-->", match.end())
            if end < 0:
                return max_depth
            pos = end + 3
            continue
        tag = _TAG_RE.match(lowered, match.start())
        if tag is None:
            pos = match.end()
            continue
        pos = tag.end()
        closing, name, rest = tag.group(1), tag.group(2), tag.group(3)
        if name in _NON_NESTING_TAGS or rest.endswith("/"):
            continue
        if closing:
            depth = max(depth - 1, 0)
            continue
        depth += 1
        max_depth = max(max_depth, depth)
        if name in _RAW_TEXT_TAGS:
            end = lowered.find(f"</{name}", pos)
            if end < 0:
                return max_depth
            pos = end
    return max_depth  # pragma: no cover


@dataclass(frozen=True, slots=True)
class _HtmlMeta:
    title: str | None = None
    url: str | None = None
    published_at: datetime | None = None


_DATE_META_KEYS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
)


def _html_meta(parser: LexborHTMLParser) -> _HtmlMeta:
    metas: dict[str, str] = {}
    for node in parser.css("meta"):
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = attrs.get("content")
        if key and content and key.lower() not in metas:
            metas[key.lower()] = content
    title = _clean_title(metas.get("og:title"))
    if title is None:
        node = parser.css_first("title")
        title = _clean_title(node.text(deep=True) if node is not None else None)
    if title is None:
        node = parser.css_first("h1")
        title = _clean_title(node.text(deep=True, separator=" ") if node is not None else None)
    url = None
    canonical = parser.css_first('link[rel="canonical"]')
    for candidate in (
        canonical.attributes.get("href") if canonical is not None else None,
        metas.get("og:url"),
    ):
        if candidate and re.match(r"https?://\S+$", candidate.strip(), re.I):
            url = candidate.strip()
            break
    published = None
    for key in _DATE_META_KEYS:
        if key in metas:
            published = parse_date(metas[key])
            if published is not None:
                break
    if published is None:
        node = parser.css_first("time[datetime]")
        if node is not None:
            published = parse_date(node.attributes.get("datetime") or "")
    return _HtmlMeta(title, url, published)


def _walk_text(start: LexborNode, out: _TextBuilder) -> None:
    """Depth-first walk without recursion (parent/next pointers), emitting text and breaks."""
    in_pre = 0
    start_id = start.mem_id
    node: LexborNode | None = start
    while node is not None:
        tag = node.tag
        descend = False
        if tag == "-text":
            raw = node.text_content or ""
            if in_pre:
                out.text(raw)
            else:
                out.flowing(raw)
        elif tag is not None and not tag.startswith("-") and tag not in _DROP_TAGS:
            if tag == "br":
                out.hard_newline()
            elif tag in _PARA_TAGS:
                out.brk(_PARA)
            elif tag in _LINE_TAGS:
                out.brk(_LINE)
            elif tag in _SPACE_TAGS:
                out.brk(_SPACE)
            if tag == "pre":
                in_pre += 1
            descend = True
        child = node.first_child if descend else None
        if child is not None:
            node = child
            continue
        # Leave this node and every ancestor that has no next sibling.
        while node is not None:
            tag = node.tag
            if tag is not None and tag not in _DROP_TAGS and not tag.startswith("-"):
                if tag in _PARA_TAGS:
                    out.brk(_PARA)
                elif tag in _LINE_TAGS:
                    out.brk(_LINE)
                elif tag in _SPACE_TAGS:
                    out.brk(_SPACE)
                if tag == "pre":
                    in_pre -= 1
            if node.mem_id == start_id:
                node = None
                break
            sibling = node.next
            if sibling is not None:
                node = sibling
                break
            node = node.parent


def _cut_elements(html: str, lowered: str, tags: Iterable[str]) -> tuple[str, str]:
    """Remove ``<tag ...>...</tag>`` spans (first end tag wins; unclosed runs to the end). Linear."""
    for name in tags:
        pieces: list[str] = []
        low_pieces: list[str] = []
        pos = 0
        pattern = re.compile(rf"<{name}(?=[\s/>])")
        while True:
            match = pattern.search(lowered, pos)
            if match is None:
                break
            pieces.append(html[pos : match.start()])
            low_pieces.append(lowered[pos : match.start()])
            end = lowered.find(f"</{name}", match.end())
            if end < 0:
                pos = len(html)
                break
            close = lowered.find(">", end)
            pos = len(html) if close < 0 else close + 1
            pieces.append(" ")
            low_pieces.append(" ")
        pieces.append(html[pos:])
        low_pieces.append(lowered[pos:])
        html, lowered = "".join(pieces), "".join(low_pieces)
    return html, lowered


def _flat_html_text(html: str) -> tuple[str, str | None]:
    """Text of pathologically nested HTML without building a DOM: every step is linear.

    Comments and dropped elements are cut out (not nesting-aware), block tags become line
    breaks, other tags vanish, entities are unescaped. Returns (text, title).
    """
    lowered = html.lower()
    # Comments first.
    pieces: list[str] = []
    pos = 0
    while True:
        start = lowered.find("<!--", pos)
        if start < 0:
            pieces.append(html[pos:])
            break
        pieces.append(html[pos:start])
        end = lowered.find("-->", start + 4)
        if end < 0:
            break
        pos = end + 3
    html = "".join(pieces)
    lowered = html.lower()
    title = None
    start = lowered.find("<title")
    if start >= 0:
        open_end = lowered.find(">", start)
        end = lowered.find("</title", open_end)
        if open_end >= 0 and end >= 0:
            title = _clean_title(html_lib.unescape(html[open_end + 1 : end]))
    html, lowered = _cut_elements(html, lowered, sorted(_DROP_TAGS))
    html = _HTML_WS_RE.sub(" ", html)

    def tag(match: re.Match[str]) -> str:
        name = match.group(2).lower()
        if name == "br":
            return "\n"
        if name in _PARA_TAGS:
            return _FLAT_PARA
        if name in _LINE_TAGS:
            return _FLAT_LINE
        if name in _SPACE_TAGS:
            return " "
        return ""

    def breaks(match: re.Match[str]) -> str:
        run = match.group(0)
        newlines = run.count("\n")
        if _FLAT_PARA in run:
            newlines = max(newlines, 2)
        elif _FLAT_LINE in run:
            newlines = max(newlines, 1)
        return "\n" * newlines if newlines else " "

    # Control characters were removed before, so two of them can mark block breaks: adjacent
    # breaks merge to the strongest, as in the DOM walk.
    text = _FLAT_BREAKS_RE.sub(breaks, _TAG_RE.sub(tag, html))
    text = html_lib.unescape(text)
    text = "\n".join(line.strip(" ") for line in text.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", text).strip(), title


def html_to_text(html: str) -> str:
    """Readable text of an HTML document: paragraphs separated by blank lines, headings and
    list items on their own lines, dropped elements (scripts, navigation, forms...) gone."""
    return _html_document(html)[0]


def _html_document(html: str) -> tuple[str, _HtmlMeta]:
    if _nesting_depth(html) > MAX_HTML_DEPTH:
        text, title = _flat_html_text(html)
        return text, _HtmlMeta(title=title)
    parser = LexborHTMLParser(html)
    builder = _TextBuilder()
    body = parser.body
    if body is not None:
        _walk_text(body, builder)
    return builder.result(), _html_meta(parser)


# --------------------------------------------------------------------------- Markdown

_MD_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_MD_LINK_DEF_RE = re.compile(r"^ {0,3}\[[^\]\n]{1,500}\]:\s*\S+")
_MD_RULE_RE = re.compile(r"^ {0,3}(?:(?:[-*_] *){3,}|=+ *|-+ *)$")
_MD_TABLE_RULE_RE = re.compile(r"\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?")  # on the stripped line
_MD_HEADING_RE = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)")
_MD_QUOTE_RE = re.compile(r"^ {0,3}(?:> ?)+")
_MD_BULLET_RE = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+")
_MD_IMAGE_RE = re.compile(r"!\[([^\[\]\n]{0,500})\]\([^()\s]{0,2000}(?:\s+\"[^\"\n]{0,500}\")?\)")
_MD_LINK_RE = re.compile(
    r"\[([^\[\]\n]{1,500})\](?:\([^()\s]{0,2000}(?:\s+\"[^\"\n]{0,500}\")?\)|\[[^\[\]\n]{0,500}\])"
)
_MD_AUTOLINK_RE = re.compile(r"<((?:https?|mailto):[^<>\s]{1,2000})>")
_MD_CODE_RE = re.compile(r"`([^`\n]{1,2000})`")
_MD_STRONG_RE = re.compile(r"(\*\*|__)(?=\S)((?:(?!\1)[^\n]){1,2000}?)(?<=\S)\1")
_MD_EM_STAR_RE = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]{1,2000}?)(?<=[^\s*\\])\*(?![\w*])")
_MD_EM_UNDERSCORE_RE = re.compile(r"(?<![\w\\])_(?=[^\s_])([^_\n]{1,2000}?)(?<=[^\s_\\])_(?!\w)")
_MD_STRIKE_RE = re.compile(r"~~(?=\S)([^~\n]{1,2000}?)(?<=\S)~~")
_MD_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _strip_closing_hashes(heading: str) -> str:
    """``Title ##`` -> ``Title`` (string methods, not a backtracking regex)."""
    stripped = heading.rstrip()
    core = stripped.rstrip("#")
    if core != stripped and (not core or core[-1] in " \t"):
        return core.rstrip()
    return heading


def markdown_to_text(markdown: str) -> str:
    """Minimal Markdown stripping, line by line and linear: heading, quote and list markers,
    emphasis, code spans and fences, rules and link definitions go; links and images keep
    their text. Raw HTML inside Markdown is left as it is."""
    out: list[str] = []
    in_fence = False
    for line in markdown.split("\n"):
        if _MD_FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append(line)
            continue
        if _MD_LINK_DEF_RE.match(line):
            continue
        stripped = line.strip()
        if stripped and (_MD_RULE_RE.match(line) or _MD_TABLE_RULE_RE.fullmatch(stripped)):
            out.append("")
            continue
        if _MD_HEADING_RE.match(line):
            line = _strip_closing_hashes(_MD_HEADING_RE.sub("", line, count=1))
        line = _MD_QUOTE_RE.sub("", line, count=1)
        line = _MD_BULLET_RE.sub(r"\1", line, count=1)
        # Each pattern only where its marker occurs: most lines of prose have none.
        if "[" in line:
            line = _MD_LINK_RE.sub(r"\1", _MD_IMAGE_RE.sub(r"\1", line))
        if "<" in line:
            line = _MD_AUTOLINK_RE.sub(r"\1", line)
        if "`" in line:
            line = _MD_CODE_RE.sub(r"\1", line)
        if "*" in line or "_" in line:
            line = _MD_STRONG_RE.sub(r"\2", line)
            line = _MD_EM_UNDERSCORE_RE.sub(r"\1", _MD_EM_STAR_RE.sub(r"\1", line))
        if "~~" in line:
            line = _MD_STRIKE_RE.sub(r"\1", line)
        if "\\" in line:
            line = _MD_ESCAPE_RE.sub(r"\1", line)
        out.append(line)
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(out))


# --------------------------------------------------------------------------- metadata

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_DAY_MONTH_YEAR_RE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$", re.I)
_MONTH_DAY_YEAR_RE = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$", re.I)
_YMD_SLASH_RE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")


def parse_date(value: str | None) -> datetime | None:
    """A publication date as a tz-aware UTC datetime, or None; never "now", never raises.

    Accepts ISO 8601 (``2024-03-05``, ``2024-03-05T10:00:00+02:00``, ``...Z``), RFC 2822
    (``Tue, 05 Mar 2024 10:00:00 +0000``) and plain English dates (``5 March 2024``,
    ``March 5, 2024``, ``2024/03/05``). A value without a zone is taken as UTC. Ambiguous
    numeric dates (``05/03/2024``) are None.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        pass
    if parsed is None:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        parsed = _plain_date(text)
    if parsed is None:
        return None
    try:
        if parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _plain_date(text: str) -> datetime | None:
    year = month = day = None
    if match := _DAY_MONTH_YEAR_RE.match(text):
        day, month, year = int(match.group(1)), _MONTHS.get(match.group(2).lower()), int(match.group(3))
    elif match := _MONTH_DAY_YEAR_RE.match(text):
        month, day, year = _MONTHS.get(match.group(1).lower()), int(match.group(2)), int(match.group(3))
    elif match := _YMD_SLASH_RE.match(text):
        year, month, day = (int(g) for g in match.groups())
    if year is None or month is None or day is None:
        return None
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def _clean_title(value: str | None) -> str | None:
    if value is None:
        return None
    title = unicodedata.normalize("NFC", " ".join(value.split()))
    return title or None


def infer_title(text: str) -> str | None:
    """The first non-empty line of a normalised text when it reads like a headline: at most
    ``MAX_TITLE_CHARS`` characters, not ending in ``.``, ``,``, ``;`` or ``:``, and followed by
    more text. Otherwise None (a one-paragraph text has no title)."""
    lines = [line.strip() for line in text.split("\n")]
    non_empty = [i for i, line in enumerate(lines) if line]
    if len(non_empty) < 2:
        return None
    first = lines[non_empty[0]]
    if len(first) > MAX_TITLE_CHARS or first[-1] in ".,;:":
        return None
    return _clean_title(first)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# --------------------------------------------------------------------------- normalise


def _reject(raw: RawDocument, reason: Reason, detail: str, excerpt: str | None = None) -> Reject:
    return Reject(
        source=raw.source,
        stage=RejectStage.DECODE,
        reason=reason.value,
        detail=detail,
        excerpt=excerpt[:_EXCERPT_CHARS] if excerpt else None,
    )


def normalise(raw: RawDocument, *, max_chars: int = DEFAULT_MAX_CHARS) -> Article | Reject:
    """Decode, strip markup and normalise one raw document. Never raises on its content."""
    if isinstance(raw.body, bytes):
        if len(raw.body) > 4 * max_chars:  # no codec here spends more than 4 bytes on a character
            return _reject(raw, Reason.TOO_LARGE, f"{len(raw.body)} bytes, limit {max_chars} characters")
        decoded = decode_bytes(raw.body, html=raw.media_type is MediaType.HTML)
        if isinstance(decoded, DecodeFailure):
            return _reject(raw, decoded.reason, decoded.detail)
        body = decoded.text
    else:
        body = raw.body
        failure = _binary_text(body)
        if failure is not None:
            return _reject(raw, failure.reason, failure.detail)
        try:
            body.encode("utf-8")
        except UnicodeEncodeError as exc:
            return _reject(raw, Reason.UNDECODABLE, f"lone surrogate at offset {exc.start}")
    if len(body) > max_chars:
        return _reject(raw, Reason.TOO_LARGE, f"{len(body)} characters, limit {max_chars}")
    if not body.strip():
        return _reject(raw, Reason.EMPTY, "no text")
    body = body.replace("\f", "\n")
    if _has_control_chars(body):  # most texts have none
        body = _CONTROL_CHARS_RE.sub("", body)

    meta = _HtmlMeta()
    if raw.media_type is MediaType.HTML:
        plain, meta = _html_document(body)
    elif raw.media_type is MediaType.MARKDOWN:
        plain = markdown_to_text(body)
    else:
        plain = body
    text = normalise_text(plain if plain is body else _CONTROL_CHARS_RE.sub("", plain))
    if not text.strip():
        return _reject(raw, Reason.EMPTY, f"no text left after reading it as {raw.media_type.value}", body)

    title = _clean_title(raw.title)
    if title is None:
        title = meta.title if raw.media_type is MediaType.HTML else infer_title(text)
    return Article(
        article_id=article_id_of(text, normalised=True),
        source=raw.source,
        text=text,
        title=title,
        url=raw.url or meta.url,
        published_at=_utc(raw.published_at) or meta.published_at,
        entry_id=raw.entry_id,
    )


def normalise_all(
    items: Iterable[RawDocument | Reject], *, max_chars: int = DEFAULT_MAX_CHARS
) -> Iterator[Article | Reject]:
    """``normalise`` over a source's output; its rejects pass through unchanged."""
    for item in items:
        yield item if isinstance(item, Reject) else normalise(item, max_chars=max_chars)
