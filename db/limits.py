"""The shape rules of the data: slugs, text limits and how a figure fits its qualifier.

The data-set schema (`db.dataset_schema`) validates records with them, and the moderators'
commands check their arguments with them before a record is built; kept apart from the
schema's validation models, which a start would otherwise wait for.

Text limits are what one page of a card can show: any single field at its maximum still
fits a Telegram message with the page's other lines (tests/test_card_limits.py).
"""

import re

from db.vocabulary import Qualifier

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_RE = re.compile(SLUG_PATTERN)
# Event slugs travel in Telegram callback data (64 bytes at most), hence shorter.
EVENT_SLUG_MAX = 60
# An event's summary and an assessment's rationale are shown whole on a page of their own.
EVENT_SUMMARY_MAX = 3000
RATIONALE_MAX = 2000
REASON_MAX = 120
SHORT_NAME_MAX = 40
HEADLINE_MAX = 300
FIGURE_WORDING_MAX = 200


def check_figure(
    qualifier: Qualifier | None, low: int | None, high: int | None, wording: str | None
) -> None:
    """Raise ValueError unless low/high fit the qualifier (mirrored by a DB constraint)."""
    if qualifier is None:
        if low is not None or high is not None or wording is not None:
            raise ValueError("a figure (low, high or wording) needs a qualifier")
        return
    if wording is None:
        raise ValueError("a qualified figure needs its original wording")
    match qualifier:
        case Qualifier.EXACT | Qualifier.APPROX:
            ok = low is not None and low == high
            need = "low and high equal"
        case Qualifier.AT_LEAST | Qualifier.MORE_THAN:
            ok = low is not None and high is None
            need = "low set and high empty"
        case Qualifier.UP_TO:
            ok = low is None and high is not None
            need = "high set and low empty"
        case Qualifier.RANGE:
            ok = low is not None and high is not None and low < high
            need = "low below high"
        case Qualifier.VAGUE:
            ok = low is None and high is None
            need = "low and high empty"
        case Qualifier.NONE:
            ok = low == 0 and high == 0
            need = "low and high 0"
    if not ok:
        raise ValueError(f"qualifier {qualifier.value!r} needs {need}")
