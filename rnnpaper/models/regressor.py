"""A recurrent layer read out linearly from its last state: one number per sequence.

    h_1..h_T = Recurrent(x_1..x_T)      any registered cell (rnnpaper.models.registry)
    y^ = w^T h_T + b

The adding problem (:mod:`rnnpaper.tasks.adding`) trains it for every compared cell.
"""

from torch import nn

from rnnpaper.models import recurrent


class Regressor(nn.Module):
    """A recurrent layer of any registered cell, read out linearly from its last state."""

    def __init__(
        self, kind: str, input_size: int, hidden: int, impl: str = "auto", nonlinearity="tanh"
    ):
        super().__init__()
        self.rnn = recurrent.Recurrent(
            kind, input_size, hidden, impl=impl, nonlinearity=nonlinearity
        )
        self.head = nn.Linear(hidden, 1)

    def forward(self, X):
        """X (B, T, n) -> prediction (B,)."""
        _, final = self.rnn(X)
        h = final[0] if isinstance(final, tuple) else final  # (1, B, H)
        return self.head(h[-1]).squeeze(-1)  # (B,)
