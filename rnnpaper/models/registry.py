"""The one registry of recurrent cells: the only place a cell is named.

Every model that recurs (the classifier, the encoder-decoder, the adding-problem regressor)
builds its recurrence from an entry here, so a cell added here reaches every study. Adding
a cell is one class in :mod:`rnnpaper.models.cells` (its equations) plus one line below::

    "mycell": CellSpec(cells.MyCell, None, None, "MyCell", "#8c564b"),

``fused`` and ``fused_step`` are the ``torch.nn`` twins computing the same equations (a whole
layer, one step); ``None`` means the from-scratch cell is used everywhere.
"""

from dataclasses import dataclass

from torch import nn

from rnnpaper.models import cells


@dataclass(frozen=True)
class CellSpec:
    """One recurrent cell: its from-scratch class, torch.nn twins, label and colour."""

    cell: type  # one time step from the equations (rnnpaper.models.cells)
    fused: type | None  # torch.nn layer with the same equations, or None
    fused_step: type | None  # torch.nn one-step module with the same equations, or None
    label: str  # table rows and legends
    colour: str  # the one colour of this cell in every figure
    title: str = ""  # the long name where a table spells it out (default: label)
    options: tuple = ()  # keyword options the cell takes, e.g. the Elman nonlinearity

    @property
    def gates(self) -> int:
        """Gate blocks of the input projection (1 for the Elman RNN, 4 for the LSTM)."""
        return len(self.cell.gates)

    @property
    def state_parts(self) -> int:
        """Tensors in the state: 1 (h) or 2 (h, C) as the LSTM's."""
        return self.cell.state_parts

    @property
    def name(self) -> str:
        return self.title or self.label

    def step(self, input_size: int, hidden_size: int, fused: bool = True, **options) -> nn.Module:
        """A one-step module ``(x_t, state) -> state``: the torch.nn twin when there is one."""
        kw = {k: v for k, v in options.items() if k in self.options}
        if fused and self.fused_step is not None:
            return self.fused_step(input_size, hidden_size, **kw)
        return self.cell(input_size, hidden_size, **kw)


CELLS: dict[str, CellSpec] = {
    "rnn": CellSpec(
        cells.ElmanCell, nn.RNN, nn.RNNCell, "RNN", "#7f7f7f", "Elman RNN", ("nonlinearity",)
    ),
    "lstm": CellSpec(cells.LSTMCell, nn.LSTM, nn.LSTMCell, "LSTM", "#1f77b4"),
    "gru": CellSpec(cells.GRUCell, nn.GRU, nn.GRUCell, "GRU", "#d62728"),
    "gru_proposal": CellSpec(cells.GRUProposalCell, None, None, "GRU (proposal form)", "#9467bd"),
    "glr": CellSpec(cells.GatedLinearCell, None, None, "GLR", "#ff7f0e", "Gated linear recurrence"),
    # the proposed cell with one ingredient removed (models/glr.py, A1-A3): its ablation study
    "glr_untied": CellSpec(cells.GLRUntiedCell, None, None, "GLR (untied gate)", "#e6ab02"),
    "glr_linear": CellSpec(cells.GLRLinearCell, None, None, "GLR (linear candidate)", "#a6761d"),
    "glr_fixed": CellSpec(cells.GLRFixedDecayCell, None, None, "GLR (fixed decay)", "#666666"),
}
COMPARED = ("rnn", "lstm", "gru")  # the three cells every study compares
PROPOSED: tuple = ("glr",)  # the proposed model's cell(s) (issue 11), run beside the compared ones
ABLATIONS: tuple = ("glr_untied", "glr_linear", "glr_fixed")  # the proposed cell less one part


def spec(kind: str) -> CellSpec:
    """The registry entry of ``kind``, or an error listing the registered cells."""
    if kind not in CELLS:
        raise ValueError(f"unknown cell {kind!r}; registered cells: {', '.join(CELLS)}")
    return CELLS[kind]
