"""The summarization study's tables, from its results files alone: scores beside the
extractive baselines, published Gigaword numbers, the copy ablation, example outputs."""

from pathlib import Path

import pandas as pd

from rnnpaper import results
from rnnpaper.models import registry
from rnnpaper.report import labels, published
from rnnpaper.report.latex import mean_paren_std
from rnnpaper.studies.summarization.config import DATASETS

METRIC_COLS = {"rouge1": "R-1", "rouge2": "R-2", "rougeL": "R-L", "bleu": "BLEU"}


def unk_rate(outputs: list[str]) -> float:
    """Percentage of generated tokens that are 'unk'."""
    tokens = [t for o in outputs for t in o.split()]
    return 100 * sum(t == "unk" for t in tokens) / max(1, len(tokens))


def _row(r: dict) -> dict:
    """One trained model: test metrics (beam; greedy R-L), cost, best epoch."""
    row = {
        "dataset": r["dataset"],
        "cell": r["cell"],
        "seed": r["seed"],
        "copy": r["model"]["copy"],
        "unk_rate": unk_rate(r["outputs_beam"]),
    }
    row.update({k: r["beam"]["refs"][k] for k in METRIC_COLS})
    row["greedy_rougeL"] = r["greedy"]["refs"]["rougeL"]
    if "original" in r["beam"]:
        row.update({f"orig_{k}": r["beam"]["original"][k] for k in METRIC_COLS})
    return {
        **row,
        "train_s": r["train"]["train_s"],
        "wall_s": r["train"]["wall_s"] + r["decode_beam_s"],  # across resumes
        "best_epoch": r["train"]["best_epoch"],
        "val_loss": r["train"]["best"]["val_loss"],
        "n_parameters": r["n_parameters"],
        "tokens_per_s": r["train"]["tokens_per_s"],
    }


def load_runs(results_dir: Path, copy: bool | None = True) -> pd.DataFrame:
    """One row per trained model: with the copy mechanism, without, or both (``copy=None``)."""
    rows = []
    for path in sorted(Path(results_dir).glob("*_seed*.json")):
        r = results.read_json(path)
        if copy is None or r["model"]["copy"] == copy:
            rows.append(_row(r))
    return pd.DataFrame(rows)


def load_records(results_dir: Path) -> dict:
    """The per-dataset records (baselines, provenance) by dataset name."""
    paths_ = {ds: Path(results_dir) / f"{ds}_data.json" for ds in DATASETS}
    return {ds: results.read_json(p) for ds, p in paths_.items() if p.exists()}


def cells_in(runs: pd.DataFrame) -> list[str]:
    """The registered cells that have runs in ``runs``, in registry order."""
    present = set(runs["cell"]) if not runs.empty else set()
    return [kind for kind in registry.CELLS if kind in present]


def seeds(results_dir: Path) -> list[int]:
    """Every seed with a results file."""
    return sorted({int(p.stem.rsplit("seed", 1)[1]) for p in Path(results_dir).glob("*_seed*")})


def scores_table(runs: pd.DataFrame, record: dict, dataset: str) -> pd.DataFrame:
    """Baselines and the cells (mean (sd) over seeds) on one test set."""
    orig = dataset == "aeslc"
    cols = ["Model", *METRIC_COLS.values(), "R-L greedy"] + (["R-L orig."] if orig else [])
    rows = []
    for name, b in record["baselines"].items():
        row = [f"Extractive: {name}"] + [f"{b['refs'][k]:.1f}" for k in METRIC_COLS] + ["--"]
        rows.append(row + ([f"{b['original']['rougeL']:.1f}"] if orig else []))
    sub = runs[runs.dataset == dataset]
    for cell in cells_in(sub):
        g = sub[sub.cell == cell]
        label = f"{labels.cell_title(cell)} ({len(g)} seed{'s' * (len(g) > 1)})"
        row = [label] + [mean_paren_std(g[k]) for k in METRIC_COLS]
        row.append(mean_paren_std(g["greedy_rougeL"]))
        rows.append(row + ([mean_paren_std(g["orig_rougeL"])] if orig else []))
    return pd.DataFrame(rows, columns=cols)


def published_table(runs: pd.DataFrame, records: dict) -> pd.DataFrame:
    """Published Gigaword numbers beside ours; none is comparable (3.8M vs our pairs)."""
    ours_n = records["gigaword"]["n"]["train"]
    rows = [
        [name, published.SUMMARIZATION_TRAIN[ds], f"{r1:.2f}", f"{r2:.2f}", f"{rl:.2f}", "no"]
        for ds, name, _key, r1, r2, rl, _src in published.SUMMARIZATION
        if ds == "gigaword"
    ]
    sub = runs[runs.dataset == "gigaword"]
    for cell in cells_in(sub):
        g = sub[sub.cell == cell]
        scores = [mean_paren_std(g[k]) for k in ("rouge1", "rouge2", "rougeL")]
        rows.append([f"Ours: {labels.cell_title(cell)} + copy", f"{ours_n:,}", *scores, "--"])
    return pd.DataFrame(rows, columns=["Model", "Train pairs", "R-1", "R-2", "R-L", "Comparable"])


def copy_table(all_runs: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Each cell with and without the copy mechanism, on the seeds both were trained with."""
    sub = all_runs[all_runs.dataset == dataset]
    sub = sub[sub.seed.isin(set(sub[~sub["copy"]].seed))]
    rows = []
    for cell in cells_in(sub):
        for copy in (True, False):
            g = sub[(sub.cell == cell) & (sub["copy"] == copy)]
            if g.empty:
                continue
            rows.append(
                [labels.cell_title(cell), "yes" if copy else "no", len(g)]
                + [mean_paren_std(g[k]) for k in (*METRIC_COLS, "unk_rate")]
            )
    return pd.DataFrame(rows, columns=["Cell", "Copy", "Seeds", *METRIC_COLS.values(), "unk %"])


def _clip(text: str, n: int) -> str:
    """At most n words, ASCII only and no backslashes (they go into a LaTeX table)."""
    words = text.encode("ascii", "ignore").decode().replace("\\", "/").split()
    return " ".join(words[:n]) + (" ..." if len(words) > n else "")


def example_indices(record: dict, n: int, max_src: int) -> list[int]:
    """The first n test examples whose source has at most max_src tokens (readable rows)."""
    return [i for i, L in enumerate(record["test_src_len"]) if L <= max_src][:n]


def examples_table(
    results_dir: Path, record: dict, dataset: str, n: int, max_src: int
) -> pd.DataFrame:
    """Source, reference and each cell's beam output (first seed) for a few test examples."""
    outs, seed = {}, min(seeds(results_dir))
    for cell in registry.CELLS:
        path = Path(results_dir) / f"{dataset}_{cell}_seed{seed}.json"
        if path.exists():
            outs[cell] = results.read_json(path)["outputs_beam"]
    rows = []
    for i in example_indices(record, n, max_src):
        ex = record["test_examples"][i]
        texts = [ex["source"], ex["refs"][0]] + [outs[c][i] for c in outs]
        rows.append([_clip(t, 30) for t in texts])
    columns = ["Source", "Reference"] + [labels.cell_title(c) for c in outs]
    return pd.DataFrame(rows, columns=columns)


def bleu_signature(results_dir: Path) -> str:
    """sacrebleu's signature of the study's BLEU scores."""
    rec = results.read_json(next(Path(results_dir).glob("*_data.json")))
    return next(iter(rec["baselines"].values()))["refs"]["bleu_signature"]
