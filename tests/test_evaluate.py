"""casualty_etl.evaluate on a team-written tiny gold file: hand-computed numbers, then the reference scorer.

tests/data/tiny_gold.jsonl / tiny_pred.jsonl (invented sentences), one behaviour per document:

- t1: killed 12 exact match; injured "at least 30" predicted as exact (lenient yes, strict no);
  a predicted value "many" (malformed)
- t2: headline "kills 40" / body "At least 40": alt_qualifiers; displaced about 2,000 exact match
- t3: gold killed 2, 2 and three predictions of 2 (each gold matched once); injured "5" without qualifier
- t4: zero-figure document with a predicted injured 3 (false positive)
- t5: missing 6, and no prediction line at all
- t6: killed 9; killed 15 of another incident; "Dozens" injured 24 vague (don't-care filters)
- t7: two gold killed 7 (one with alt at_least), predicted exact then at_least (needs maximum matching)
- t8: abducted 4, origin team_wire, lang fr
- t99: a prediction id that is not in the gold file

The cross-checks against /work/shared/eval/score.py skip when the shared folder is absent.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casualty_etl.evaluate import (
    HEADLINE_CATEGORIES,
    Counts,
    Mode,
    Scores,
    load_gold,
    load_predictions,
    predict,
    render,
    score,
    scores_to_json,
)
from casualty_etl.model import Category, Figure, Qualifier, Scope, Unit

DATA = Path(__file__).parent / "data"
GOLD_PATH = DATA / "tiny_gold.jsonl"
PRED_PATH = DATA / "tiny_pred.jsonl"
SCORE_PY = Path(__file__).resolve().parents[2] / "shared" / "eval" / "score.py"

GOLD = load_gold(GOLD_PATH)
PRED = load_predictions(PRED_PATH)


def counts(c: Counts) -> tuple[int, int, int]:
    return (c.tp, c.fp, c.fn)


def score_one(doc_id: str, **filters: object) -> Scores:
    """Score a single gold document (with its predictions)."""
    return score([d for d in GOLD if d.id == doc_id], PRED, **filters)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- one behaviour each


def test_exact_match_counts_in_both_modes() -> None:
    s = score_one("t1-exact-and-qualifier")
    assert counts(s.lenient["killed"]) == counts(s.strict["killed"]) == (1, 0, 0)


def test_qualifier_mismatch_is_lenient_hit_and_strict_miss() -> None:
    s = score_one("t1-exact-and-qualifier")
    assert counts(s.lenient["injured"]) == (1, 0, 0)
    assert counts(s.strict["injured"]) == (0, 1, 1)


def test_alt_qualifier_matches_strictly() -> None:
    assert counts(score_one("t2-alt-qualifiers").strict["killed"]) == (1, 0, 0)


def test_each_gold_figure_is_matched_once() -> None:
    assert counts(score_one("t3-duplicates").lenient["killed"]) == (2, 1, 0)


def test_missing_predicted_qualifier_means_exact() -> None:
    assert counts(score_one("t3-duplicates").strict["injured"]) == (1, 0, 0)


def test_prediction_in_zero_figure_document_is_false_positive() -> None:
    s = score_one("t4-zero-figures")
    assert counts(s.lenient["injured"]) == (0, 1, 0)
    assert (s.negative_documents, s.negative_documents_with_predictions) == (1, 1)


def test_document_without_predictions_predicted_nothing() -> None:
    assert counts(score_one("t5-no-prediction").lenient["missing"]) == (0, 0, 1)


def test_strict_uses_maximum_matching_not_first_fit() -> None:
    assert counts(score_one("t7-bipartite").strict["killed"]) == (2, 0, 0)


def test_excluded_scope_is_dont_care() -> None:
    s = score_one("t6-dont-care", exclude_scopes=("other_incident",))
    assert counts(s.lenient["killed"]) == (1, 0, 0)


def test_excluded_qualifier_is_dont_care() -> None:
    s = score_one("t6-dont-care", exclude_qualifiers=("vague",))
    assert "injured" not in s.lenient.categories


def test_category_filter_drops_gold_and_predictions() -> None:
    s = score(GOLD, PRED, categories=HEADLINE_CATEGORIES)
    assert s.lenient.categories == ("displaced", "injured", "killed", "missing")


def test_headline_micro_equals_category_filtered_micro() -> None:
    full, filtered = score(GOLD, PRED), score(GOLD, PRED, categories=HEADLINE_CATEGORIES)
    for mode in Mode:
        assert full.headline(mode) == filtered.mode(mode).micro


def test_lang_filter_selects_documents() -> None:
    s = score(GOLD, PRED, lang="en")
    assert (s.documents_scored, "abducted" in s.lenient.categories) == (7, False)


def test_origin_filter_selects_documents() -> None:
    s = score(GOLD, PRED, origins={"team_wire"})
    assert (s.documents_scored, s.lenient.categories) == (1, ("abducted",))


def test_unknown_ids_and_malformed_figures_are_reported() -> None:
    s = score(GOLD, PRED)
    assert s.unknown_prediction_ids == ("t99-not-in-gold",)
    assert s.malformed_predicted_figures == 1


def test_whole_file_micro_lenient() -> None:
    m = score(GOLD, PRED).lenient.micro
    assert counts(m) == (13, 2, 1)
    assert m.f1 == pytest.approx(26 / 29)


def test_whole_file_micro_strict() -> None:
    m = score(GOLD, PRED).strict.micro
    assert counts(m) == (12, 3, 2)
    assert m.f1 == pytest.approx(24 / 29)


def test_headline_micro_both_modes() -> None:
    s = score(GOLD, PRED)
    assert counts(s.headline(Mode.LENIENT)) == (12, 2, 1)
    assert counts(s.headline(Mode.STRICT)) == (11, 3, 2)


def _figure(category: Category, value: int, qualifier: Qualifier) -> Figure:
    return Figure(
        category=category,
        value=value,
        lower=None,
        upper=None,
        qualifier=qualifier,
        unit=Unit.PEOPLE,
        scope=Scope.INCIDENT,
        span="",
        char_start=0,
        char_end=0,
        sentence="",
        rule_ids=("stub",),
    )


def test_predict_runs_extract_fn_and_figures_score_like_file_predictions() -> None:
    def stub(text: str) -> tuple[Figure, ...]:
        if "killing 12 traders" in text:
            return (
                _figure(Category.KILLED, 12, Qualifier.EXACT),
                _figure(Category.INJURED, 30, Qualifier.AT_LEAST),
            )
        return ()

    predictions = predict(GOLD, stub)
    assert set(predictions) == {d.id for d in GOLD}
    t1 = [d for d in GOLD if d.id == "t1-exact-and-qualifier"]
    assert counts(score(t1, predictions).strict.micro) == (2, 0, 0)


def test_render_shows_every_category_and_the_headline() -> None:
    text = render(score(GOLD, PRED))
    assert all(word in text for word in ("abducted", "missing", "MICRO", "headline"))


# ------------------------------------------------------------------------------- against the reference


def _reference_json(gold: Path, pred: Path, *flags: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scores.json"
        subprocess.run(
            [sys.executable, str(SCORE_PY), str(gold), str(pred), "--json", str(out), *flags],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.read_text(encoding="utf-8"))


@functools.cache
def _reference_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_score", SCORE_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


needs_shared = pytest.mark.skipif(not SCORE_PY.exists(), reason=f"reference scorer not found: {SCORE_PY}")


@needs_shared
@pytest.mark.parametrize(
    ("flags", "kwargs"),
    [
        ((), {}),
        (("--categories", "killed,injured,displaced,missing"), {"categories": HEADLINE_CATEGORIES}),
        (
            ("--exclude-scopes", "other_incident", "--exclude-qualifiers", "vague"),
            {"exclude_scopes": ("other_incident",), "exclude_qualifiers": ("vague",)},
        ),
        (("--lang", "en", "--origins", "team_news"), {"lang": "en", "origins": ("team_news",)}),
    ],
    ids=["no-filter", "headline-categories", "dont-care", "lang-origin"],
)
def test_json_equals_reference_scorer(flags: tuple[str, ...], kwargs: dict[str, object]) -> None:
    ours = scores_to_json(score(GOLD, PRED, **kwargs))  # type: ignore[arg-type]
    assert ours == _reference_json(GOLD_PATH, PRED_PATH, *flags)


_CATS = st.sampled_from(["killed", "injured", "abducted"])
_QUALS = st.sampled_from(["exact", "at_least", "about", "vague"])
_gold_figure = st.fixed_dictionaries(
    {"category": _CATS, "value": st.integers(1, 3), "qualifier": _QUALS},
    optional={
        "alt_qualifiers": st.lists(_QUALS, max_size=2),
        "scope": st.sampled_from(["other_incident", "breakdown"]),
    },
)
_pred_figure = st.fixed_dictionaries(
    {"category": _CATS, "value": st.one_of(st.integers(1, 3), st.sampled_from(["2", "2.0", "x"]))},
    optional={"qualifier": _QUALS},
)
_docs = st.lists(st.lists(_gold_figure, max_size=5), min_size=1, max_size=4)
_preds = st.lists(st.tuples(st.integers(0, 4), st.lists(_pred_figure, max_size=6)), max_size=5)


@needs_shared
@settings(max_examples=150, deadline=None)
@given(
    docs=_docs,
    preds=_preds,
    exclude=st.sampled_from([(), ("vague",)]),
    scopes=st.sampled_from([(), ("other_incident",)]),
)
def test_random_inputs_score_like_reference(
    docs: list[list[dict[str, object]]],
    preds: list[tuple[int, list[dict[str, object]]]],
    exclude: tuple[str, ...],
    scopes: tuple[str, ...],
) -> None:
    gold_recs = [{"id": f"d{i}", "text": "", "figures": figs} for i, figs in enumerate(docs)]
    pred_recs = [{"id": f"d{i}", "figures": figs} for i, figs in preds]  # d4 may be unknown
    with tempfile.TemporaryDirectory() as tmp:
        gp, pp = Path(tmp) / "g.jsonl", Path(tmp) / "p.jsonl"
        gp.write_text("".join(json.dumps(r) + "\n" for r in gold_recs), encoding="utf-8")
        pp.write_text("".join(json.dumps(r) + "\n" for r in pred_recs), encoding="utf-8")
        ours = score(load_gold(gp), load_predictions(pp), exclude_qualifiers=exclude, exclude_scopes=scopes)
    reference = _reference_module().score(
        gold_recs, pred_recs, excl_qual=set(exclude), excl_scope=set(scopes)
    )
    assert scores_to_json(ours) == reference


def test_folds_spread_every_origin_and_ignore_file_order() -> None:
    from casualty_etl.evaluate import GoldDocument, assign_folds

    docs = [
        GoldDocument(id=f"{o}-{i}", text="", figures=(), origin=o)
        for o in ("wire", "report")
        for i in range(6)
    ]
    folds = assign_folds(docs, 2)
    per_origin = {(d.origin, folds[d.id]) for d in docs}
    assert (per_origin, assign_folds(list(reversed(docs)), 2)) == (
        {("wire", 0), ("wire", 1), ("report", 0), ("report", 1)},
        folds,
    )


def test_fold_report_counts_every_document_once() -> None:
    from casualty_etl.evaluate import fold_report

    rows = fold_report(GOLD, PRED, 2)
    assert sum(r.documents for r in rows) == len(GOLD)
