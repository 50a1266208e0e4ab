"""Language detection and its policy (``casualty_etl.language``), and what the extractor, the pipeline,
the lake and the command line do with the language.

Every example text here was written by the team. The detection table fixes the supported set to
English, French and Spanish (the lexicons being written), so the expectations do not move when a
lexicon file lands; the end-to-end tests use the real set of lexicon files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import casualty_etl.language as language
from casualty_etl.extract import extract, extract_article
from casualty_etl.language import choose_language, detect_language, supported_languages
from casualty_etl.lexicon import LexiconError, load_lexicon
from casualty_etl.model import LanguageChoice, RawDocument
from casualty_etl.pipeline import Batch, Documents, RunSummary, process_batch

THREE = frozenset({"en", "fr", "es"})

ITALIAN_ARTICLE = (
    "Un incendio ha distrutto nella notte un capannone alla periferia di Valdora. "
    "I vigili del fuoco hanno trovato i corpi di quattro operai e almeno sei persone sono rimaste "
    "ferite. Il sindaco ha detto che una trentina di famiglie sono state evacuate per il fumo."
)
ENGLISH_ARTICLE = (
    "A fire destroyed a warehouse on the edge of Valdora overnight. Firefighters found the bodies "
    "of four workers and at least six people were injured, the mayor said."
)


@pytest.fixture
def three(monkeypatch):
    """The supported languages fixed to English, French and Spanish."""
    monkeypatch.setattr(language, "supported_languages", lambda: THREE)


# --- detection: the team's examples, short and long ---------------------------------------------

DETECTED = [
    ("en-short", "Two soldiers were wounded near the border.", "en"),
    ("en-headline-caps", "BREAKING: FOUR KILLED IN MARKET BLAST", "en"),
    ("en-mojibake", "Officials said 12 people were killedâ€™ in the floods and 300 familiesâ€ were "
     "displaced.", "en"),
    ("en-long", "The river burst its banks on Sunday night and water reached the first floor of most houses "
     "in the lower town. By Monday the district office said 2,300 families had left for higher ground, and "
     "rescuers in boats were still looking for eleven people who had been swept away.", "en"),
    ("fr-short", "Deux morts et trois blessés dans un accident de car.", "fr"),
    ("fr-long", "Les pluies torrentielles qui s'abattent depuis une semaine sur la région ont fait au moins "
     "douze morts, selon un bilan provisoire communiqué mardi par la préfecture. Plus de quatre cents "
     "habitants ont dû quitter leur maison et sont hébergés dans des écoles.", "fr"),
    ("es-short", "Tres heridos en un tiroteo en el centro de la ciudad.", "es"),
    ("es-long", "Las autoridades locales confirmaron el miércoles que al menos nueve personas murieron y "
     "una veintena resultaron heridas cuando un autobús cayó por un barranco en la carretera de la "
     "sierra. Los equipos de rescate siguen buscando a dos pasajeros desaparecidos.", "es"),
    ("de-short", "Zwei Soldaten starben.", "de"),
    ("de-long", "Nach Angaben der Behörden sind mehr als dreitausend Familien aus ihren Dörfern geflohen, "
     "weil der Fluss über die Ufer getreten ist; mindestens vierzehn Menschen kamen ums Leben.", "de"),
    ("it-short", "Sei migranti annegati al largo.", "it"),
    ("it-long", ITALIAN_ARTICLE, "it"),
    ("pt-short", "Dois pescadores estão desaparecidos.", "pt"),
    ("pt-long", "Segundo a defesa civil, mais de mil e duzentos moradores tiveram de deixar suas casas "
     "depois do deslizamento de terra, e as equipes de resgate continuam procurando os desaparecidos.", "pt"),
    ("ar-short", "أصيب عشرون شخصا في الهجوم على السوق.", "ar"),
    ("ar-long", "وأعلنت وزارة الصحة ارتفاع عدد الضحايا إلى اثنين وأربعين قتيلا، بينما لا يزال العشرات في "
     "عداد المفقودين بعد انهيار المبنى.", "ar"),
    ("ru-short", "Более двух тысяч жителей были эвакуированы из-за наводнения.", "ru"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "code"), [pytest.param(t, c, id=i) for i, t, c in DETECTED])
def test_detected_language(three, text: str, code: str) -> None:
    found = detect_language(text)
    assert (found.code, found.supported, found.choice) == (code, code in THREE, LanguageChoice.DETECTED)


# --- the policy for short and unsure texts -------------------------------------------------------


def test_a_supported_first_choice_is_taken_however_unsure(three) -> None:
    found = detect_language("Dozens hurt")  # the detector gives English about 0.3
    assert (found.code, found.choice, found.confidence < language.UNSUPPORTED_MIN_CONFIDENCE) == (
        "en",
        LanguageChoice.DETECTED,
        True,
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("7 die", id="one-word"),  # the detector says German, 0.98
        pytest.param("Zwei Tote", id="two-words"),
        pytest.param("مقتل جنديين.", id="two-words-arabic"),
    ],
)
def test_too_short_to_call_unsupported_falls_back_to_a_supported_language(three, text: str) -> None:
    found = detect_language(text)
    assert (found.supported, found.choice) == (True, LanguageChoice.FALLBACK)


def test_an_unsure_detector_falls_back_to_the_likeliest_supported_language(three) -> None:
    found = detect_language("Tre feriti e un disperso")  # fastText: Italian 0.52, Spanish 0.10
    assert (found.code, found.choice) == ("es", LanguageChoice.FALLBACK)


def test_the_first_pass_settles_a_short_headline_the_second_would_misread(three) -> None:
    found = detect_language("7 die in Kano bus crash")  # fastText alone: German 0.5, English 0.28
    assert (found.code, found.choice) == ("en", LanguageChoice.DETECTED)


@pytest.mark.parametrize("text", ["", "12", "...", "   \n  "])
def test_no_words_at_all_is_read_as_a_supported_language(three, text: str) -> None:
    assert detect_language(text).supported


def test_only_a_bounded_prefix_is_read(three) -> None:
    text = ENGLISH_ARTICLE + " " + ITALIAN_ARTICLE * 40
    assert detect_language(text).code == "en"


def test_a_lone_surrogate_does_not_stop_detection(three) -> None:
    assert detect_language("Five people died \ud800 in the fire.").code == "en"


def test_forcing_a_language_skips_detection() -> None:
    forced = choose_language(ITALIAN_ARTICLE, " EN ")
    assert forced == language.ArticleLanguage("en", None, True, LanguageChoice.FORCED)


def test_auto_means_detection() -> None:
    assert choose_language(ITALIAN_ARTICLE, "auto").code == "it"


@pytest.mark.parametrize("code", ["it", "places_en", "../en", "xx"])
def test_forcing_a_language_without_a_lexicon_is_an_error(code: str) -> None:
    with pytest.raises(LexiconError, match="no lexicon"):
        choose_language(ENGLISH_ARTICLE, code)


def test_supported_languages_are_the_lexicon_files() -> None:
    codes = supported_languages()
    assert "en" in codes and not {"places_en", "dates_en", "report_en"} & codes
    assert all(load_lexicon(code).language == code for code in codes)


# --- the extractor ----------------------------------------------------------------------------------


def test_an_unsupported_language_yields_no_figures_and_says_why() -> None:
    result = extract_article(ITALIAN_ARTICLE)
    assert (result.figures, result.language.code, result.language.supported) == ((), "it", False)


def test_extract_forced_to_english_reads_an_english_text_as_detection_does() -> None:
    assert extract(ENGLISH_ARTICLE, language="en") == extract(ENGLISH_ARTICLE) != ()


def test_detection_leaves_the_team_held_out_set_unchanged() -> None:
    texts = [
        json.loads(line)["text"]
        for line in (Path(__file__).parent / "data" / "heldout_team.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    changed = [n for n, text in enumerate(texts) if extract(text) != extract(text, "en")]
    assert changed == []


SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
GOLD_FILES = sorted((Path(__file__).parent / "data").glob("heldout_team*.jsonl")) + sorted(
    SHARED_EVAL.glob("dev*.jsonl")
)


@pytest.mark.parametrize("path", GOLD_FILES, ids=[p.name for p in GOLD_FILES])
def test_every_gold_document_comes_out_in_its_language(path: Path) -> None:
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    wrong = [r["id"] for r in records if detect_language(r["text"]).code != r.get("lang", "en")]
    assert wrong == []


# --- pipeline, lake and summaries -------------------------------------------------------------------


def _batch() -> Batch:
    return Batch(
        "k" * 32,
        Documents([RawDocument("wire/it.txt", ITALIAN_ARTICLE), RawDocument("wire/en.txt", ENGLISH_ARTICLE)]),
    )


def test_an_unsupported_article_is_stored_counted_and_not_read(tmp_path: Path) -> None:
    summary = process_batch(_batch(), str(tmp_path), run_id="run-1")
    articles = pd.read_parquet(tmp_path / "articles").set_index("source")
    assert summary.articles_by_language == (("en", 1), ("it", 1))
    assert summary.unread_by_language == (("it", 1),)
    italian = articles.loc["wire/it.txt"]
    assert (italian["language"], italian["language_supported"], italian["n_figures"]) == ("it", False, 0)
    assert articles.loc["wire/en.txt", "n_figures"] > 0


def test_the_language_columns_dtypes_for_analysts(tmp_path: Path) -> None:
    process_batch(_batch(), str(tmp_path), run_id="run-1")
    articles = pd.read_parquet(tmp_path / "articles")
    dtypes = {c: str(articles[c].dtype) for c in ("language", "language_confidence", "language_supported")}
    assert dtypes == {"language": "str", "language_confidence": "float64", "language_supported": "boolean"}


def test_a_forced_language_is_stored_without_a_confidence(tmp_path: Path) -> None:
    process_batch(_batch(), str(tmp_path), run_id="run-1", language="en")
    articles = pd.read_parquet(tmp_path / "articles")
    assert (set(articles["language"]), articles["language_confidence"].isna().all()) == ({"en"}, True)


def test_a_lake_written_before_the_language_columns_still_loads(tmp_path: Path) -> None:
    from casualty_etl.lake import Lake

    lake = Lake(str(tmp_path))
    old = Batch("o" * 32, Documents([RawDocument("wire/old.txt", ENGLISH_ARTICLE)]))
    process_batch(old, str(tmp_path), run_id="run-1")
    for path in (tmp_path / "articles").rglob("*.parquet"):  # as the previous version wrote them
        table = pq.read_table(path)
        pq.write_table(table.drop(["language", "language_confidence", "language_supported"]), path)
    summary = process_batch(_batch(), str(tmp_path), run_id="run-2")
    articles = lake.read_table("articles").set_index("source")
    assert summary.articles_written == 1  # the English text is already stored, by the old version
    assert pd.isna(articles.loc["wire/old.txt", "language"])
    assert articles.loc["wire/it.txt", "language"] == "it"
    assert str(articles["language_supported"].dtype) == "boolean"


def test_the_run_summary_labels_unread_languages() -> None:
    summary = RunSummary(
        "r", "lake", "v", 1, 4, 4, 0, 2, (), (), 3, 0.1,
        articles_by_language=(("en", 2), ("fr", 1), ("it", 1)),
        unread_by_language=(("it", 1),),
    )  # fmt: skip
    assert summary.articles_per_language() == [("en", 2), ("fr", 1), ("it (no lexicon: not read)", 1)]


def test_the_prefect_artifact_counts_articles_per_language() -> None:
    from flows.etl import _markdown

    summary = RunSummary(
        "r", "lake", "v", 1, 2, 2, 0, 0, (), (), 3, 0.1,
        articles_by_language=(("en", 1), ("it", 1)),
        unread_by_language=(("it", 1),),
    )  # fmt: skip
    assert "| articles in it (no lexicon: not read) | 1 |" in _markdown(summary)


# --- command line and configuration -----------------------------------------------------------------


def _cli(*args: str) -> int:
    from casualty_etl.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    return int(exit_.value.code)


def test_extract_command_reports_each_documents_language(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [{"id": "it", "text": ITALIAN_ARTICLE}, {"id": "en", "text": ENGLISH_ARTICLE}]
    source.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    assert _cli("extract", str(source), "-o", str(target)) == 0
    out = {r["id"]: r for r in map(json.loads, target.read_text(encoding="utf-8").splitlines())}
    assert (out["it"]["language"]["code"], out["it"]["language"]["supported"], out["it"]["figures"]) == (
        "it",
        False,
        [],
    )
    assert out["en"]["language"]["choice"] == "detected" and out["en"]["figures"]


def test_extract_command_language_option_forces_a_lexicon(tmp_path: Path) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": "it", "text": ITALIAN_ARTICLE}) + "\n", encoding="utf-8")
    assert _cli("extract", str(source), "-o", str(target), "--language", "en") == 0
    assert json.loads(target.read_text(encoding="utf-8"))["language"]["choice"] == "forced"


@pytest.mark.parametrize("command", ["run", "extract", "evaluate"])
def test_language_option_without_a_lexicon_is_a_usage_error(tmp_path: Path, capsys, command: str) -> None:
    source = tmp_path / "in.jsonl"
    record = {"id": "a", "text": ENGLISH_ARTICLE, "figures": []}
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    args = [command, str(source), "--language", "xx"]
    if command == "extract":
        args += ["-o", str(tmp_path / "out.jsonl")]
    assert _cli(*args) == 2
    assert "no lexicon for language 'xx'" in capsys.readouterr().err


def test_config_language_is_checked_and_normalised() -> None:
    from casualty_etl.config import ConfigError, parse_config

    assert [parse_config({"run": {"language": value}}).language for value in ("EN", "auto")] == ["en", "auto"]
    with pytest.raises(ConfigError, match="run.language"):
        parse_config({"run": {"language": "xx"}})

