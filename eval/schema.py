"""The question-file format (docs/DESIGN.md §3), defined once: its fields, the record type, and loading.

One JSON object per line with `id`, `question`, `lang`, `kind`, `gold` (passage ids; empty when the document
does not answer) and `answer` (a key string a correct answer contains, whitespace ignored; empty when
unanswerable). Optional: `history` (the earlier user turns, in order), `split` ("dev": tune and calibrate on it;
"test": nothing is chosen on it), `wrong` (strings a vague answer would contain and a precise one would not, such
as the other cells of a table row: see `eval.metrics.strict_answer_match`), `conversation` and `turn` (a shared
conversation id and the 1-based turn number, for the turns of one multi-turn conversation), `fact` (a fact id:
questions asking the same fact, such as a Chinese question and its English twin, share it and so share a split),
`answers` (every key a correct answer contains, for a question in two parts or a list; `answer` repeats the first
key so that code reading one key still works), `standalone` (true on a conversation turn that is not a follow-up:
it is answered on its own, whatever came before) and `near_miss` (for a question the document does not answer:
what the document has instead, or "nothing").

`record_problems` is the structural check both the runner (any DESIGN-format file) and `eval.check_set` (this
project's set, also checked against the document) apply; the checker adds the rules that need the document.
`dev_only` is the guard calibration puts in front of its records: nothing is ever fitted on the test split.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

REQUIRED: dict[str, type] = {
    "id": str,
    "question": str,
    "lang": str,
    "kind": str,
    "gold": list,
    "answer": str,
}
OPTIONAL: dict[str, type] = {
    "history": list,
    "split": str,
    "wrong": list,
    "conversation": str,
    "turn": int,
    "fact": str,
    "answers": list,
    "standalone": bool,
    "near_miss": str,
}
SPLITS = ("dev", "test")
_STRING_LISTS = ("gold", "history", "wrong", "answers")


class SetError(ValueError):
    """The question file is not in docs/DESIGN.md §3 format; the message names the line."""


def record_problems(rec: Any, known_fields_only: bool = False) -> list[str]:
    """What is structurally wrong with one record ([] when nothing is); field names quoted as in the file."""
    if not isinstance(rec, dict):
        return ["not a JSON object"]
    problems: list[str] = []
    for name, typ in REQUIRED.items():
        if name not in rec:
            problems.append(f"missing field {name!r}")
        elif not isinstance(rec[name], typ):
            problems.append(f"field {name!r} must be {typ.__name__}")
    for name, typ in OPTIONAL.items():
        value = rec.get(name)
        # bool is an int in Python; a turn of `true` is a mistake, not turn 1.
        if value is not None and (
            not isinstance(value, typ) or (typ is not bool and isinstance(value, bool))
        ):
            problems.append(f"field {name!r} must be {typ.__name__}")
    if known_fields_only:
        extra = set(rec) - set(REQUIRED) - set(OPTIONAL)
        if extra:
            problems.append(f"unknown field(s) {sorted(extra)}")
    if problems:
        return problems
    for name in _STRING_LISTS:
        if name in rec and rec[name] is not None and not all(isinstance(v, str) for v in rec[name]):
            problems.append(f"{name} must be a list of strings")
    if problems:
        return problems
    if "split" in rec and rec["split"] not in SPLITS:
        problems.append(f"unknown split {rec['split']!r} (want one of {', '.join(SPLITS)})")
    if rec.get("turn") is not None and rec["turn"] < 1:
        problems.append("turn must be 1 or more")
    if (rec.get("conversation") is None) != (rec.get("turn") is None):
        problems.append("conversation and turn go together: give both or neither")
    if rec["gold"] and not rec["answer"].strip():
        problems.append("answer key is empty but gold is not")
    problems += _extension_problems(rec)
    return problems


def _extension_problems(rec: dict[str, Any]) -> list[str]:
    """The rules of `fact`, `answers` and `near_miss` (the record's types already checked)."""
    problems: list[str] = []
    if rec.get("fact") is not None and not rec["fact"].strip():
        problems.append("fact must not be empty")
    answers = rec.get("answers")
    if answers is not None:
        if not rec["gold"]:
            problems.append("answers given but gold is empty")
        elif len(answers) < 2 or not all(a.strip() for a in answers):
            problems.append("answers must list two or more non-empty keys")
        elif answers[0] != rec["answer"]:
            # Code that reads one key (calibration, older reports) reads `answer`: it must be one of the keys.
            problems.append("answer must repeat the first of answers")
    elif rec["kind"] == "two_part":
        problems.append("kind 'two_part' needs answers (one key per part)")
    if rec.get("near_miss") is not None:
        if rec["gold"]:
            problems.append("near_miss is for questions the document does not answer (empty gold)")
        elif not rec["near_miss"].strip():
            problems.append("near_miss must not be empty (say 'nothing' when the document has nothing close)")
    return problems


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    lang: str
    kind: str
    gold: list[str]
    answer: str
    history: list[str] = field(default_factory=list)
    split: str | None = None
    wrong: list[str] = field(default_factory=list)
    conversation: str | None = None
    turn: int | None = None
    fact: str | None = None
    answers: list[str] = field(default_factory=list)
    standalone: bool = False
    near_miss: str | None = None

    @property
    def answerable(self) -> bool:
        return bool(self.gold)

    @property
    def keys(self) -> list[str]:
        """Every key a correct answer must contain: `answers` when given, else the one `answer`."""
        return list(self.answers) if self.answers else [self.answer]

    @classmethod
    def from_dict(cls, rec: dict[str, Any]) -> Question:
        return cls(
            id=rec["id"],
            question=rec["question"],
            lang=rec["lang"],
            kind=rec["kind"],
            gold=list(rec["gold"]),
            answer=rec["answer"],
            history=list(rec.get("history") or []),
            split=rec.get("split"),
            wrong=list(rec.get("wrong") or []),
            conversation=rec.get("conversation"),
            turn=rec.get("turn"),
            fact=rec.get("fact"),
            answers=list(rec.get("answers") or []),
            standalone=bool(rec.get("standalone")),
            near_miss=rec.get("near_miss"),
        )


R = TypeVar("R", Question, dict[str, Any])


def _split_of(record: Question | dict[str, Any]) -> Any:
    return record.split if isinstance(record, Question) else record.get("split")


def dev_only(records: Iterable[R]) -> list[R]:
    """The records, unchanged, when every one is in the dev split; SetError naming the first that is not.

    Calibration chooses weights and a floor: a test record among its input would make the test figures tuned ones.
    """
    out = list(records)
    for rec in out:
        if _split_of(rec) != "dev":
            qid = rec.id if isinstance(rec, Question) else rec.get("id")
            raise SetError(f"{qid}: split {_split_of(rec)!r}, but only dev records may be fitted on")
    return out


def read_records(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON) for every non-blank line; a line that is not JSON raises SetError."""
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise SetError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from exc


def load_questions(path: str | Path) -> list[Question]:
    """Every record of a DESIGN-format file; the first structural problem raises SetError naming its line."""
    questions: list[Question] = []
    seen: set[str] = set()
    for lineno, rec in read_records(path):
        problems = record_problems(rec)
        if problems:
            raise SetError(f"{path}:{lineno}: {problems[0]}")
        if rec["id"] in seen:
            raise SetError(f"{path}:{lineno}: duplicate id {rec['id']!r}")
        seen.add(rec["id"])
        questions.append(Question.from_dict(rec))
    if not questions:
        raise SetError(f"{path}: no questions")
    return questions
