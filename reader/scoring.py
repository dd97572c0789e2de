"""The reader's scores: every candidate (sentence, row or cell) of the top passages, scored for the question;
which one answers, or none, is `reader.requirements.Requirements.choose`.

Each candidate gets a feature vector — the e5 similarity of the question and the candidate (embedded once at
build time, with its context), lexical evidence, whether it holds the kind of fact asked for, whether it meets
or breaks each constraint the question names (year, subprogramme, funding source, plan/actual, posts/money,
template section), and where it sits — and one linear score. The weights are fitted on the dev split of the
evaluation set (`eval.calibrate`); the same scorer serves Chinese and English questions.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpus.candidates import CELL_SEP, Candidate
from corpus.model import Passage
from corpus.table_model import across_parts
from corpus.text import YEAR
from index.query import Hit
from index.ranking import DocumentRetriever

from .facts import CHANGE, NUMBER, has_type, is_specific, total_level
from .question import Question
from .template import Template, component_of, is_overview, section_of
from .terms import TermWeights, contains
from .vocabulary import FUNDING, MEASURE, STATE

WEIGHTS = Path(__file__).with_name("weights.json")
FEATURES = (
    "bias",
    "dense",
    "dense_gap",
    "passage",
    "rank",
    "exact",
    "lex",
    "lex_ctx",
    "type_ok",
    "type_missing",
    "year_ok",
    "year_bad",
    "scope_ok",
    "scope_bad",
    "funding_ok",
    "funding_bad",
    "state_ok",
    "state_bad",
    "measure_ok",
    "measure_bad",
    "recosting_bad",
    "grade_ok",
    "section_ok",
    "section_bad",
    "component_ok",
    "component_bad",
    "is_row",
    "is_cell",
    "first",
    "length",
    "label_exact",
    "change_ok",
    "change_bad",
    "deep_table",
    "total_ok",
    "total_bad",
    "symbol_ok",
    "scope_extra",
)
# A row label's numbering ("3. ", "A. ", "(a) "): not what a question names the row by.
_LABEL_NUMBER = re.compile(r"^(?:[A-Z]\.|\d+\.|\(\w\))\s*")
# How deep the reader looks: the top passages, and for a figure the best tables a little further down (totals
# and posts are printed only in tables, which lose to short paragraphs in retrieval).
DEPTH = 5
TABLE_DEPTH = 25
EXTRA_TABLES = 4


@dataclass(frozen=True)
class Weights:
    """The scorer's weights by feature name, and the abstention floor on the best candidate's score."""

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    floor: float = -math.inf
    floors: dict[str, float] = field(default_factory=dict)  # per language, where calibrated so

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> Weights:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            weights={**DEFAULT_WEIGHTS, **data["weights"]},
            floor=float(data.get("floor", -math.inf)),
            floors={k: float(v) for k, v in data.get("floors", {}).items()},
        )

    def floor_for(self, lang: str) -> float:
        """The abstention floor for a question in `lang`: English questions match the Chinese text less
        closely, so their best scores run lower and their floor is calibrated apart."""
        return self.floors.get(lang, self.floor)

    def vector(self) -> np.ndarray:
        return np.array([self.weights.get(f, 0.0) for f in FEATURES], dtype=np.float32)


# A hand-set start, only used before `eval.calibrate` has written weights.json: similarity and constraint matches.
DEFAULT_WEIGHTS: dict[str, float] = {
    "dense": 4.0,
    "dense_gap": 4.0,
    "passage": 2.0,
    "lex": 2.0,
    "lex_ctx": 0.5,
    "type_ok": 1.0,
    "type_missing": -2.0,
    "year_bad": -1.5,
    "scope_bad": -1.5,
    "funding_bad": -1.5,
    "state_bad": -1.0,
    "measure_bad": -1.5,
    "section_ok": 0.5,
    "section_bad": -0.5,
    "component_bad": -1.0,
}


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    passage: Passage
    hit: Hit
    score: float
    features: dict[str, float]


@dataclass(frozen=True)
class _Read:
    """What one reading of one question shares across its candidates: nothing of it is kept on the reader, which
    serves every request at once."""

    q: Question
    terms: dict[str, float]
    best: float  # the best candidate's similarity
    depth: int  # how many top hits were read; a table below them was fetched for a figure


class Reader:
    def __init__(
        self, retriever: DocumentRetriever, template: Template, weights: Weights | None = None
    ) -> None:
        self.retriever = retriever
        self.template = template
        self.weights = weights or Weights.load()
        self._w = self.weights.vector()
        self.term_weights = TermWeights(retriever.passages)
        self.overview = [p for p in retriever.passages if is_overview(p)]

    def candidates_of(
        self, hits: list[Hit], depth: int, figure: bool = False, overview: bool = False
    ) -> list[tuple[int, Hit]]:
        """Candidate rows of the top `depth` hits and of the items inside them, each with the hit it came from;
        for a figure, also of the best tables below them."""
        out: list[tuple[int, Hit]] = []
        index = self.retriever.candidates
        chosen = hits[:depth]
        if figure:
            chosen += [h for h in hits[depth:TABLE_DEPTH] if h.passage.kind == "table"][:EXTRA_TABLES]
        if figure and overview:
            # The section's own totals live in its resource overview (part B's 概述: 4.84-4.86, 表4.21-4.23 here),
            # which a question about the whole section seldom matches word for word.
            seen = {h.passage.id for h in chosen}
            chosen += [Hit(p, 0.0, 0.0, 0.0, False) for p in self.overview if p.id not in seen]
        for hit in chosen:
            for pid in self._family(hit.passage):
                out.extend((i, hit) for i in index.of_passage.get(pid, []))
        return out

    def _family(self, p: Passage) -> list[str]:
        ids = [p.id]
        for child in p.children:
            c = self.retriever.by_id.get(child)
            if c is not None and c.kind == "item":
                ids.extend(self._family(c))
        return ids

    def read(self, q: Question, hits: list[Hit], vector: np.ndarray, depth: int = DEPTH) -> list[Scored]:
        """Every candidate of the top passages, best first."""
        pool = self.candidates_of(
            hits,
            depth,
            figure=q.wants_figure,
            overview=not q.subprogrammes and not q.components and not any(h.exact for h in hits),
        )
        if not pool:
            return []
        index = self.retriever.candidates
        rows = np.array([i for i, _ in pool])
        dense = index.vectors[rows] @ vector.astype(np.float32)
        read = _Read(q, self.term_weights.of(q), float(dense.max()), depth)
        ranks = {h.passage.id: r for r, h in enumerate(hits)}  # a table from below the top keeps its rank
        feats = np.zeros((len(pool), len(FEATURES)), dtype=np.float32)
        out_features = []
        for n, ((i, hit), d) in enumerate(zip(pool, dense, strict=True)):
            f = self.features(read, index.items[i], hit, float(d), ranks.get(hit.passage.id, depth))
            feats[n] = [f[name] for name in FEATURES]
            out_features.append(f)
        scores = feats @ self._w
        order = np.argsort(-scores, kind="stable")
        return [
            Scored(
                index.items[pool[k][0]],
                self.retriever.by_id[index.items[pool[k][0]].passage_id],
                pool[k][1],
                float(scores[k]),
                out_features[k],
            )
            for k in order
        ]

    def features(self, read: _Read, c: Candidate, hit: Hit, dense: float, rank: int) -> dict[str, float]:
        q, terms = read.q, read.terms
        p = self.retriever.by_id[c.passage_id]
        raw = p.text[c.start : c.end]
        # A cell is a bare figure: what it says is in its own row label, its column's header path and its unit;
        # the parent row's label ("实质性会议服务" over "1. 第一委员会会议") is context, as a heading is.
        own_label = c.row_label.split(" › ")[-1]
        span = f"{own_label} {c.column} {c.unit} {raw}" if c.kind == "cell" else raw
        context = " ".join([c.context, c.row_label, c.column, " ".join(p.heading)])
        whole = f"{span} {context}"
        total = sum(terms.values()) or 1.0
        in_span = sum(w for t, w in terms.items() if contains(span, t))
        in_ctx = sum(w for t, w in terms.items() if not contains(span, t) and contains(context, t))
        f = dict.fromkeys(FEATURES, 0.0)
        f["bias"] = 1.0
        f["dense"] = dense
        f["dense_gap"] = dense - read.best
        f["passage"] = hit.score
        f["rank"] = 1.0 / (1 + rank)
        f["exact"] = 1.0 if hit.exact else 0.0
        f["lex"] = in_span / total
        f["lex_ctx"] = in_ctx / total
        if c.kind == "cell":
            typed = (
                bool(NUMBER.search(raw))
                if q.wants_figure
                else has_type(span, q.answer_type, self.template.places)
            )
        else:
            # A row of figures holds them without units; a row of text (an unaligned table's paragraph) is text.
            typed = has_type(
                span, q.answer_type, self.template.places, table_row=c.kind == "row" and CELL_SEP in span
            )
        f["type_ok"] = 1.0 if typed and q.answer_type != "text" else 0.0
        f["type_missing"] = 1.0 if is_specific(q.answer_type) and not typed else 0.0
        if q.years:
            # A heading that names two years ("2022 年方案执行情况和 2024 年具体目标") says which of them no figure
            # under it is of.
            said = [span, c.context, c.row_label, c.column] + [
                h for h in p.heading if len(YEAR.findall(h)) == 1
            ]
            years = set(YEAR.findall(" ".join(said)))
            f["year_ok"] = 1.0 if any(y in years for y in q.years) else 0.0
            # Another year in the span itself (or its column) is another year's fact; one in the heading path
            # ("2024 年拟议所需员额资源") is only where the passage sits.
            own = set(YEAR.findall(f"{span} {c.column}"))
            # The year a date question asks for is another year than the one it says ("它 2022 年才召开，原本是
            # 哪一年？"): there another year is the answer, not another year's fact.
            asks_year = q.answer_type == "date"
            f["year_bad"] = 1.0 if own and not asks_year and not any(y in own for y in q.years) else 0.0
        if q.subprogrammes:
            under = self.template.subprogramme_of(p)
            named = self.template.named_in(span)
            wanted = set(q.subprogrammes)
            f["scope_ok"] = 1.0 if (under in wanted or named & wanted) else 0.0
            f["scope_bad"] = (
                1.0
                if ((under and under not in wanted and not named & wanted) or (named and not named & wanted))
                else 0.0
            )
        if q.funding:
            f["funding_ok"], f["funding_bad"] = _meets(whole, whole, FUNDING.printed((q.funding,)))
            if c.kind == "cell" and across_parts(c.column):
                # A total across a table's parts (`(1)+(2) 共计`) is every funding source together: it answers a
                # question naming them all and breaks one naming a single source.
                both = any(
                    w in f"{q.text} {' '.join(q.translations)}" for w in FUNDING.printed((q.funding,))[1]
                )
                f["funding_ok"], f["funding_bad"] = (1.0, 0.0) if both else (0.0, 1.0)
        if q.states:
            # Another state said in the span or its column is another figure; in the heading it is only context.
            f["state_ok"], f["state_bad"] = _meets(whole, span + c.column, STATE.printed(q.states))
        if q.measure:
            f["measure_ok"], f["measure_bad"] = _meets(whole, whole, MEASURE.printed((q.measure,)))
        if q.recosting:
            # The document gives its figures before recosting only; a question after recosting asks another one.
            word = "重计费用后" if q.recosting == "after" else "重计费用前"
            f["recosting_bad"] = 0.0 if word in whole or q.recosting == "before" else 1.0
        if q.grades:
            f["grade_ok"] = 1.0 if any(g.replace("(", " (") in span or g in span for g in q.grades) else 0.0
        if not q.subprogrammes and not q.components:
            # A question that names no subprogramme or component asks about the section as a whole: the
            # overview's total (4.86), not the same sentence of one component (4.93, 决策机关).
            narrowed = self.template.subprogramme_of(p) or component_of(p)
            f["scope_extra"] = 1.0 if narrowed else 0.0
        if q.sections:
            section = section_of(p)
            f["section_ok"] = 1.0 if section in q.sections else 0.0
            f["section_bad"] = 1.0 if section and section not in q.sections else 0.0
        if q.components:
            comp = component_of(p)
            f["component_ok"] = 1.0 if comp in q.components or any(x in span for x in q.components) else 0.0
            f["component_bad"] = 1.0 if comp and comp not in q.components else 0.0
        label = _LABEL_NUMBER.sub("", own_label).strip()
        asked = " ".join((q.text, *q.translations, *q.senses))
        f["label_exact"] = 1.0 if len(label) >= 2 and label in asked else 0.0
        if c.kind == "cell" or q.wants_figure:
            changes = bool(CHANGE.search(c.column if c.kind == "cell" else raw))
            f["change_ok"] = 1.0 if q.change and changes else 0.0
            f["change_bad"] = 1.0 if q.change != changes else 0.0
        f["deep_table"] = 1.0 if rank >= read.depth and p.kind == "table" else 0.0
        if c.kind in ("cell", "row") and q.wants_figure:
            level = total_level(label)
            f["total_ok"] = level  # a total row: what a question naming no row usually wants
            f["total_bad"] = 1.0 if q.total and not level else 0.0
        if q.symbols:
            f["symbol_ok"] = 1.0 if any(sym in raw for sym in q.symbols) else 0.0
        f["is_row"] = 1.0 if c.kind == "row" else 0.0
        f["is_cell"] = 1.0 if c.kind == "cell" else 0.0
        f["first"] = 1.0 if c.start == 0 else 0.0
        f["length"] = math.log1p(len(span)) / 5.0
        return f


def _meets(ok_text: str, bad_text: str, words: tuple[list[str], list[str]]) -> tuple[float, float]:
    """(meets, breaks) a constraint: its value is named in `ok_text`; else another value is named in `bad_text`."""
    mine, others = words
    ok = any(w in ok_text for w in mine)
    return (1.0 if ok else 0.0), (1.0 if not ok and any(w in bad_text for w in others) else 0.0)
