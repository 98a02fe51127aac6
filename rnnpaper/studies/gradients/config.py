"""Notebook 02's sizes: the adding runs (lengths, budgets, seeds, the learning-rate grid), the
gradient-norm curves, the spectral-radius sweep and the clipping demonstration."""

from dataclasses import dataclass

from rnnpaper.models import registry
from rnnpaper.tasks.adding import AddingSizes

STEM = "02-gradients"
PRODUCER = f"{STEM}.ipynb"
RADII = (0.5, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0)  # spectral radii of W_hh in the sweep
NORM_SEED = 0  # the adding run whose trained ||dL_T/dh_t|| curve is drawn
TUNE_SEED = 0  # the learning rate is chosen on this seed's validation MSE
WORKERS = {"smoke": 1, "paper": 2}  # runs at once, each its own process with one torch thread


def cells() -> tuple:
    """The cells of the adding study: the compared three and the proposed model, if registered."""
    return registry.COMPARED + tuple(registry.PROPOSED)


@dataclass(frozen=True)
class Sizes:
    """Sizes of notebook 02's experiments (the adding fields become tasks.adding.AddingSizes)."""

    lengths: tuple = (10, 50, 100, 200, 500, 1000)  # adding-problem sequence lengths T
    elman_max_length: int = 200  # the Elman RNN runs up to this T only
    seeds: tuple = (0, 1, 2)
    budgets: tuple = ((200, 4000), (500, 3000), (1000, 2000))  # (up to T, training steps)
    hidden: int = 64
    batch: int = 64
    eval_every: int = 100  # steps between validation evaluations
    lrs: tuple = (1e-3, 3e-3, 1e-2)  # the grid every cell chooses from
    tune_length: int = 100  # T at which each cell's learning rate is chosen (seed TUNE_SEED)
    n_val: int = 1000
    n_test: int = 1000
    norm_length: int = 100  # T of the dL_T/dh_t curves (one of lengths)
    radius_length: int = 50
    clip_steps: int = 60
    clip_length: int = 50  # T of the clipping demonstration
    clip_rho: float = 1.02  # its W_hh = clip_rho * I

    def steps(self, T: int) -> int:
        """The training budget at length T: the first budget whose bound reaches T."""
        return next(steps for up_to, steps in self.budgets if T <= up_to)

    def adding(self, T: int, lr: float) -> AddingSizes:
        """The model and budget of one adding run at length T and learning rate lr."""
        return AddingSizes(
            self.hidden, self.batch, self.steps(T), self.eval_every, lr, self.n_val, self.n_test
        )

    def runs_at(self, T: int, kinds: tuple) -> tuple:
        """The cells trained at length T (the Elman RNN only up to elman_max_length)."""
        return tuple(k for k in kinds if k != "rnn" or T <= self.elman_max_length)


PROFILES = {
    "smoke": Sizes(
        lengths=(10, 20),
        elman_max_length=20,
        seeds=(0, 1, 2),
        budgets=((10, 30), (20, 20)),
        hidden=16,
        batch=16,
        eval_every=10,
        lrs=(3e-3, 1e-2),
        tune_length=10,
        n_val=200,
        n_test=200,
        norm_length=20,
        radius_length=20,
        clip_steps=20,
    ),
    "paper": Sizes(),
}
