"""One errata item: where the proposal says what, the correct form, and how it is decided.

``says`` and ``correct`` are LaTeX (mathematics in ``$...$``): the report writes them as they
are. ``decide`` is either a check that computes the verdict (:mod:`.claims`,
:mod:`.claims_cells`) or, for items decided by reading the proposal or its sources, the
verdict itself; ``check`` then says which (``reading`` quotes the proposal in ``says``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from .claims import CORRECT, INCOMPLETE, WRONG

VERDICTS = (WRONG, INCOMPLETE, CORRECT)
T_C, T_B, T_G, T_L = "test_cells", "test_bptt", "test_gradients", "test_errata"  # tests/*.py
LITERATURE, READING = "literature", "reading"  # verdicts not computed


@dataclass(frozen=True)
class Item:
    """One row of the errata tables."""

    section: str  # the proposal's section; the report makes one table per group of sections
    ref: str  # where in the proposal (plain text)
    says: str  # what the proposal says (LaTeX)
    correct: str  # the correct form, or the reason (LaTeX)
    check: str  # the test (tests/<check>.py) asserting the computation, or LITERATURE / READING
    decide: Callable[[], str] | str  # computes the verdict, or is the verdict (not computed)

    @property
    def decided_by(self) -> str:
        """'computed', or where an uncomputed verdict comes from."""
        return "computed" if callable(self.decide) else self.check

    def verdict(self) -> str:
        """One of wrong / incomplete / correct (correct as stated)."""
        v = self.decide() if callable(self.decide) else self.decide
        assert v in VERDICTS, (self.ref, v)
        return v

    def __post_init__(self):
        assert callable(self.decide) != (self.check in (LITERATURE, READING)), self.ref
