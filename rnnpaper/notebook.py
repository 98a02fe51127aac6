"""The first call of every notebook: profile, data location, threads and plot style.

    from rnnpaper import notebook
    nb = notebook.setup(profile, threads=1)   # nb.out.results, nb.out.figures, nb.out.generated

Datasets are found by :mod:`rnnpaper.data` (``$RNNPAPER_DATA_DIR``, then ``data/``, then the
hub when online); a notebook never names a machine path.
"""

import os
from dataclasses import dataclass

import torch

from rnnpaper import paths, profiles
from rnnpaper.report import plotting


@dataclass(frozen=True)
class Session:
    """What a notebook needs to know about this run."""

    profile: str
    out: paths.Outputs  # where results, figures and generated LaTeX go
    threads: int  # torch threads
    data_dirs: tuple  # local folders searched for datasets, in order (see rnnpaper.data)


def setup(profile: str = profiles.DEFAULT, threads: int | None = 1) -> Session:
    """Torch threads, the plot style and the output folders of ``profile``.

    ``threads=None`` keeps torch's default (all cores).
    """
    if threads is not None:
        torch.set_num_threads(threads)
    plotting.use_style()
    session = Session(
        profile, paths.outputs(profile), torch.get_num_threads(), tuple(paths.data_dirs())
    )
    env = "$RNNPAPER_DATA_DIR, " if os.environ.get("RNNPAPER_DATA_DIR") else ""
    print(
        f"profile {profile}: outputs in {session.out.results.relative_to(paths.ROOT)}/; "
        f"{session.threads} torch thread(s); datasets from {env}data/, then the hub"
    )
    return session
