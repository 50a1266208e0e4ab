"""Event dates: explicit dates, weekdays and relative days against the publication date; the calendar file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources

import pytest
import yaml

from casualty_etl.dates import (
    CalendarError,
    DateHow,
    EventDate,
    Period,
    event_date,
    load_calendar,
    parse_calendar,
    period_label,
    period_start,
    publication_day,
)

#: Tuesday 4 March 2025, 09:00 UTC.
TUESDAY = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def _date_of(
    sentence: str, published: datetime | date | None = TUESDAY, figure: str | None = None
) -> EventDate:
    start = sentence.index(figure) if figure else 0
    end = start + len(figure) if figure else len(sentence)
    return event_date(sentence, sentence=(0, len(sentence)), span=(start, end), published_at=published)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("A car bomb killed 12 people on Monday.", date(2025, 3, 3)),
        ("Monday's bombing killed 14.", date(2025, 3, 3)),
        ("Gunmen killed 5 villagers on Tuesday.", date(2025, 3, 4)),  # the publication day itself
        ("Gunmen killed 5 villagers last Tuesday.", date(2025, 2, 25)),  # strictly before
        ("Rebels killed 9 soldiers on Wednesday.", date(2025, 2, 26)),  # never after publication
        ("Floods killed 3 people last Friday.", date(2025, 2, 28)),
    ],
)
def test_weekdays_resolve_to_the_latest_such_day_before_publication(sentence: str, expected: date) -> None:
    assert _date_of(sentence) == EventDate(expected, DateHow.WEEKDAY)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The attack on 12 February killed 3.", date(2025, 2, 12)),
        ("On February 12, 2024, four people died.", date(2024, 2, 12)),
        ("The 28th of February attack killed 9.", date(2025, 2, 28)),
        ("The raid on Sept. 14 killed 5.", date(2024, 9, 14)),  # no year, after publication: last year
        ("It happened on 2025-02-28, killing 9.", date(2025, 2, 28)),
        ("SHELLING KILLED 7 ON MARCH 2", date(2025, 3, 2)),
    ],
)
def test_explicit_dates(sentence: str, expected: date) -> None:
    assert _date_of(sentence) == EventDate(expected, DateHow.EXPLICIT)


def test_a_date_without_year_late_in_december_read_in_january_is_last_year() -> None:
    found = _date_of("Gunmen killed 4 on Dec 30.", published=datetime(2025, 1, 2, tzinfo=UTC))
    assert found == EventDate(date(2024, 12, 30), DateHow.EXPLICIT)


def test_yesterday_and_today() -> None:
    assert _date_of("Twelve people died yesterday.") == EventDate(date(2025, 3, 3), DateHow.RELATIVE)
    assert _date_of("Two more bodies were found TODAY.") == EventDate(date(2025, 3, 4), DateHow.RELATIVE)
    assert _date_of("Shelling last night killed 6.") == EventDate(date(2025, 3, 3), DateHow.RELATIVE)


def test_the_mention_nearest_to_the_figure_wins() -> None:
    sentence = "A bomb killed 12 on Monday, and a second blast on Saturday wounded 30."
    assert _date_of(sentence, figure="killed 12") == EventDate(date(2025, 3, 3), DateHow.WEEKDAY)
    assert _date_of(sentence, figure="wounded 30") == EventDate(date(2025, 3, 1), DateHow.WEEKDAY)


def test_lower_case_month_words_are_no_dates() -> None:
    assert _date_of("Officials said 12 people may 3 times have fled.") == EventDate(
        date(2025, 3, 4), DateHow.PUBLISHED
    )


def test_fallbacks_publication_then_none() -> None:
    assert _date_of("Four people were killed.") == EventDate(date(2025, 3, 4), DateHow.PUBLISHED)
    assert _date_of("Four people were killed on Monday.", published=None) == EventDate(None, DateHow.NONE)
    assert _date_of("Four people were killed on 3 March 2025.", published=None) == EventDate(
        date(2025, 3, 3), DateHow.EXPLICIT
    )


def test_the_dateline_date_is_ignored() -> None:
    text = "KARVANI, March 4 (Example Gazette) - At least 12 people were killed on Monday."
    span = (text.index("At least"), text.index(" on Monday"))
    head = (0, text.index("At least"))
    assert event_date(
        text, sentence=(0, len(text)), span=span, published_at=TUESDAY, ignore=head
    ) == EventDate(date(2025, 3, 3), DateHow.WEEKDAY)


def test_publication_day_is_utc() -> None:
    assert publication_day(datetime.fromisoformat("2025-03-04T01:00:00+05:00")) == date(2025, 3, 3)
    assert publication_day(None) is None


def test_periods() -> None:
    day = date(2025, 3, 5)  # a Wednesday
    assert period_start(day, Period.WEEK) == date(2025, 3, 3)
    assert period_start(day, Period.MONTH) == date(2025, 3, 1)
    assert period_label(date(2025, 3, 3), Period.WEEK) == "2025-W10"
    assert period_label(date(2025, 3, 1), Period.MONTH) == "2025-03"
    assert period_label(day, Period.DAY) == "2025-03-05"


def test_the_calendar_file_is_validated() -> None:
    calendar = load_calendar("en")
    assert calendar.month_of("Sept.") == 9 and calendar.weekdays["friday"] == 5
    data = yaml.safe_load(
        resources.files("casualty_etl.lexicon").joinpath("dates_en.yaml").read_text("utf-8")
    )
    with pytest.raises(CalendarError, match="unknown key"):
        parse_calendar({**data, "seasons": []}, "en")
    with pytest.raises(CalendarError, match="months"):
        parse_calendar({**data, "months": {**data["months"], 13: ["smarch"]}}, "en")
    with pytest.raises(CalendarError, match="listed twice"):
        parse_calendar({**data, "weekdays": {**data["weekdays"], 2: ["monday"]}}, "en")
    with pytest.raises(CalendarError, match="no calendar"):
        load_calendar("xx")
