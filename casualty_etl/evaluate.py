"""Score extracted figures against a gold JSON-lines file, the same way as the shared reference scorer.

Contract: gold JSON lines (the ``/work/shared/eval`` record format) + predicted figures per document id
-> ``Scores``: tp/fp/fn/precision/recall/F1 per category and micro-averaged, in two modes:

- ``lenient``: a prediction matches a gold figure when category and value are equal;
- ``strict``: the predicted qualifier must also equal the gold qualifier or one of its ``alt_qualifiers``
  (a prediction without a qualifier counts as ``exact``).

Each gold figure and each prediction is matched at most once (maximum bipartite matching inside every
(document, category, value) group). Filters follow the reference scorer: ``categories`` drops other
categories from gold *and* predictions; ``exclude_qualifiers``/``exclude_scopes`` make gold figures
"don't care" (a prediction left over after matching that hits one is neither a true nor a false
positive); ``origins``/``lang`` select documents. ``assign_folds`` splits a gold file into N
deterministic folds (stratified by ``origin``, ordered by a hash of ``id``) so that rules can be
written from one fold and measured on another (``fold_report`` scores every fold). Documents without
predictions predicted nothing;
prediction ids that are not in the gold file are reported and ignored. ``scores_to_json`` gives the
object the reference scorer writes with ``--json``.

Deliberately not here: extraction rules, spans or offsets (only category, value and qualifier are
scored), ``status``/``subtype``/``unit`` (ignored, as by the reference), pandas, Prefect.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from casualty_etl.model import Figure

#: Categories of the project's headline number.
HEADLINE_CATEGORIES: tuple[str, ...] = ("killed", "injured", "displaced", "missing")

ExtractFn = Callable[[str], Sequence[Figure]]


class Mode(StrEnum):
    LENIENT = "lenient"
    STRICT = "strict"


# --------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class GoldFigure:
    """The fields of a gold figure that scoring (and a reader of a miss) needs.

    ``qualifier`` is ``None`` when the record has none: it then matches ``exact`` in the strict mode
    but is never removed by ``exclude_qualifiers`` (as in the reference). ``scope`` is ``None`` for
    the reported incident itself.
    """

    category: str
    value: int
    qualifier: str | None = "exact"
    alt_qualifiers: tuple[str, ...] = ()
    scope: str | None = None
    span: str | None = None
    char_start: int | None = None
    char_end: int | None = None

    @property
    def accepted_qualifiers(self) -> frozenset[str]:
        """Qualifiers a prediction may carry to match strictly."""
        main = self.qualifier if self.qualifier is not None else "exact"
        return frozenset((main, *self.alt_qualifiers))


@dataclass(frozen=True, slots=True)
class GoldDocument:
    id: str
    text: str
    figures: tuple[GoldFigure, ...]
    origin: str | None = None
    lang: str = "en"
    source: str | None = None


@dataclass(frozen=True, slots=True)
class PredictedFigure:
    """A prediction read from a predictions file: what the scorer compares, nothing more."""

    category: str
    value: int
    qualifier: str = "exact"


@dataclass(frozen=True, slots=True)
class MalformedFigure:
    """A predicted figure without a readable category or integer value: skipped and counted."""

    raw: str


Prediction = Figure | PredictedFigure | MalformedFigure
Predictions = Mapping[str, Sequence[Prediction]]


def _read_jsonl(path: Path) -> Iterable[tuple[int, object]]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: invalid JSON: {e}") from e


def _gold_figure(raw: Mapping[str, object]) -> GoldFigure:
    q = raw.get("qualifier", None)
    start, end = raw.get("char_start"), raw.get("char_end")
    return GoldFigure(
        category=str(raw["category"]),
        value=int(raw["value"]),  # type: ignore[call-overload]
        qualifier=None if q is None else str(q),
        alt_qualifiers=tuple(str(a) for a in raw.get("alt_qualifiers", None) or ()),  # type: ignore[union-attr]
        scope=None if raw.get("scope") is None else str(raw["scope"]),
        span=None if raw.get("span") is None else str(raw["span"]),
        char_start=start if isinstance(start, int) else None,
        char_end=end if isinstance(end, int) else None,
    )


def load_gold(path: str | Path) -> tuple[GoldDocument, ...]:
    """Read a gold JSON-lines file. Raises ValueError on invalid JSON or a record without ``id``."""
    path = Path(path)
    docs = []
    for n, rec in _read_jsonl(path):
        if not isinstance(rec, dict) or "id" not in rec:
            raise ValueError(f"{path}:{n}: a gold record must be a JSON object with an id")
        docs.append(
            GoldDocument(
                id=str(rec["id"]),
                text=str(rec.get("text", "")),
                figures=tuple(_gold_figure(f) for f in rec.get("figures") or ()),
                origin=rec.get("origin"),
                lang=rec.get("lang", "en"),
                source=rec.get("source"),
            )
        )
    return tuple(docs)


def _as_int(v: object) -> int:
    """An integer value as the reference reads it: ints, integral floats, "1,200" style strings."""
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        f = float(v.strip().replace(",", "").replace("_", ""))
        if f.is_integer():
            return int(f)
    raise ValueError(v)


def _predicted_figure(raw: object) -> PredictedFigure | MalformedFigure:
    if not isinstance(raw, dict) or not isinstance(raw.get("category"), str):
        return MalformedFigure(json.dumps(raw, ensure_ascii=False, default=str))
    try:
        value = _as_int(raw.get("value"))
    except (ValueError, TypeError, OverflowError):
        return MalformedFigure(json.dumps(raw, ensure_ascii=False, default=str))
    q = raw.get("qualifier")
    return PredictedFigure(category=raw["category"], value=value, qualifier=str(q) if q else "exact")


def load_predictions(path: str | Path) -> dict[str, tuple[PredictedFigure | MalformedFigure, ...]]:
    """Read a predictions file (``{"id": ..., "figures": [{category, value, qualifier?}]}`` per line).

    Lines with the same id are merged. Unreadable figures become ``MalformedFigure`` (``score``
    counts them); records that are not objects raise ValueError.
    """
    path = Path(path)
    out: dict[str, list[PredictedFigure | MalformedFigure]] = {}
    for n, rec in _read_jsonl(path):
        if not isinstance(rec, dict):
            raise ValueError(f"{path}:{n}: a prediction record must be a JSON object")
        figures = rec.get("figures") or []
        items = list(figures) if isinstance(figures, list | tuple | dict | str) else [figures]
        out.setdefault(str(rec.get("id")), []).extend(_predicted_figure(f) for f in items)
    return {k: tuple(v) for k, v in out.items()}


def predict(
    docs: Iterable[GoldDocument], extract_fn: ExtractFn | None = None
) -> dict[str, tuple[Figure, ...]]:
    """Run the extractor over every document's text; the real ``casualty_etl.extract.extract`` by default."""
    if extract_fn is None:
        from casualty_etl.extract import extract as extract_fn
    return {d.id: tuple(extract_fn(d.text)) for d in docs}


def write_predictions(predictions: Mapping[str, Sequence[Figure]], path: str | Path) -> None:
    """Write predictions as JSON lines of the extract contract, readable by the reference scorer."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for doc_id, figures in predictions.items():
            rec = {"id": doc_id, "figures": [f.to_json() for f in figures]}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------------- folds


def _id_hash(doc_id: str) -> str:
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()


def assign_folds(docs: Iterable[GoldDocument], n: int) -> dict[str, int]:
    """Document id -> fold in ``0..n-1``. Within each ``origin`` (one outlet or style), documents are
    ordered by the sha256 of their id and dealt to the folds in turn: every origin is spread over
    all folds, and the split depends only on the file's ids and origins (never on file order)."""
    if n < 1:
        raise ValueError("the number of folds must be at least 1")
    by_origin: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        by_origin[d.origin or ""].append(d.id)
    folds: dict[str, int] = {}
    for origin in sorted(by_origin):
        for rank, doc_id in enumerate(sorted(by_origin[origin], key=_id_hash)):
            folds[doc_id] = rank % n
    return folds


def select_fold(docs: Sequence[GoldDocument], n: int, k: int) -> tuple[GoldDocument, ...]:
    """The documents of fold ``k`` of ``n`` (``assign_folds``)."""
    if not 0 <= k < n:
        raise ValueError(f"fold {k} is not in 0..{n - 1}")
    folds = assign_folds(docs, n)
    return tuple(d for d in docs if folds[d.id] == k)


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def gold(self) -> int:
        return self.tp + self.fn

    @property
    def pred(self) -> int:
        return self.tp + self.fp

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class CategoryScore:
    category: str
    counts: Counts


@dataclass(frozen=True, slots=True)
class ModeScores:
    """One mode's rows: only categories with at least one tp, fp or fn, sorted by name."""

    mode: Mode
    per_category: tuple[CategoryScore, ...]

    def __getitem__(self, category: str) -> Counts:
        for row in self.per_category:
            if row.category == category:
                return row.counts
        raise KeyError(category)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(row.category for row in self.per_category)

    @property
    def micro(self) -> Counts:
        return sum((row.counts for row in self.per_category), Counts())

    @property
    def macro_f1(self) -> float:
        f1s = [row.counts.f1 for row in self.per_category]
        return sum(f1s) / len(f1s) if f1s else 0.0

    def micro_for(self, categories: Collection[str]) -> Counts:
        """Micro counts over some categories: equal to scoring with ``categories=`` those (groups never
        mix categories)."""
        return sum((row.counts for row in self.per_category if row.category in categories), Counts())


@dataclass(frozen=True, slots=True)
class Scores:
    lenient: ModeScores
    strict: ModeScores
    documents_scored: int
    negative_documents: int  # gold documents without any figure (before the category filter)
    negative_documents_with_predictions: int
    unknown_prediction_ids: tuple[str, ...]
    malformed_predicted_figures: int

    def mode(self, mode: Mode | str) -> ModeScores:
        return self.lenient if Mode(mode) is Mode.LENIENT else self.strict

    def headline(self, mode: Mode | str) -> Counts:
        """Micro counts over ``HEADLINE_CATEGORIES``."""
        return self.mode(mode).micro_for(HEADLINE_CATEGORIES)


# --------------------------------------------------------------------------------------------- scoring


def _max_matching(n_left: int, n_right: int, compatible: Callable[[int, int], bool]) -> list[int]:
    """Maximum bipartite matching by augmenting paths; returns, per right node, its left node or -1."""
    owner = [-1] * n_right
    adjacency = [[j for j in range(n_right) if compatible(i, j)] for i in range(n_left)]
    for start in range(n_left):
        # iterative DFS for an augmenting path from `start`
        seen = [False] * n_right
        stack: list[tuple[int, int]] = [(start, 0)]  # (left node, next adjacency index)
        path: list[int] = []  # right nodes taken along the stack
        while stack:
            i, k = stack[-1]
            if k == len(adjacency[i]):
                stack.pop()
                if path:
                    path.pop()
                continue
            stack[-1] = (i, k + 1)
            j = adjacency[i][k]
            if seen[j]:
                continue
            seen[j] = True
            if owner[j] == -1:
                # flip the path: each left node on the stack takes the right node after it
                path.append(j)
                for (left, _), right in zip(stack, path, strict=True):
                    owner[right] = left
                break
            path.append(j)
            stack.append((owner[j], 0))
    return owner


@dataclass(frozen=True, slots=True)
class _Key:
    category: str
    value: int
    qualifier: str


def _key(p: Figure | PredictedFigure) -> _Key:
    if isinstance(p, Figure):
        return _Key(p.category.value, p.value, p.qualifier.value)
    return _Key(p.category, p.value, p.qualifier)


def _score_group(preds: Sequence[_Key], real: Sequence[GoldFigure], dont_care: int, mode: Mode) -> Counts:
    """One (document, category, value) group: match against the scored gold figures, then let the
    leftovers sit on the don't-care ones (any leftover may, whatever its qualifier)."""
    if mode is Mode.LENIENT:
        matched = min(len(preds), len(real))
    else:
        owner = _max_matching(
            len(preds), len(real), lambda i, j: preds[i].qualifier in real[j].accepted_qualifiers
        )
        matched = sum(1 for o in owner if o != -1)
    rest = len(preds) - matched
    absorbed = min(rest, dont_care)
    return Counts(tp=matched, fp=rest - absorbed, fn=len(real) - matched)


@dataclass(slots=True)
class _Group:
    preds: list[_Key]
    real: list[GoldFigure]
    dont_care: int = 0


def score(
    gold: Sequence[GoldDocument],
    predictions: Predictions,
    *,
    categories: Collection[str] | None = None,
    exclude_qualifiers: Collection[str] = (),
    exclude_scopes: Collection[str] = (),
    origins: Collection[str] | None = None,
    lang: str | None = None,
) -> Scores:
    """Score predictions (document id -> figures) against gold; see the module docstring.

    Empty ``categories``/``origins`` mean no filter, as in the reference.
    """
    cats = frozenset(categories) if categories else None
    excl_q, excl_s = frozenset(exclude_qualifiers), frozenset(exclude_scopes)
    gold_ids = {d.id for d in gold}
    unknown = tuple(sorted(k for k in predictions if k not in gold_ids))

    counts: dict[Mode, dict[str, Counts]] = {m: defaultdict(Counts) for m in Mode}
    n_docs = neg_docs = neg_with_pred = malformed = 0
    for doc in gold:
        if origins and doc.origin not in origins:
            continue
        if lang and doc.lang != lang:
            continue
        n_docs += 1
        golds = [g for g in doc.figures if cats is None or g.category in cats]
        preds: list[_Key] = []
        for p in predictions.get(doc.id, ()):
            if isinstance(p, MalformedFigure):
                malformed += 1
                continue
            k = _key(p)
            if cats is None or k.category in cats:
                preds.append(k)
        if not doc.figures:
            neg_docs += 1
            neg_with_pred += bool(preds)

        groups: dict[tuple[str, int], _Group] = defaultdict(lambda: _Group([], []))
        for g in golds:
            group = groups[(g.category, g.value)]
            if g.qualifier in excl_q or g.scope in excl_s:
                group.dont_care += 1
            else:
                group.real.append(g)
        for k in preds:
            groups[(k.category, k.value)].preds.append(k)
        for (cat, _value), group in groups.items():
            for mode in Mode:
                counts[mode][cat] += _score_group(group.preds, group.real, group.dont_care, mode)

    def rows(mode: Mode) -> ModeScores:
        per = tuple(CategoryScore(cat, c) for cat, c in sorted(counts[mode].items()) if c.tp + c.fp + c.fn)
        return ModeScores(mode, per)

    return Scores(
        lenient=rows(Mode.LENIENT),
        strict=rows(Mode.STRICT),
        documents_scored=n_docs,
        negative_documents=neg_docs,
        negative_documents_with_predictions=neg_with_pred,
        unknown_prediction_ids=unknown,
        malformed_predicted_figures=malformed,
    )


# --------------------------------------------------------------------------------------------- output


def _prf(c: Counts) -> dict[str, float]:
    return {"precision": c.precision, "recall": c.recall, "f1": c.f1}


def scores_to_json(scores: Scores) -> dict[str, object]:
    """The object the reference scorer writes with ``--json``."""
    out: dict[str, object] = {
        "documents_scored": scores.documents_scored,
        "negative_documents": scores.negative_documents,
        "negative_documents_with_predictions": scores.negative_documents_with_predictions,
        "unknown_prediction_ids": list(scores.unknown_prediction_ids),
        "malformed_predicted_figures": scores.malformed_predicted_figures,
    }
    for ms in (scores.lenient, scores.strict):
        micro = ms.micro
        out[ms.mode.value] = {
            "per_category": {
                row.category: {
                    "tp": row.counts.tp,
                    "fp": row.counts.fp,
                    "fn": row.counts.fn,
                    "gold": row.counts.gold,
                    "pred": row.counts.pred,
                    **_prf(row.counts),
                }
                for row in ms.per_category
            },
            "micro": {"tp": micro.tp, "fp": micro.fp, "fn": micro.fn, **_prf(micro)},
            "macro_f1": ms.macro_f1,
        }
    return out


def format_table(scores: Scores, title: str | None = None) -> Table:
    """Both modes side by side: one row per category, then MICRO, the headline micro and macro F1."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0))
    table.add_column("category", no_wrap=True)
    table.add_column("gold", justify="right", no_wrap=True)
    for mode in Mode:
        table.add_column(f"{mode.value}\ntp/fp/fn", justify="right", no_wrap=True)
        for name in ("P", "R", "F1"):
            table.add_column(name, justify="right", no_wrap=True)

    def cells(c: Counts) -> list[str]:
        return [f"{c.tp}/{c.fp}/{c.fn}", f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}"]

    def add(label: str, lenient: Counts, strict: Counts) -> None:
        table.add_row(label, str(lenient.gold), *cells(lenient), *cells(strict))

    for cat in scores.lenient.categories:
        add(cat, scores.lenient[cat], scores.strict[cat])
    table.add_section()
    add("MICRO", scores.lenient.micro, scores.strict.micro)
    add("headline", scores.headline(Mode.LENIENT), scores.headline(Mode.STRICT))
    macro = ("", "", f"{scores.lenient.macro_f1:.3f}"), ("", "", f"{scores.strict.macro_f1:.3f}")
    table.add_row("macro F1", "", "", *macro[0], "", *macro[1])
    table.caption = (
        f"lenient = category + value; strict = + qualifier. headline = {'/'.join(HEADLINE_CATEGORIES)}. "
        f"{scores.documents_scored} documents, {scores.negative_documents} without figures "
        f"({scores.negative_documents_with_predictions} of them with predictions)."
    )
    table.caption_justify = "left"
    return table


@dataclass(frozen=True, slots=True)
class FoldScore:
    fold: int
    documents: int
    lenient: Counts
    strict: Counts


def fold_report(
    gold: Sequence[GoldDocument], predictions: Predictions, n: int, **filters: object
) -> tuple[FoldScore, ...]:
    """Headline micro counts (``HEADLINE_CATEGORIES``) of every fold of ``n``; ``filters`` go to ``score``."""
    rows = []
    for k in range(n):
        docs = select_fold(gold, n, k)
        s = score(docs, predictions, **filters)  # type: ignore[arg-type]
        rows.append(FoldScore(k, len(docs), s.headline(Mode.LENIENT), s.headline(Mode.STRICT)))
    return tuple(rows)


def format_fold_report(rows: Sequence[FoldScore], title: str | None = None) -> str:
    """One line per fold: documents, headline micro-F1 lenient / strict, and the largest gap."""
    lines = [title] if title else []
    for r in rows:
        lines.append(
            f"  fold {r.fold}: {r.documents:4d} docs  lenient {r.lenient.f1:.3f} "
            f"(tp/fp/fn {r.lenient.tp}/{r.lenient.fp}/{r.lenient.fn})  strict {r.strict.f1:.3f}"
        )
    if len(rows) > 1:
        gap = max(r.lenient.f1 for r in rows) - min(r.lenient.f1 for r in rows)
        lines.append(f"  largest lenient gap between folds: {gap:.3f}")
    return "\n".join(lines) + "\n"


def render(scores: Scores, title: str | None = None, width: int = 100) -> str:
    """``format_table`` as plain text (for logs and test output)."""
    buf = io.StringIO()
    Console(file=buf, width=width, no_color=True, color_system=None).print(format_table(scores, title))
    return buf.getvalue()
