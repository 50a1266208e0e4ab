"""Multi-article scenarios for the aggregation tests, built into real lakes through the real pipeline.

Every text is written by the team for these tests: invented towns in real countries, in the style of
wire reports. ``build_lake(root)`` sends them through ``plan_batches`` + ``process_batch`` (no Prefect).

The scenarios:

- BOMBING: three outlets report one car bombing in Karvani (Afghanistan) on Monday 3 March 2025:
  12 dead, "at least 12", then a toll of 14 -> one incident, low 12, best 12, high 14, 3 sources.
- TWIN ATTACKS: two attacks in Iraq on Tuesday 10 June 2025, in Tel Harun (7 killed) and Qasr Amin
  (8 killed): same day, same category, similar tolls, different towns -> two incidents.
- FLOOD TOLL: a running total in Dernava (Libya) rising 40, 55, 71 over three days -> totals holds 71,
  no incident, nothing in the rollups.
- BUS STATION: 20 killed "including five children" in Soraya (Pakistan) on Friday 23 May 2025 -> one
  incident of 20, the breakdown adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from casualty_etl.model import RawDocument
from casualty_etl.pipeline import plan_batches, process_batch


@dataclass(frozen=True)
class Story:
    name: str
    published_at: str
    text: str


BOMBING = (
    Story(
        "bombing-wire",
        "2025-03-03T15:00:00+00:00",
        "Market bombing kills 12 in Karvani\n\n"
        "KARVANI, Afghanistan, March 3 (Illustrative Wire) - A car bomb exploded at a crowded market in the "
        "town of Karvani on Monday, killing 12 people, police said.\n\n"
        "The blast destroyed a row of shops.",
    ),
    Story(
        "bombing-gazette",
        "2025-03-04T08:00:00+00:00",
        "KARVANI, March 4 (Example Gazette) - At least 12 people were killed when a car bomb tore through a "
        "market in the town of Karvani, Afghanistan, on Monday, officials said.",
    ),
    Story(
        "bombing-times",
        "2025-03-04T10:00:00+00:00",
        "KABUL, March 4 (Sample Times) - The death toll from Monday's market bombing in the town of Karvani "
        "has risen to 14, the interior ministry said.",
    ),
)
TWIN_ATTACKS = (
    Story(
        "checkpoint-tel-harun",
        "2025-06-10T12:00:00+00:00",
        "TEL HARUN, Iraq, June 10 (Illustrative Wire) - Gunmen killed seven people at a checkpoint near the "
        "town of Tel Harun on Tuesday, police said.",
    ),
    Story(
        "ambush-qasr-amin",
        "2025-06-10T13:00:00+00:00",
        "QASR AMIN, Iraq, June 10 (Example Gazette) - Gunmen killed eight people near the town of Qasr Amin "
        "on Tuesday, police said.",
    ),
)
FLOOD_TOLL = tuple(
    Story(
        f"flood-day-{day}",
        f"2025-09-{day}T09:00:00+00:00",
        f"DERNAVA, Libya, Sept {day} (Illustrative Wire) - The number of people killed in Dernava since the "
        f"floods began has risen to {toll}, officials said.",
    )
    for day, toll in ((12, 40), (13, 55), (14, 71))
)
BUS_STATION = (
    Story(
        "bus-station",
        "2025-05-23T09:00:00+00:00",
        "SORAYA, Pakistan, May 23 (Illustrative Wire) - A suicide bomber killed 20 people, including five "
        "children, at a bus station in the town of Soraya on Friday, police said.",
    ),
)
ALL_STORIES = BOMBING + TWIN_ATTACKS + FLOOD_TOLL + BUS_STATION

BOMBING_DAY = date(2025, 3, 3)
TWIN_ATTACKS_DAY = date(2025, 6, 10)
BUS_STATION_DAY = date(2025, 5, 23)


def documents(stories: tuple[Story, ...] = ALL_STORIES) -> list[RawDocument]:
    return [
        RawDocument(f"scenario/{s.name}.txt", s.text, published_at=datetime.fromisoformat(s.published_at))
        for s in stories
    ]


def build_lake(root: str, stories: tuple[Story, ...] = ALL_STORIES) -> str:
    """A lake at ``root`` holding ``stories``, written by the real pipeline."""
    for batch in plan_batches(documents(stories), size=len(stories)):
        process_batch(batch, root, run_id="scenario")
    return root
