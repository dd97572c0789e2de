"""Re-split an evaluation set by fact, so that no fact is asked in dev and answered again in test.

    python -m eval.resplit [SET.jsonl] [--dry-run]

Questions are grouped into facts by three links, joined transitively (union-find):

* an explicit `fact` id (a Chinese question and its English twin);
* a `conversation`: all its turns;
* an answerable question's gold set and answer key (`eval.metrics.normalize_text`, the form scoring compares):
  records without a `fact` field (the older ones) are twins or duplicates this way, and a new record that asks what
  an older one already asks joins it.

Each group goes to one split. A group with records that already have a split keeps the split most of them have
(ties go to test), so the history of the set moves as little as possible. A group with no split at all is new: the
new groups, in the order of a hash of their ids, go to test whenever test would otherwise hold less than
`TEST_SHARE` of the new groups' questions, else to dev; so at least that share of them ends in test (a new question
that joins an old group takes that group's split instead). Running it again changes nothing. Prints how many
records moved and the final counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import normalize_id, normalize_text

DEFAULT_SET = Path(__file__).with_name("questions.jsonl")
# Share of new questions that go to test: the test split is what the figures are reported on, so it gets more.
TEST_SHARE = 0.6

Record = dict[str, Any]


def links(rec: Record) -> list[str]:
    """The labels that tie a record to others: its own id, its fact, its conversation, its gold and key."""
    out = [f"id:{rec['id']}"]
    if rec.get("fact"):
        out.append(f"fact:{rec['fact']}")
    if rec.get("conversation"):
        out.append(f"conversation:{rec['conversation']}")
    if rec.get("gold"):
        gold = "|".join(sorted({normalize_id(g) for g in rec["gold"]}))
        out.append(f"key:{gold}#{normalize_text(rec['answer'])}")
    return out


def fact_groups(records: Sequence[Record]) -> list[list[int]]:
    """The records' indices grouped by fact (see the module docstring), each group in file order, groups in the
    order of their first record."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rec in records:
        first, *rest = links(rec)
        for other in rest:
            parent[find(other)] = find(first)
    groups: dict[str, list[int]] = {}
    for i, rec in enumerate(records):
        groups.setdefault(find(f"id:{rec['id']}"), []).append(i)
    return list(groups.values())


def majority_split(splits: Sequence[str]) -> str:
    """The split most records of a group already have; a tie goes to test (nothing is tuned on test)."""
    counts = Counter(splits)
    return "dev" if counts["dev"] > counts["test"] else "test"


def _hash(records: Sequence[Record], group: list[int]) -> str:
    return hashlib.sha256("\n".join(sorted(records[i]["id"] for i in group)).encode()).hexdigest()


def choose_splits(
    records: Sequence[Record], groups: Sequence[list[int]], test_share: float = TEST_SHARE
) -> list[str]:
    """The split of every record: a group's majority when it has one, else the new groups' hash-ordered fill."""
    out = [""] * len(records)
    new_groups = []
    for group in groups:
        known = [records[i]["split"] for i in group if records[i].get("split") in ("dev", "test")]
        if known:
            for i in group:
                out[i] = majority_split(known)
        else:
            new_groups.append(group)
    in_test = assigned = 0
    for group in sorted(new_groups, key=lambda g: _hash(records, g)):
        split = "test" if in_test < test_share * (assigned + len(group)) else "dev"
        in_test += len(group) if split == "test" else 0
        assigned += len(group)
        for i in group:
            out[i] = split
    return out


@dataclass(frozen=True)
class Outcome:
    records: list[Record]
    moved: int  # records that had a split and now have the other one
    assigned: int  # records that had no split
    counts: dict[str, int]  # final split -> records
    new_counts: dict[str, int]  # final split -> records that had no split


def resplit(records: Sequence[Record], test_share: float = TEST_SHARE) -> Outcome:
    """The records with their splits chosen by fact; every other field and the order are kept."""
    splits = choose_splits(records, fact_groups(records), test_share)
    out, moved, assigned, new_counts = [], 0, 0, Counter[str]()
    for rec, split in zip(records, splits, strict=True):
        old = rec.get("split")
        if old is None:
            assigned += 1
            new_counts[split] += 1
        elif old != split:
            moved += 1
        out.append({**rec, "split": split})
    counts = Counter(r["split"] for r in out)
    return Outcome(out, moved, assigned, dict(counts), dict(new_counts))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.resplit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("set", nargs="?", default=str(DEFAULT_SET))
    parser.add_argument("--dry-run", action="store_true", help="print what would change; write nothing")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    path = Path(args.set)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    outcome = resplit(records)
    print(
        f"{len(records)} records in {len(fact_groups(records))} fact groups: {outcome.moved} moved to the other "
        f"split, {outcome.assigned} new given one ("
        + ", ".join(f"{k} {v}" for k, v in sorted(outcome.new_counts.items()))
        + "); final "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcome.counts.items()))
    )
    if not args.dry_run:
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in outcome.records), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
