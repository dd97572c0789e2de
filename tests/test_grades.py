"""A count of one grade's posts from a line that lists every grade (reader.replies.grade_items), on hand-written
lines."""

from __future__ import annotations

from reader.question import analyse
from reader.replies import grade_items

LINE = "2024 年拟议 40 1 个 USG、2 个 D-1、7 个 P-5、11 个 P-4、3 个 NO、4 个 GS (PL)、9 个 GS (OL)"


def test_the_item_of_the_grade_asked_and_no_other() -> None:
    assert grade_items(LINE, analyse("2024 年拟议多少个 P-5 员额？").grades) == "7 个 P-5"
    assert grade_items(LINE, analyse("How many P-4 posts are proposed?").grades) == "11 个 P-4"
    # A grade the line prints with a space, or by its other abbreviation (NO for NPO).
    assert grade_items(LINE, analyse("多少个 GS(PL) 员额？").grades) == "4 个 GS (PL)"
    assert grade_items(LINE, analyse("How many NPO posts?").grades) == "3 个 NO"


def test_a_grade_the_line_lacks_gives_nothing() -> None:
    assert grade_items(LINE, analyse("多少个 P-3 员额？").grades) == ""
    # P-4 is not P-40, and D-1 not D-12.
    assert grade_items("1 个 P-40、2 个 D-12", ("P-4", "D-1")) == ""
