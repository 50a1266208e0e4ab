"""Quality ratchet: the extractor's micro-F1 on the shared dev files must not fall below the recorded floor.

Input: ../shared/eval/<file> (gold JSON lines, never copied into this repo) and tests/quality_floor.json,
``{"<file>": {"lenient": F1, "strict": F1}}``. Scores are micro-F1 over the headline categories
(killed, injured, displaced, missing), as ``score.py --categories killed,injured,displaced,missing``.
Output: the score table on stdout (``pytest -s`` or ``-rP`` shows it) and a failure when a score drops.
Raise the floor by hand after an improvement; this test never writes it.

Each file is scored in its own language: the ``lang`` of its gold records (one per file), passed
to ``extract`` explicitly.

Skips when the shared folder is absent or ``casualty_etl.extract`` is not written yet. Not here:
timing (``make bench``). Per category, the issue's bar (no headline category below
``CATEGORY_FLOOR`` lenient) is checked on each dev file.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
from pathlib import Path

import pytest

from casualty_etl.evaluate import HEADLINE_CATEGORIES, ExtractFn, Mode, load_gold, predict, render, score

SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
FLOOR: dict[str, dict[str, float]] = json.loads(
    (Path(__file__).parent / "quality_floor.json").read_text(encoding="utf-8")
)


def _extractor() -> ExtractFn:
    spec = importlib.util.find_spec("casualty_etl.extract")
    if spec is None or spec.origin is None:  # absent, or still an empty folder (namespace package)
        pytest.skip("casualty_etl.extract is not written yet")
    from casualty_etl.extract import extract

    return extract


def _dev_scores(name: str):
    """Scores of the extractor on one shared dev file (the test skips when it is absent)."""
    path = SHARED_EVAL / name
    if not path.exists():
        pytest.skip(f"shared dev data not found: {path}")
    gold = load_gold(path)
    languages = {doc.lang or "en" for doc in gold}
    assert len(languages) == 1, f"{name}: one language per dev file, got {sorted(languages)}"
    extract = functools.partial(_extractor(), language=languages.pop())
    return score(gold, predict(gold, extract), categories=HEADLINE_CATEGORIES)


@pytest.mark.parametrize("name", sorted(FLOOR))
def test_micro_f1_not_below_floor(name: str) -> None:
    scores = _dev_scores(name)
    print("\n" + render(scores, title=f"{name} (headline categories)"))
    got = {mode.value: scores.mode(mode).micro.f1 for mode in Mode}
    candidate = {name: {m: math.floor(f1 * 1000) / 1000 for m, f1 in got.items()}}
    print(f"quality_floor.json candidate: {json.dumps(candidate)}")
    floor = FLOOR[name]
    dropped = {m: (round(got[m], 4), floor[m]) for m in floor if got[m] < floor[m] - 1e-9}
    assert not dropped, f"{name}: micro-F1 below the floor (got, floor): {dropped}"


#: No headline category may fall below this lenient F1 on a dev file (the extraction issue's bar).
CATEGORY_FLOOR = 0.85


@pytest.mark.parametrize("name", sorted(FLOOR))
def test_no_category_below_the_floor(name: str) -> None:
    lenient = _dev_scores(name).mode(Mode.LENIENT)
    low = {c.category: round(c.counts.f1, 3) for c in lenient.per_category if c.counts.f1 < CATEGORY_FLOOR}
    assert low == {}


#: The team-written held-out style corpus (tests/data): always present, so this floor always applies.
TEAM_HELDOUT = Path(__file__).parent / "data" / "heldout_team.jsonl"
TEAM_FLOOR = {"lenient": 0.987, "strict": 0.987}


def test_team_heldout_micro_f1_not_below_floor() -> None:
    gold = load_gold(TEAM_HELDOUT)
    scores = score(gold, predict(gold, _extractor()), categories=HEADLINE_CATEGORIES)
    print("\n" + render(scores, title="heldout_team.jsonl (headline categories)"))
    got = {mode.value: scores.mode(mode).micro.f1 for mode in Mode}
    assert all(got[m] >= TEAM_FLOOR[m] - 1e-9 for m in TEAM_FLOOR), (got, TEAM_FLOOR)


#: The team-written sets (tests/data, README-heldout_team2.md, README-heldout_team3.md,
#: README-dev_team4.md, README-heldout_team5.md), each scored in its records' language. team2, team3
#: and team5 were written blind to the rules: rules come from fold 0 of team2 only (``evaluate
#: --folds 2``), never from team3 or team5 (measured only); dev_team4 is a development set rules may
#: be written from. Session 5 read the line shapes (no wording) of team2 fold 1's misses, which
#: pointed at space-aligned tables: that fold is no longer blind. These floors cover the whole file so that neither fold may slip.
TEAM2_FLOOR = {
    "heldout_team2_en.jsonl": {"lenient": 0.947, "strict": 0.947},
    "heldout_team3_en.jsonl": {"lenient": 0.894, "strict": 0.894},
    "dev_team4_en.jsonl": {"lenient": 0.935, "strict": 0.932},
    "heldout_team2_es.jsonl": {"lenient": 0.937, "strict": 0.931},
    "heldout_team2_fr.jsonl": {"lenient": 0.970, "strict": 0.970},
    "heldout_team5_fr.jsonl": {"lenient": 0.902, "strict": 0.902},
    "heldout_team5_es.jsonl": {"lenient": 0.875, "strict": 0.875},
}


@pytest.mark.parametrize("name", sorted(TEAM2_FLOOR))
def test_team2_heldout_micro_f1_not_below_floor(name: str) -> None:
    gold = load_gold(Path(__file__).parent / "data" / name)
    languages = {doc.lang or "en" for doc in gold}
    assert len(languages) == 1, f"{name}: one language per file, got {sorted(languages)}"
    extract = functools.partial(_extractor(), language=languages.pop())
    scores = score(gold, predict(gold, extract), categories=HEADLINE_CATEGORIES)
    print("\n" + render(scores, title=f"{name} (headline categories)"))
    got = {mode.value: scores.mode(mode).micro.f1 for mode in Mode}
    floor = TEAM2_FLOOR[name]
    assert all(got[m] >= floor[m] - 1e-9 for m in floor), (got, floor)
