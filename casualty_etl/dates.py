"""The event date of a figure: the day the counted people were killed, injured, displaced...

Contract: ``event_date(text, sentence=(start, end), span=(start, end), published_at) -> EventDate``.
Looks only inside the figure's sentence, and takes the date mention nearest to the figure's span:

1. ``explicit``: a calendar date ("on 12 March", "March 12, 2025", "2025-03-12"); without a year,
   the year that puts the date on or before the publication day (plus one day of slack for time
   zones), so "Dec 30" in a 2 January paper is the previous December;
2. ``weekday``: "on Tuesday", "Monday's attack": the most recent such weekday on or before the
   publication day; after a word of ``weekday_strictly_before`` ("last Friday") strictly before it;
3. ``relative``: "yesterday", "today", "last night": an offset from the publication day;

else ``published`` (the publication day, UTC), else ``none`` (no date at all). Ties in distance go to
the more precise kind (explicit, then weekday, then relative). ``Period``, ``period_start`` and
``period_label`` name the calendar periods of the rollups (day, ISO week, month). Every calendar word
comes from ``casualty_etl/lexicon/dates_<lang>.yaml``, validated once per process by ``load_calendar``.

Deliberately not here: reading dates from other sentences or the dateline (a sentence's own words
decide; the caller passes the dateline as ``ignore``: its date is when the story was filed), time of
day and time zones (a date is a calendar day; publication times are taken in UTC),
future references ("next week") and date ranges ("between 3 and 5 March" reads as 5 March).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from importlib import resources
from typing import Any

import yaml

#: Package folder holding the language data files.
_DATA_PACKAGE = "casualty_etl.lexicon"
#: Days a date without a year may lie after the publication day before it is taken as last year's.
_YEAR_SLACK_DAYS = 1


class CalendarError(ValueError):
    """The calendar data file is malformed; the message names the key at fault."""


class DateHow(StrEnum):
    """Where an event date came from (the ``date_how`` column)."""

    EXPLICIT = "explicit"
    WEEKDAY = "weekday"
    RELATIVE = "relative"
    PUBLISHED = "published"
    NONE = "none"


#: Preference between date mentions at the same distance from the figure: lower is preferred.
_PRECISION = {DateHow.EXPLICIT: 0, DateHow.WEEKDAY: 1, DateHow.RELATIVE: 2}


@dataclass(frozen=True, slots=True)
class EventDate:
    """The event date of one figure; ``date`` is None only when ``how`` is ``none``."""

    date: date | None
    how: DateHow


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date written in a text: ``text[start:end]`` resolved to ``date``."""

    start: int
    end: int
    date: date
    how: DateHow


@dataclass(frozen=True, slots=True)
class Calendar:
    """The compiled calendar words of one language."""

    language: str
    months: Mapping[str, int]  # lower-case name -> month number
    weekdays: Mapping[str, int]  # lower-case name -> ISO weekday (Monday = 1)
    strictly_before: frozenset[str]
    relative_days: Mapping[str, int]  # lower-case phrase -> offset in days
    day_month: re.Pattern[str]
    month_day: re.Pattern[str]
    iso_date: re.Pattern[str]
    weekday: re.Pattern[str]
    relative: re.Pattern[str]
    month_name: re.Pattern[str]  # one month name as written in running text or a dateline

    def month_of(self, word: str) -> int | None:
        """Month number of a month name as written ("Sept", "MARCH"), or None."""
        return self.months.get(word.rstrip(".").lower())


# --- loading ------------------------------------------------------------------------------------------


def _require_keys(where: str, data: Any, allowed: set[str]) -> None:
    if not isinstance(data, Mapping):
        raise CalendarError(f"{where}: expected a mapping")
    unknown, missing = set(data) - allowed, allowed - set(data)
    if unknown:
        raise CalendarError(f"{where}: unknown key(s) {sorted(unknown)}")
    if missing:
        raise CalendarError(f"{where}: missing key(s) {sorted(missing)}")


def _words(where: str, values: Any) -> list[str]:
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str) and v.strip() for v in values)
    ):
        raise CalendarError(f"{where}: expected a non-empty list of words")
    return [v.strip().lower() for v in values]


def _numbered(where: str, data: Any, first: int, last: int) -> dict[str, int]:
    if not isinstance(data, Mapping) or set(data) != set(range(first, last + 1)):
        raise CalendarError(f"{where}: expected exactly the keys {first}..{last}")
    names: dict[str, int] = {}
    for number, values in data.items():
        for word in _words(f"{where}.{number}", values):
            if word in names:
                raise CalendarError(f"{where}: {word!r} is listed twice")
            names[word] = int(number)
    return names


def _alternation(words: list[str], *, capitalised: bool) -> str:
    """Regex alternation of ``words``, longest first; capitalised: only Title and UPPER forms."""
    forms: set[str] = set()
    for word in words:
        if capitalised:
            forms.update({word[:1].upper() + word[1:], word.upper()})
        else:
            forms.add(word)
    return "|".join(
        re.escape(form).replace(r"\ ", r"\s+") for form in sorted(forms, key=lambda w: (-len(w), w))
    )


def parse_calendar(data: Any, language: str) -> Calendar:
    """Validate and compile calendar data (the parsed YAML); raises :class:`CalendarError`."""
    _require_keys(
        "calendar",
        data,
        {
            "language",
            "months",
            "weekdays",
            "weekday_strictly_before",
            "ordinal_suffixes",
            "day_month_joiners",
            "relative_days",
        },
    )
    if data["language"] != language:
        raise CalendarError(f"language: file says {data['language']!r}, expected {language!r}")
    months = _numbered("months", data["months"], 1, 12)
    weekdays = _numbered("weekdays", data["weekdays"], 1, 7)
    strictly_before = _words("weekday_strictly_before", data["weekday_strictly_before"])
    suffixes = _words("ordinal_suffixes", data["ordinal_suffixes"])
    joiners = _words("day_month_joiners", data["day_month_joiners"])
    entries = data["relative_days"]
    if not isinstance(entries, list) or not entries:
        raise CalendarError("relative_days: expected a non-empty list")
    relative: dict[str, int] = {}
    for n, entry in enumerate(entries):
        _require_keys(f"relative_days[{n}]", entry, {"phrase", "days"})
        phrase = " ".join(str(entry["phrase"]).lower().split())
        days = entry["days"]
        if not phrase or isinstance(days, bool) or not isinstance(days, int):
            raise CalendarError(f"relative_days[{n}]: expected a phrase and an integer number of days")
        if phrase in relative:
            raise CalendarError(f"relative_days: {phrase!r} is listed twice")
        relative[phrase] = days

    month = _alternation(list(months), capitalised=True)
    weekday = _alternation(list(weekdays), capitalised=True)
    suffix = "(?:" + _alternation(suffixes, capitalised=False) + ")?"
    joiner = "(?:(?:" + _alternation(joiners, capitalised=False) + r")\s+)?"
    year = r"(?:,?\s+(?P<year>\d{4})\b)?"
    modifier = (
        _alternation(strictly_before, capitalised=False)
        + "|"
        + _alternation(strictly_before, capitalised=True)
    )
    return Calendar(
        language=language,
        months=months,
        weekdays=weekdays,
        strictly_before=frozenset(strictly_before),
        relative_days=relative,
        day_month=re.compile(rf"\b(?P<day>\d{{1,2}}){suffix}\b\s+{joiner}(?P<month>{month})\b\.?{year}"),
        month_day=re.compile(rf"\b(?P<month>{month})\b\.?\s+(?P<day>\d{{1,2}}){suffix}\b(?![.,]?\d){year}"),
        iso_date=re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
        weekday=re.compile(rf"\b(?:(?P<modifier>{modifier})\s+)?(?P<weekday>{weekday})\b"),
        relative=re.compile(rf"\b(?:{_alternation(list(relative), capitalised=False)})\b", re.IGNORECASE),
        month_name=re.compile(rf"^(?:{month})\.?$"),
    )


def load_calendar(language: str = "en") -> Calendar:
    """The compiled calendar of ``language`` (read once per process); raises :class:`CalendarError`."""
    return _calendar(language)


@functools.cache  # keyed on the positional language only, so every spelling of a call shares one entry
def _calendar(language: str) -> Calendar:
    try:
        raw = resources.files(_DATA_PACKAGE).joinpath(f"dates_{language}.yaml").read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CalendarError(f"no calendar data for language {language!r}") from exc
    return parse_calendar(yaml.safe_load(raw), language)


# --- resolving ------------------------------------------------------------------------------------------


def publication_day(published_at: datetime | date | None) -> date | None:
    """The UTC calendar day of a publication time (a naive time is taken as UTC); None stays None."""
    if published_at is None or published_at != published_at:  # NaT compares unequal to itself
        return None
    if isinstance(published_at, datetime):
        if published_at.tzinfo is not None:
            published_at = published_at.astimezone(UTC)
        return date(published_at.year, published_at.month, published_at.day)
    return published_at


def _calendar_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _day_month_date(day: int, month: int, year: int | None, published: date | None) -> date | None:
    if year is not None:
        return _calendar_date(year, month, day)
    if published is None:
        return None
    found = _calendar_date(published.year, month, day)
    if found is not None and found > published + timedelta(days=_YEAR_SLACK_DAYS):
        found = _calendar_date(published.year - 1, month, day)
    return found


def _weekday_date(weekday: int, strictly: bool, published: date) -> date:
    back = (published.isoweekday() - weekday) % 7
    if strictly and back == 0:
        back = 7
    return published - timedelta(days=back)


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in taken)


def find_dates(
    text: str, start: int, end: int, published: date | None, calendar: Calendar
) -> tuple[DateMention, ...]:
    """Every resolvable date written in ``text[start:end]`` (offsets into ``text``), in text order.

    Explicit dates win over weekday or relative words they overlap ("Tuesday, March 4" is one
    explicit date and one weekday; both are kept when they do not overlap).
    """
    window = text[start:end]
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], resolved: date | None, how: DateHow) -> None:
        begin, stop = match.start() + start, match.end() + start
        if resolved is None or _overlaps(begin, stop, taken):
            return
        taken.append((begin, stop))
        found.append(DateMention(begin, stop, resolved, how))

    for match in calendar.iso_date.finditer(window):
        year, month, day = (int(match.group(name)) for name in ("year", "month", "day"))
        add(match, _calendar_date(year, month, day), DateHow.EXPLICIT)
    for pattern in (calendar.day_month, calendar.month_day):
        for match in pattern.finditer(window):
            month = calendar.month_of(match.group("month"))
            year = int(match.group("year")) if match.group("year") else None
            if month is not None:
                add(match, _day_month_date(int(match.group("day")), month, year, published), DateHow.EXPLICIT)
    if published is not None:
        for match in calendar.weekday.finditer(window):
            weekday = calendar.weekdays[match.group("weekday").lower()]
            modifier = match.group("modifier")
            strictly = modifier is not None and modifier.lower() in calendar.strictly_before
            add(match, _weekday_date(weekday, strictly, published), DateHow.WEEKDAY)
        for match in calendar.relative.finditer(window):
            offset = calendar.relative_days[" ".join(match.group().lower().split())]
            add(match, published + timedelta(days=offset), DateHow.RELATIVE)
    return tuple(sorted(found, key=lambda mention: (mention.start, mention.end)))


def _distance(mention: DateMention, start: int, end: int) -> int:
    if mention.end <= start:
        return start - mention.end
    if mention.start >= end:
        return mention.start - end
    return 0


def event_date(
    text: str,
    *,
    sentence: tuple[int, int],
    span: tuple[int, int],
    published_at: datetime | date | None,
    ignore: tuple[int, int] | None = None,
    language: str = "en",
) -> EventDate:
    """The event date of the figure at ``span`` whose sentence is ``sentence`` (offsets into ``text``; see
    the module contract). Dates inside ``ignore`` (the dateline: its date is the filing date) are skipped."""
    published = publication_day(published_at)
    mentions = find_dates(text, sentence[0], sentence[1], published, load_calendar(language))
    if ignore is not None:
        mentions = tuple(m for m in mentions if m.end <= ignore[0] or m.start >= ignore[1])
    if mentions:
        nearest = min(mentions, key=lambda m: (_distance(m, span[0], span[1]), _PRECISION[m.how], m.start))
        return EventDate(nearest.date, nearest.how)
    if published is not None:
        return EventDate(published, DateHow.PUBLISHED)
    return EventDate(None, DateHow.NONE)


class Period(StrEnum):
    """Calendar periods of the rollups: a day, an ISO week (Monday first), a month."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def period_start(day: date, period: Period) -> date:
    """The first day of the period that contains ``day``."""
    if period is Period.WEEK:
        return day - timedelta(days=day.isoweekday() - 1)
    if period is Period.MONTH:
        return day.replace(day=1)
    return day


def period_label(start: date, period: Period) -> str:
    """ISO 8601 name of a period: ``2025-03-03``, ``2025-W10``, ``2025-03``."""
    if period is Period.WEEK:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period is Period.MONTH:
        return f"{start.year}-{start.month:02d}"
    return start.isoformat()
