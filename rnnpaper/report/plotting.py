"""The one plot style, and the one way figures are saved."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: papermill, CI
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

DPI = 110  # figures on screen and in files
BASELINE_COLOUR = "#2ca02c"  # non-recurrent baselines; each cell's colour is in the registry


def use_style() -> None:
    """Paper style: seaborn 'ticks', small fonts, vector output with embedded fonts."""
    sns.set_theme(style="ticks", context="paper", font_scale=1.0)
    plt.rcParams.update(
        {
            "figure.dpi": DPI,
            "savefig.bbox": "tight",
            "pdf.fonttype": 42,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def save(fig, path: Path) -> Path:
    """Save a figure as PDF (for the paper) beside a PNG (for the notebook and README)."""
    path = Path(path).with_suffix(".pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fixed dpi for the PDF too: its tight bounding box is measured at the saving dpi, which
    # otherwise follows rcParams (a notebook's inline backend changes it) in the last digit.
    fig.savefig(path, dpi=DPI, metadata={"CreationDate": None})
    fig.savefig(path.with_suffix(".png"), dpi=DPI)
    return path
