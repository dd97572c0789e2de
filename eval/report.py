"""The report's two jobs under their older name: scoring (`eval.scoring`) and rendering (`eval.render`).

Callers written before the split import from here; new code imports the module it needs.
"""

from eval.render import dump_json, render, replace_kept, write_markdown
from eval.schema import Question
from eval.scoring import (
    HEADLINE,
    TARGETS,
    Prediction,
    SystemInfo,
    aggregate,
    build_report,
    failure,
    rank_of,
    score,
)

__all__ = ["HEADLINE", "TARGETS", "Prediction", "Question", "SystemInfo", "aggregate", "build_report", "dump_json",
           "failure", "rank_of", "render", "replace_kept", "score", "write_markdown"]
