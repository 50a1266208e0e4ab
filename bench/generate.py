"""Deterministic synthetic wire reports for benchmarks: (n, seed) -> n (id, text) pairs of about 4 KB each.

Every article is assembled from the team-written templates below: a headline, a dateline, filler
paragraphs full of numbers that are *not* casualty figures (dates, clock times, money, percentages,
distances, ages, scores, house and village counts) and, in about 70 % of the articles, one to five
casualty sentences with varied numbers (digits, separators, number words, vague plurals, ranges),
qualifiers and cue words; some paragraphs carry a hard negative ("No one was killed", "could be
displaced"). Article ``i`` depends only on ``(seed, i)``: ``generate(10, s)`` is a prefix of
``generate(1000, s)`` and is the same on every machine (``random.Random`` seeded with a string).

Deliberately not: gold data (no figure list is produced, so nothing here can be scored), realistic
prose, other languages. All places and organisations are invented.

    python -m bench.generate 10000 --seed 1 --out bench/out/articles.jsonl   # {"id", "text"} per line
    python -m bench.generate 200 --out bench/out/articles/                   # one <id>.txt per article
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path


def _words(s: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in s.split("|"))


PLACES = _words(
    "Harlow Cross|Marrow Valley|Port Aldera|Veshkoro|Dunmere|Tolland|Selby Junction|Kessel|Brenna|Osk|"
    "Fenby|Cape Orrin|Lower Taskent|Mirela|Qadra Springs|North Ambry|Zell|Oruwa|Saint Ives-on-Tarn|"
    "Kovarny|Ellisport|Banjo Ridge|Nalumbe|Tesh|Greywater|Amara Heights|Coll|Dravik|Upper Sumen|Iskander Bay"
)
REGIONS = _words("Northern Province|Eastern Highlands|Coastal District|Lake Region|Upper Tarn")
SOURCES = _words(
    "a spokesman for the regional health ministry|local officials|the civil defence agency|police|"
    "a hospital director|the district governor|residents reached by telephone|the Red Crescent|"
    "an army statement|the UN humanitarian office|the mayor's office"
)
WEEKDAYS = _words("Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday")
MONTHS = _words("January|February|March|April|May|June|July|August|September|October|November|December")
NUMBER_WORDS = _words(
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty"
)
TENS = _words("||twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety")
VICTIMS = _words(
    "people|civilians|soldiers|police officers|villagers|children|workers|passengers|fishermen|"
    "students|residents|worshippers|miners|pilgrims"
)
# blank entries: most counts are stated without a qualifier
QUALIFIERS = tuple(
    q + " " if q else ""
    for q in _words(
        "||||at least|more than|over|about|around|some|an estimated|nearly|almost|up to|as many as|fewer than"
    )
)
VAGUE = _words("dozens of|scores of|hundreds of|thousands of|tens of thousands of")

# Slots: {q}/{Q} qualifier, {n} count, {lo}-{hi} range, {v} victims, {V} vague quantity, {p}/{p2} places,
# {r} region, {d} weekday, {s} source, {k} small number, {h} hundreds; filler slots in _slots().
KILLED = (
    "{Q}{n} {v} were killed when gunmen opened fire on a crowded market in {p} on {d}, {s} said.",
    "The death toll from the collapse in {p} rose to {q}{n}, according to {s}.",
    "An air strike on {d} killed {q}{n} {v} and destroyed {h} houses in {p}.",
    "{Q}{n} {v} died after the ferry capsized off {p}, {s} told reporters.",
    "Officials said {q}{n} {v} lost their lives in the landslide that buried part of {p}.",
    "Blast kills {n} in {p}.",
    "Rescuers recovered the bodies of {q}{n} {v} from the river near {p} on {d}.",
    "{Q}{n} {v} were shot dead at a checkpoint outside {p}, {s} said.",
    "Between {lo} and {hi} {v} perished in the fire, {s} said.",
    "{V} {v} were killed and {k} more are in critical condition, {s} said.",
)
INJURED = (
    "Another {q}{n} were wounded and taken to hospitals in {p}.",
    "{Q}{n} {v} were injured, {k} of them seriously, {s} said.",
    "The explosion also wounded {q}{n} {v}, {s} said.",
    "{Q}{n} people were hurt in the stampede at the stadium in {p} on {d}.",
    "Doctors at the {p} district hospital said they were treating {q}{n} {v} for injuries.",
    "{V} {v} sustained injuries, {s} said.",
)
DISPLACED = (
    "{Q}{n} {v} have fled their homes in {p} since the fighting began, {s} said.",
    "The floods displaced {q}{n} people across {r}, {s} said.",
    "{Q}{n} residents were evacuated from {p} as the river rose on {d}.",
    "{V} families have been made homeless and are sheltering in {k} schools in {p}.",
    "Aid agencies said {q}{n} people were staying in camps outside {p}.",
)
MISSING = (
    "{Q}{n} {v} remain missing, {s} said.",
    "Search teams were still looking for {q}{n} {v} who are unaccounted for after the storm.",
    "{Q}{n} people are feared buried under the rubble in {p}.",
)
ABDUCTED = (
    "Gunmen abducted {q}{n} {v} from a school in {p} on {d}, {s} said.",
    "{Q}{n} {v} were kidnapped on the road between {p} and {p2}.",
)
CASUALTY_GROUPS = (KILLED, KILLED, KILLED, INJURED, INJURED, DISPLACED, MISSING, ABDUCTED)
NEGATIVE = (
    "No one was killed in the incident, {s} said.",
    "There were no reports of casualties in {p}.",
    "Officials warned that up to {n} people could be displaced if the dam near {p} fails.",
    "The death toll is likely to rise, {s} said.",
    "{h} houses and {k} schools were damaged in {p}, but there were no injuries.",
    "A policeman was wounded in {p} on {d}, {s} said.",
    "Three gunmen entered the building at {clock}, {s} said.",
)
FILLER = (
    "The {r} budget for {y} sets aside {money} for roads and {pct} for health, {s} said on {d}.",
    "{p}, a town of about {pop} people some {km} km north of {p2}, lies on the main road to the border.",
    "The {mag}-magnitude earthquake struck at {clock} local time at a depth of {km} km, the survey said.",
    "Prices of maize rose by {pct} in {month}, while the currency lost {pct2} against the dollar.",
    "The talks, the {ord} round since {y}, are due to resume on {date} in {p}.",
    "A {age}-year-old man was arrested on {d} and is due in court on {date}, police said.",
    "The company said it would invest {money} in the port of {p} over the next {k} years.",
    "Voter turnout in {r} was {pct}, up from {pct2} in {y}, the electoral commission said.",
    "Flight {flight} from {p} landed at {clock} after a delay of {k} hours.",
    "The government has promised {money} in aid, but only {pct} had been paid out by {date}.",
    "Route {route} between {p} and {p2} was closed for {k} days; {h} trucks were stuck at the border.",
    "Rainfall in {month} reached {mm} mm, {pct} above the average for {y}-{y2}, forecasters said.",
    "Some {pop} households in {r} depend on fishing, a sector worth {money} a year.",
    "In a statement issued at {clock} on {date}, {s} called for calm.",
    "The {ord} convoy of {k} lorries carried {tonnes} tonnes of food, {pct} more than in {month}.",
    "{s} said {k} of the {h} villages in {r} had been reconnected to the grid by {date}.",
    "Shares in the state telecom firm fell {pct} on {d} after it reported a loss of {money}.",
    "The bridge, built in {y}, is {mm} metres long and carries {pop} vehicles a month.",
    "Inflation eased to {pct} in {month} from {pct2} a month earlier, the central bank said.",
    "The minister, {age}, took office in {y} and faces re-election on {date}.",
    "About {pct} of the {h} schools in {r} have no running water, a survey published on {date} found.",
    "Temperatures reached {temp} degrees Celsius at {clock} on {d}, the weather office said.",
    "{p} United beat {p2} City {k}-1 on {d} in front of {pop} fans.",
    "The court adjourned the case until {date} and set bail at {money}.",
    "Some {k} ministers and {h} delegates attended the summit in {p} from {date} to {date2}.",
    "Wheat harvests in {r} fell to {tonnes} tonnes in {y}, the lowest since {y0}.",
    "The new hospital in {p} will have {h} beds and cost {money}, {s} said.",
    "Exports rose {pct} year on year to {money} in the first quarter of {y}.",
    "Phone lines to {p} were restored at {clock} on {d}, {k} days after the cables were cut.",
    "The census counted {pop} people in {r}, {pct} of them under the age of {age}.",
    "The {ord} anniversary of the {y0} accord will be marked on {date} with a parade of {h} veterans.",
    "Interest rates were held at {pct} for the {ord} month in a row, {s} said.",
)
HEADLINES = (
    "{p}: tension rises after {d} clashes",
    "{cap} in {p} as {r} braces for more rain",
    "UPDATE {k}-Officials meet in {p} amid calls for calm",
    "{r} governor visits {p}",
    "Markets steady as {p} port reopens",
    "Talks resume in {p} on {date}",
)


def _number_words(n: int) -> str:
    if n <= 20:
        return NUMBER_WORDS[n]
    tens, ones = divmod(n, 10)
    return TENS[tens] + (f"-{NUMBER_WORDS[ones]}" if ones else "")


def _count(rng: random.Random) -> str:
    """A stated count in one of the forms news uses."""
    kind = rng.random()
    if kind < 0.40:
        return str(rng.randint(2, 99))  # 23
    if kind < 0.55:
        sep = rng.choice((",", ",", ".", " "))
        return f"{rng.randint(1, 99)}{sep}{rng.randint(0, 999):03d}"  # 1,204 / 12.500 / 80 000
    if kind < 0.72:
        return _number_words(rng.randint(2, 99))  # twenty-three
    if kind < 0.78:
        return rng.choice(("a dozen", "half a million", "1.2 million", "2.5 million", "one lakh"))
    if kind < 0.88:
        return str(rng.randint(100, 999))
    return str(rng.randint(1000, 99999))  # 50000


def _money(rng: random.Random) -> str:
    return rng.choice(
        (
            f"${rng.randint(1, 99)}.{rng.randint(1, 9)} million",
            f"{rng.randint(2, 900)} million shillings",
            f"EUR {rng.randint(10, 999)},000",
            f"£{rng.randint(1, 9)}.{rng.randint(1, 9)}bn",
            f"{rng.randint(1, 40)} billion dinars",
        )
    )


def _pct(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return rng.choice(("a third", "half", "a quarter"))
    return rng.choice((f"{rng.randint(1, 60)}.{rng.randint(0, 9)}%", f"{rng.randint(1, 90)} percent"))


def _date(rng: random.Random) -> str:
    day, month, year = rng.randint(1, 28), rng.choice(MONTHS), rng.randint(2015, 2024)
    return rng.choice(
        (f"{month} {day}", f"{day} {month} {year}", f"{year}-{rng.randint(1, 12):02d}-{day:02d}")
    )


class _Slots(dict[str, str]):
    """Template slots drawn on first use, so a sentence costs only the random draws it needs."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> str:
        value = _SLOT_MAKERS[key](self.rng, self)
        self[key] = value
        return value


def _other_place(rng: random.Random, slots: _Slots) -> str:
    return rng.choice([p for p in PLACES if p != slots["p"]])


_SLOT_MAKERS: dict[str, Callable[[random.Random, _Slots], str]] = {
    "q": lambda rng, _: rng.choice(QUALIFIERS),
    "Q": lambda rng, _: rng.choice(QUALIFIERS).capitalize(),
    "n": lambda rng, _: _count(rng),
    "lo": lambda rng, _: str(rng.randint(5, 400)),
    "hi": lambda rng, s: str(int(s["lo"]) + rng.randint(2, 60)),
    "v": lambda rng, _: rng.choice(VICTIMS),
    "V": lambda rng, _: rng.choice(VAGUE).capitalize(),
    "p": lambda rng, _: rng.choice(PLACES),
    "p2": _other_place,
    "r": lambda rng, _: rng.choice(REGIONS),
    "d": lambda rng, _: rng.choice(WEEKDAYS),
    "s": lambda rng, _: rng.choice(SOURCES),
    "k": lambda rng, _: str(rng.randint(2, 12)),
    "h": lambda rng, _: str(rng.randint(20, 900)),
    "y": lambda rng, _: str(rng.randint(2008, 2023)),
    "y0": lambda rng, s: str(int(s["y"]) - rng.randint(5, 40)),
    "y2": lambda rng, s: str(int(s["y"]) + 10),
    "money": lambda rng, _: _money(rng),
    "pct": lambda rng, _: _pct(rng),
    "pct2": lambda rng, _: _pct(rng),
    "date": lambda rng, _: _date(rng),
    "date2": lambda rng, _: _date(rng),
    "month": lambda rng, _: rng.choice(MONTHS),
    "clock": lambda rng, _: f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d} {rng.choice(('a.m.', 'p.m.'))}",
    "km": lambda rng, _: str(rng.randint(5, 400)),
    "mag": lambda rng, _: f"{rng.randint(4, 7)}.{rng.randint(0, 9)}",
    "pop": lambda rng, _: f"{rng.randint(5, 900)},000",
    "age": lambda rng, _: str(rng.randint(17, 80)),
    "mm": lambda rng, _: str(rng.randint(40, 600)),
    "temp": lambda rng, _: str(rng.randint(-15, 48)),
    "ord": lambda rng, _: rng.choice(("second", "third", "fourth", "fifth", "12th", "21st")),
    "flight": lambda rng, _: f"{rng.choice('KQZT')}{rng.randint(100, 999)}",
    "route": lambda rng, _: str(rng.randint(1, 60)),
    "tonnes": lambda rng, _: f"{rng.randint(1, 90)},{rng.randint(0, 999):03d}",
    "cap": lambda rng, _: rng.choice(("Floods", "Storm warning", "Curfew", "Power cuts")),
}


def _fill(template: str, rng: random.Random) -> str:
    text = template.format_map(_Slots(rng))
    return text[:1].upper() + text[1:]


def article(seed: int | str, index: int, size: int = 4096) -> tuple[str, str]:
    """Article ``index`` of stream ``seed``: (id, text), about ``size`` UTF-8 bytes (±15 %)."""
    rng = random.Random(f"casualty-etl-bench:{seed}:{index}")
    target = int(size * rng.uniform(0.82, 1.06))  # the last paragraph overshoots by ~250 bytes on average
    headline = _fill(rng.choice(HEADLINES), rng)
    dateline = f"{rng.choice(PLACES).upper()}, {rng.choice(MONTHS)} {rng.randint(1, 28)} (Wire) - "
    n_casualty = 0 if rng.random() < 0.3 else rng.randint(1, 5)
    casualty = [_fill(rng.choice(rng.choice(CASUALTY_GROUPS)), rng) for _ in range(n_casualty)]
    deck: list[str] = []  # filler templates without repeats until all were used
    paragraphs: list[str] = []
    used = len(headline) + len(dateline) + 2
    while used < target or casualty:
        sentences = []
        for _ in range(rng.randint(2, 4)):
            if not deck:
                deck = rng.sample(FILLER, len(FILLER))
            sentences.append(_fill(deck.pop(), rng))
        if rng.random() < 0.15:
            sentences.insert(rng.randint(0, len(sentences)), _fill(rng.choice(NEGATIVE), rng))
        if casualty and (not paragraphs or used >= target * 0.5 or rng.random() < 0.4):
            sentences.insert(rng.randint(0, len(sentences)), casualty.pop())
        paragraphs.append(" ".join(sentences))
        used += len(paragraphs[-1].encode("utf-8")) + 2
    return f"synth-{seed}-{index:06d}", headline + "\n\n" + dateline + "\n\n".join(paragraphs)


def generate(n: int, seed: int | str = 0, size: int = 4096) -> Iterator[tuple[str, str]]:
    """``n`` articles (id, text) of about ``size`` bytes each; deterministic in (seed, index)."""
    for i in range(n):
        yield article(seed, i, size)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int, help="number of articles")
    ap.add_argument("--seed", default="0")
    ap.add_argument("--size", type=int, default=4096, help="approximate bytes per article")
    ap.add_argument("--out", type=Path, required=True, help="a .jsonl file, or a folder for .txt files")
    ap.add_argument("--format", choices=("jsonl", "txt"), help="default: jsonl when --out ends in .jsonl")
    a = ap.parse_args(argv)
    fmt = a.format or ("jsonl" if a.out.suffix == ".jsonl" else "txt")
    total = 0
    if fmt == "jsonl":
        a.out.parent.mkdir(parents=True, exist_ok=True)
        with a.out.open("w", encoding="utf-8") as fh:
            for doc_id, text in generate(a.n, a.seed, a.size):
                fh.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
                total += len(text.encode("utf-8"))
    else:
        a.out.mkdir(parents=True, exist_ok=True)
        for doc_id, text in generate(a.n, a.seed, a.size):
            (a.out / f"{doc_id}.txt").write_text(text + "\n", encoding="utf-8")
            total += len(text.encode("utf-8"))
    print(f"wrote {a.n} articles ({total / 1e6:.1f} MB) to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
