"""Places of figures: gazetteer resolution, datelines, the sentence/paragraph/dateline/article fallbacks,
and the words file; plus a guard that keeps calendar and place words out of the new modules' code."""

from __future__ import annotations

import ast
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from casualty_etl.places import (
    NO_PLACE,
    PlaceError,
    PlaceHow,
    PlaceLevel,
    fold,
    gazetteer,
    iso3_of,
    load_place_words,
    parse_place_words,
    place_of_name,
    place_of_span,
    read_places,
)

REPO = Path(__file__).resolve().parents[1]


def _place(text: str, figure: str):
    """The place of the figure written as ``figure`` in ``text``; its sentence ends at a line break or a
    full stop."""
    start = text.index(figure)
    end = start + len(figure)
    sentence_start = max(text.rfind(". ", 0, start) + 2, text.rfind("\n", 0, start) + 1, 0)
    stops = [i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0]
    sentence_end = min(stops) + 1 if stops else len(text)
    return place_of_span(read_places(text), sentence=(sentence_start, sentence_end), span=(start, end))


def test_a_real_dateline_resolves_to_the_gazetteer_city() -> None:
    text = "KABUL, March 3 (Illustrative Wire) - Twelve people were killed, police said."
    place = _place(text, "Twelve people were killed")
    assert place.how is PlaceHow.DATELINE
    assert (place.name, place.country_code, place.admin1, place.level) == (
        "Kabul",
        "AF",
        "AF.13",
        PlaceLevel.LOCALITY,
    )
    assert place.lat == pytest.approx(34.53, abs=0.05) and place.lon == pytest.approx(69.17, abs=0.05)


def test_an_invented_dateline_takes_its_country_part() -> None:
    text = (
        "Blast in market\n\nKARVANI, Afghanistan, March 3 (Illustrative Wire) - Twelve people were "
        "killed.\n\nRescuers searched the rubble."
    )
    places = read_places(text)
    assert places.dateline is not None and places.dateline.name == "Karvani"
    assert places.dateline_span is not None and text[places.dateline_span[1] :].startswith("Twelve")
    place = _place(text, "Twelve people were killed")
    assert (place.name, place.country_code, place.how) == ("Karvani", "AF", PlaceHow.DATELINE)


def test_the_nearest_mention_in_the_sentence_wins_and_takes_its_country_from_context() -> None:
    text = (
        "HERAT, May 2 (Illustrative Wire) - A bomb killed 9 people in the town of Qala Sabz, and a "
        "rocket wounded 4 in Kandahar."
    )
    near = _place(text, "killed 9 people")
    assert (near.name, near.how, near.level, near.country_code) == (
        "Qala Sabz",
        PlaceHow.SENTENCE,
        PlaceLevel.LOCALITY,
        "AF",
    )
    far = _place(text, "wounded 4")
    assert (far.name, far.country_code, far.how) == ("Kandahār", "AF", PlaceHow.SENTENCE)


def test_paragraph_then_article_fallbacks() -> None:
    text = (
        "Fighting spread to the outskirts of Mosul on Sunday. Officials said 30 people were wounded."
        "\n\nLater, 4 died."
    )
    assert _place(text, "30 people were wounded").how is PlaceHow.PARAGRAPH
    later = _place(text, "4 died")
    assert (later.name, later.country_code, later.how) == ("Mosul", "IQ", PlaceHow.ARTICLE)
    assert _place("Four people died in the crash.", "Four people died") == NO_PLACE


def test_admin1_suffix_and_context_fill_the_admin1() -> None:
    text = "Gunmen killed 6 villagers in the town of Deh Now in Helmand province, officials said."
    place = _place(text, "killed 6 villagers")
    assert (place.name, place.admin1_name, place.admin1) == ("Deh Now", "Helmand", None)
    kabul = _place("Floods killed 8 people in Kabul province on Monday.", "killed 8 people")
    assert (kabul.level, kabul.admin1, kabul.country_code, kabul.admin1_name) == (
        PlaceLevel.ADMIN1,
        "AF.13",
        "AF",
        "Kabul",
    )


def test_words_that_look_like_places_are_not_places_without_a_cue() -> None:
    assert read_places("Police said 5 people died.").mentions == ()
    assert read_places("Jackson said on Monday that 5 people died.").mentions == ()
    [mention] = read_places("A tornado killed 5 people in Jackson.").mentions
    assert (mention.name, mention.country_code) == ("Jackson", "US")
    assert read_places("Five people died in Karvani.").mentions == ()  # unknown, weak cue: not a place


def test_a_name_established_as_a_place_counts_without_a_cue_later() -> None:
    text = (
        "SORAYA, Pakistan, May 23 (Illustrative Wire) - A bomb exploded.\n\nIn Soraya, 20 people were killed."
    )
    place = _place(text, "20 people were killed")
    assert (place.name, place.how, place.country_code) == ("Soraya", PlaceHow.SENTENCE, "PK")


def test_countries_states_and_the_larger_population_on_ambiguity() -> None:
    assert place_of_name("Democratic Republic of the Congo").country_code == "CD"  # type: ignore[union-attr]
    assert place_of_name("Republic of Korea").country_code == "KR"  # type: ignore[union-attr]  (an alias)
    texas = place_of_name("Texas")
    assert texas is not None and (texas.level, texas.admin1, texas.admin1_name) == (
        PlaceLevel.ADMIN1,
        "US.TX",
        "Texas",
    )
    alexandria = place_of_name("Alexandria")  # Egypt's is far larger than Virginia's
    assert alexandria is not None and alexandria.country_code == "EG"
    assert gazetteer().lookup("Alexandria", prefer_country="US").country_code == "US"  # type: ignore[union-attr]
    assert place_of_name("Herat") is not None and place_of_name("Kiev").name == "Kyiv"  # type: ignore[union-attr]
    assert iso3_of("AF") == "AFG" and iso3_of(None) is None
    assert fold("Herāt") == "herat"


def test_the_place_words_file_is_validated() -> None:
    data = yaml.safe_load(
        resources.files("casualty_etl.lexicon").joinpath("places_en.yaml").read_text("utf-8")
    )
    assert load_place_words("en").gazetteer.min_city_population == 15000
    with pytest.raises(PlaceError, match="unknown key"):
        parse_place_words({**data, "demonyms": {}}, "en")
    with pytest.raises(PlaceError, match="strong_cues_before"):
        parse_place_words({**data, "strong_cues_before": ["beyond the hills of"]}, "en")
    with pytest.raises(PlaceError, match="min_city_population"):
        parse_place_words({**data, "gazetteer": {**data["gazetteer"], "min_city_population": 12}}, "en")


# --- guard: the words live in the data files, not in the code -------------------------------------------

NEW_MODULES = ["places.py", "dates.py", "aggregate.py", "report.py", "hxl.py"]


def _data_phrases() -> set[str]:
    folder = resources.files("casualty_etl.lexicon")
    dates = yaml.safe_load(folder.joinpath("dates_en.yaml").read_text("utf-8"))
    places = yaml.safe_load(folder.joinpath("places_en.yaml").read_text("utf-8"))
    phrases = [w for names in dates["months"].values() for w in names if len(w) > 3]
    phrases += [w for names in dates["weekdays"].values() for w in names]
    phrases += [entry["phrase"] for entry in dates["relative_days"]]
    phrases += places["admin1_suffixes"] + places["locality_suffixes"] + places["strong_cues_before"]
    return {phrase.lower() for phrase in phrases}


#: snake_case and dotted identifiers (YAML keys, column names) are not prose.
_IDENTIFIER = re.compile(r"\b[a-z0-9]+(?:[_.][a-z0-9]+)+\b")


def _literals(path: Path) -> list[tuple[int, str]]:
    """(line, lower-cased text without identifiers) of every str constant that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, _IDENTIFIER.sub(" ", node.value.lower()))
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_calendar_or_place_words_in_the_code() -> None:
    phrases = _data_phrases()
    assert {"march", "monday", "yesterday", "province", "town of"} <= phrases
    offending = sorted(
        f"{name}:{line}: {phrase!r}"
        for name in NEW_MODULES
        for line, text in _literals(REPO / "casualty_etl" / name)
        for phrase in phrases
        if re.search(rf"\b{re.escape(phrase)}\b", text)
    )
    assert offending == []
