"""The errata table as data: every equation and claim of the proposal (its literature review,
its comparative claims about the cells, its captions and the template text left in it), with
the correct form and the check that decides it.

Each item's verdict is one of wrong / incomplete / correct (correct as stated): computed by a
check of :mod:`.claims` or :mod:`.claims_cells`, or, for items that cannot be computed,
decided from the cited literature or by reading the proposal (the item then quotes it).
"""

from . import items_cells, items_math, items_text
from .item import Item

ITEMS: tuple[Item, ...] = items_math.ITEMS + items_cells.ITEMS + items_text.ITEMS


def verdicts() -> list[dict]:
    """Run every check: one row per item with its verdict and how it was decided."""
    return [
        {
            "section": it.section,
            "ref": it.ref,
            "proposal": it.says,
            "correct": it.correct,
            "check": it.check,
            "verdict": it.verdict(),
            "decided_by": it.decided_by,
        }
        for it in ITEMS
    ]
