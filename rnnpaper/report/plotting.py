"""The one plot style, and the one way figures are saved.

Every figure of the paper is drawn at the width it is printed at (``width(F)`` for
``\\includegraphics[width=F\\linewidth]``), so that the font sizes set here are the printed
sizes: no text below 7 pt (tests/test_paper_hygiene.py measures every included PDF).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: papermill, CI
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import ticker  # noqa: E402

DPI = 110  # figures on screen and in files
BASELINE_COLOUR = "#2ca02c"  # non-recurrent baselines; each cell's colour is in the registry
TEXT_WIDTH = 455.24 / 72.27  # inches: the paper's \linewidth (A4, 2.5 cm margins, 11pt)
FONT_SIZES = {  # points, at print size: labels and titles 8, everything else 7
    "font.size": 8,
    "axes.labelsize": 8,
    "axes.titlesize": 8,
    "figure.titlesize": 8,
    "figure.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.title_fontsize": 7,
}
SMALLEST_FONT = min(FONT_SIZES.values())  # for text sized by hand (heatmap cells, annotations)


def use_style() -> None:
    """Paper style: seaborn 'ticks', 7-8 pt fonts, vector output with embedded fonts."""
    sns.set_theme(style="ticks", context="paper", font_scale=1.0)
    plt.rcParams.update(
        {
            "figure.dpi": DPI,
            "savefig.bbox": "tight",
            "savefig.pad_inches": 0.03,  # LaTeX spaces the floats; no white frame in print
            "pdf.fonttype": 42,
            "axes.spines.top": False,
            "axes.spines.right": False,
            **FONT_SIZES,
        }
    )


def width(fraction: float = 1.0) -> float:
    """Figure width in inches that prints at ``fraction`` of the text width unscaled."""
    return fraction * TEXT_WIDTH


class PlainLogFormatter(ticker.LogFormatter):
    """Log-axis tick labels in plain text: 0.01, 1, 1000 when every label of the axis lies in
    [0.001, 10000], else 1e-5, 1e-2, 1e1. Matplotlib's default writes $10^{k}$ in mathtext,
    whose exponent is set at 70 % of the tick size, below 7 pt in print. Which ticks get a
    label is decided as by the default formatter."""

    PLAIN = (1e-3, 1e4)
    _sci: bool | None = None  # one notation for the whole axis, set while formatting its ticks

    def format_ticks(self, values):
        self.set_locs(values)
        lo, hi = self.PLAIN
        vmin, vmax = sorted(self.axis.get_view_interval()) if self.axis else (0, float("inf"))
        try:
            self._sci = False
            labels = [self(v, i) for i, v in enumerate(values)]
            shown = [v for v, s in zip(values, labels, strict=True) if s and vmin <= v <= vmax]
            if any(not lo <= abs(v) <= hi for v in shown):  # ticks outside the view: not drawn
                self._sci = True
                labels = [self(v, i) for i, v in enumerate(values)]
        finally:
            self._sci = None
        return labels

    def _num_to_string(self, x, vmin, vmax):
        lo, hi = self.PLAIN
        if not (self._sci if self._sci is not None else not lo <= x <= hi):
            return f"{x:g}"
        mantissa, exponent = f"{x:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"


def plain_log_labels(fig) -> None:
    """Replace matplotlib's default (mathtext) log-axis formatters of ``fig`` by
    PlainLogFormatter; a formatter set by hand is kept."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for get, put in (
                (axis.get_major_formatter, axis.set_major_formatter),
                (axis.get_minor_formatter, axis.set_minor_formatter),
            ):
                f = get()
                if type(f) is ticker.LogFormatterSciNotation:
                    put(
                        PlainLogFormatter(
                            base=f._base,
                            labelOnlyBase=f.labelOnlyBase,
                            minor_thresholds=f.minor_thresholds,
                            linthresh=f._linthresh,
                        )
                    )


def save(fig, path: Path) -> Path:
    """Save a figure as PDF (for the paper) beside a PNG (for the notebook and README), with
    plain-text log-axis labels (plain_log_labels)."""
    path = Path(path).with_suffix(".pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    plain_log_labels(fig)
    # A fixed dpi for the PDF too: its tight bounding box is measured at the saving dpi, which
    # otherwise follows rcParams (a notebook's inline backend changes it) in the last digit.
    fig.savefig(path, dpi=DPI, metadata={"CreationDate": None})
    fig.savefig(path.with_suffix(".png"), dpi=DPI)
    return path
