"""Quarantine: failing rows move to rejects with a reason, nothing is lost, bad data never raises."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casualty_etl.model import (
    Article,
    Category,
    ExtractedArticle,
    Figure,
    Qualifier,
    Reject,
    RejectStage,
    Subtype,
    Unit,
    article_id_of,
)
from casualty_etl.tables import Frames, build_frames
from casualty_etl.validate import ARTICLE_REJECTED, validate_frames
from tests._records import figure_in

INGESTED = datetime(2024, 6, 1, tzinfo=UTC)
BLAST = "Officials said 12 people were killed in the blast."
FLOOD = "About 300 families were displaced by the floods, and 4 people were killed."


def _figure(text: str, phrase: str, category: Category, value: int, **changes) -> Figure:
    return figure_in(text, phrase, category, value, **changes)


def _article(text: str, source: str) -> Article:
    return Article(article_id_of(text), source, text, published_at=datetime(2024, 5, 20, tzinfo=UTC))


def _blast(*figures: Figure) -> ExtractedArticle:
    return ExtractedArticle(
        _article(BLAST, "wire/blast.txt"),
        figures or (_figure(BLAST, "12 people were killed", Category.KILLED, 12),),
    )


def _flood() -> ExtractedArticle:
    return ExtractedArticle(
        _article(FLOOD, "wire/flood.txt"),
        (
            _figure(
                FLOOD,
                "About 300 families were displaced",
                Category.DISPLACED,
                300,
                qualifier=Qualifier.ABOUT,
                unit=Unit.HOUSEHOLDS,
                subtype=Subtype.HOMELESS,
            ),
            _figure(FLOOD, "4 people were killed", Category.KILLED, 4),
        ),
    )


def _frames(*extracted: ExtractedArticle, rejects: tuple[Reject, ...] = ()) -> Frames:
    return build_frames(list(extracted), list(rejects), ingested_at=INGESTED, extractor_version="t1")


def _with(frames: Frames, **tables: pd.DataFrame) -> Frames:
    return replace(frames, **tables)


def test_clean_batch_passes_whole():
    result = validate_frames(_frames(_blast(), _flood()))
    assert (len(result.valid.articles), len(result.valid.figures), len(result.rejects)) == (2, 3, 0)


def test_bad_figure_is_rejected_alone_with_its_reason():
    wrong_span = _figure(BLAST, "12 people were killed", Category.KILLED, 12, span="12 people were hurt")
    result = validate_frames(_frames(_blast(wrong_span), _flood()))
    assert len(result.valid.articles) == 2
    assert len(result.valid.figures) == 2
    reject = result.rejects.iloc[0]
    assert len(result.rejects) == 1
    assert reject["reason"] == "schema:span_matches_text"
    assert (reject["stage"], reject["table"], reject["column"]) == ("validate", "figures", "span")
    assert (reject["source"], reject["article_id"]) == ("wire/blast.txt", article_id_of(BLAST))
    assert reject["excerpt"] == "12 people were hurt"


def test_dataframe_wide_failure_gives_one_reject_per_row():
    inverted = _figure(BLAST, "12 people were killed", Category.KILLED, 12, lower=20, upper=30)
    result = validate_frames(_frames(_blast(inverted)))
    assert list(result.rejects["reason"]) == ["schema:lower_le_value"]
    assert result.rejects["failure_case"].iloc[0] == "lower=20, value=12"


def test_failing_article_takes_its_figures_to_rejects():
    frames = _frames(_blast(), _flood())
    articles = frames.articles.copy()
    articles.loc[1, "n_chars"] = 3
    result = validate_frames(_with(frames, articles=articles))
    assert list(result.valid.articles["source"]) == ["wire/blast.txt"]
    by_table = result.rejects.groupby("table")["reason"].apply(list).to_dict()
    assert by_table == {
        "articles": ["schema:n_chars_is_text_length"],
        "figures": [ARTICLE_REJECTED, ARTICLE_REJECTED],
    }


def test_bad_value_in_nullable_category_does_not_take_null_neighbours():
    frames = _frames(_blast(), _flood())
    figures = frames.figures.astype({"status": object})
    figures.loc[0, "status"] = "rumoured"
    result = validate_frames(_with(frames, figures=figures))
    assert len(result.valid.figures) == 2
    assert list(result.rejects["reason"]) == ["schema:status:coerce_dtype"]


def test_unknown_column_rejects_the_whole_table_before_any_write():
    frames = _frames(_blast(), _flood())
    result = validate_frames(_with(frames, figures=frames.figures.assign(confidence=0.5)))
    assert len(result.valid.articles) == 2
    assert result.valid.figures.empty
    assert set(result.rejects["reason"]) == {"schema:column_in_schema"}
    assert set(result.rejects["column"]) == {"confidence"}
    assert len(result.rejects) == 3


def test_wrong_dtype_rejects_only_rows_that_cannot_take_it():
    frames = _frames(_blast(), _flood())
    figures = frames.figures.astype({"value": object})
    figures.loc[1, "value"] = "three hundred"
    result = validate_frames(_with(frames, figures=figures))
    assert len(result.valid.figures) == 2
    assert result.valid.figures["value"].dtype == pd.Int64Dtype()
    assert list(result.rejects["reason"]) == ["schema:value:coerce_dtype"]


def test_missing_column_never_raises_and_conserves_rows():
    frames = _frames(_blast(), _flood())
    result = validate_frames(_with(frames, articles=frames.articles.drop(columns=["text"])))
    assert result.valid.articles.empty and result.valid.figures.empty
    assert result.rejects["table"].value_counts().to_dict() == {"figures": 3, "articles": 2}


def test_upstream_rejects_are_kept_and_only_new_ones_reported():
    upstream = Reject("inbox/scan.pdf", RejectStage.READ, "unsupported_media", "a PDF")
    wrong = _figure(BLAST, "12 people were killed", Category.KILLED, -3)
    result = validate_frames(_frames(_blast(wrong), rejects=(upstream,)))
    assert list(result.rejects["stage"]) == ["validate"]
    assert sorted(result.valid.rejects["stage"]) == ["read", "validate"]


def test_reject_ids_are_the_same_on_a_rerun():
    wrong = _figure(BLAST, "12 people were killed", Category.KILLED, -3)
    first = validate_frames(_frames(_blast(wrong))).rejects["reject_id"]
    second = validate_frames(_frames(_blast(wrong))).rejects["reject_id"]
    assert list(first) == list(second)


_CORRUPTIONS = {
    "none": lambda frame, row: None,
    "negative": lambda frame, row: frame.__setitem__("value", frame["value"].where(frame.index != row, -1)),
    "offsets": lambda frame, row: frame.__setitem__(
        "char_end", frame["char_end"].where(frame.index != row, 10_000)
    ),
    "orphan": lambda frame, row: frame.__setitem__(
        "article_id", frame["article_id"].where(frame.index != row, "0" * 64)
    ),
}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    corruptions=st.lists(st.sampled_from(sorted(_CORRUPTIONS)), min_size=3, max_size=3),
    bad_article=st.sampled_from([None, 0, 1]),
)
def test_every_row_ends_in_exactly_one_place(corruptions, bad_article):
    frames = _frames(_blast(), _flood())
    figures = frames.figures.copy()
    for row, corruption in enumerate(corruptions):
        _CORRUPTIONS[corruption](figures, row)
    articles = frames.articles.copy()
    if bad_article is not None:
        articles.loc[bad_article, "published_month"] = "1999-01"
    result = validate_frames(_with(frames, articles=articles, figures=figures))
    rejected = result.rejects["table"].value_counts()
    assert len(result.valid.articles) + rejected.get("articles", 0) == 2
    assert len(result.valid.figures) + rejected.get("figures", 0) == 3
