"""Every path the project uses, in one place.

Paper-scale runs write into the committed folders (results/, figures/, paper/generated/);
every other profile writes into build/<profile>/ so that a cheap CI run never overwrites
the reference results.
"""

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PAPER = ROOT / "paper"
BUILD = ROOT / "build"
LOCAL_DATA = ROOT / "data"

PAPER_PROFILE = "paper"
COMMITTED_RESULTS = (
    "protocol",
    "ablation",
)  # profiles whose results (only) go to the committed results/


def data_dirs() -> list[Path]:
    """Local places searched for datasets, in order: $RNNPAPER_DATA_DIR, then data/."""
    dirs = []
    if env := os.environ.get("RNNPAPER_DATA_DIR"):
        dirs.append(Path(env).expanduser().resolve())
    dirs.append(LOCAL_DATA)
    return dirs


@dataclass(frozen=True)
class Outputs:
    """Where one profile's results, figures and generated LaTeX go."""

    profile: str
    results: Path
    figures: Path
    generated: Path

    def make(self) -> "Outputs":
        for d in (self.results, self.figures, self.generated):
            d.mkdir(parents=True, exist_ok=True)
        return self


def outputs(profile: str) -> Outputs:
    """Output folders for a profile: the committed ones for 'paper', build/<profile>/ else;
    a profile of :data:`COMMITTED_RESULTS` keeps its results in results/ (a study gives it a
    subfolder there) until the paper adopts its tables."""
    if profile == PAPER_PROFILE:
        return Outputs(profile, ROOT / "results", ROOT / "figures", PAPER / "generated").make()
    base = BUILD / profile
    res = ROOT / "results" if profile in COMMITTED_RESULTS else base / "results"
    return Outputs(profile, res, base / "figures", base / "generated").make()
