"""Notebook 02's sizes: the adding runs, the gradient-norm curves, the spectral-radius sweep
and the clipping demonstration."""

from dataclasses import dataclass

from rnnpaper.tasks.adding import AddingSizes

STEM = "02-gradients"
PRODUCER = f"{STEM}.ipynb"
RADII = (0.5, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0)  # spectral radii of W_hh in the sweep
NORM_SEED = 0  # the adding run whose trained ||dL_T/dh_t|| curve is drawn


@dataclass(frozen=True)
class Sizes:
    """Sizes of notebook 02's experiments (the adding fields are tasks.adding.AddingSizes)."""

    lengths: tuple = (10, 50, 100, 200)  # adding-problem sequence lengths T
    seeds: tuple = (0, 1, 2)
    hidden: int = 64
    batch: int = 64
    epochs: int = 20  # an epoch is steps_per_epoch fresh batches
    steps_per_epoch: int = 100
    lr: float = 3e-3
    n_test: int = 1000
    norm_length: int = 100  # T of the dL_T/dh_t curves (one of lengths)
    radius_length: int = 50
    clip_steps: int = 60
    clip_length: int = 50  # T of the clipping demonstration
    clip_rho: float = 1.02  # its W_hh = clip_rho * I

    @property
    def adding(self) -> AddingSizes:
        """The model and budget of one adding run."""
        return AddingSizes(
            self.hidden, self.batch, self.epochs, self.steps_per_epoch, self.lr, self.n_test
        )


PROFILES = {
    "smoke": Sizes(
        lengths=(10, 20),
        seeds=(0, 1, 2),
        hidden=16,
        batch=16,
        epochs=2,
        steps_per_epoch=10,
        n_test=200,
        norm_length=20,
        radius_length=20,
        clip_steps=20,
    ),
    "paper": Sizes(),
}
