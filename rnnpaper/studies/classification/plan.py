"""The protocol's runs and their cost, before or while they run:
``python -m rnnpaper.studies classification plan --profile protocol``.

:func:`plan` lists every run of a protocol profile (per dataset: the tuning runs, presets x
tuning points at seed 0; the test runs, presets x seeds, of which seed 0 reuses its tuning fit; the
baselines), marks those whose results file exists, and estimates the CPU time of each,
one thread per run:

    t = epochs x (N_train Lbar_train / v + N_val Lbar_val / (3 v)) + N_test Lbar_test / (3 v)

with Lbar the mean cut length from the data, v the preset's training tokens per second and
3 v its forward-only (evaluation) rate; the test term only for test runs. ``epochs`` is the
mean ``epochs_run`` of the dataset's finished fits when there are any, else
:data:`ASSUMED_BEST_EPOCH` + patience (capped). v is the median tokens/s of the committed
paper runs of the same preset and dataset (``results/06-classification/runs``: one thread
each, two runs at a time on the 2-core machine); a preset without committed runs (GLR,
BiGLR) takes its reference's (LSTM, BiLSTM) times the ratio of the two measured here on a
few batches (:func:`measure_ratio`), which a loaded machine slows alike. Baselines: the
committed baselines' seconds per training token, times this profile's tokens, twice (cut
and untruncated text).

The estimate for the full protocol (printed by ``plan``; see the study's README entry) is
far above issue 12's 100 minutes for one notebook: tuning 8 models x 6 grid points per
dataset on every training document is the bulk of it, and is what items 1-3 ask for.
"""

import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from rnnpaper import paths, profiles, results
from rnnpaper.models.classifier import Classifier
from rnnpaper.studies.classification.config import DOCUMENTS, STEM
from rnnpaper.studies.classification.protocol import ABLATIONS, PROFILES, Protocol, model_config
from rnnpaper.studies.classification.protocol_run import prepared, results_dir

ASSUMED_BEST_EPOCH = 5  # mean best epoch before any run of a dataset has finished
REFERENCE = {  # scaled from these presets' committed rates
    "glr": "lstm",
    "biglr": "bilstm",
    **{p: "bilstm" for p in ABLATIONS},  # BiGLR less one ingredient
}
EVAL_SPEEDUP = 3.0  # a forward pass against forward + backward + optimiser step
COMMITTED = paths.ROOT / "results" / STEM


def committed_rates(folder: Path = COMMITTED) -> dict:
    """(dataset, preset) -> median training tokens/s of the committed paper runs."""
    rates = {}
    for p in sorted((folder / "runs").glob("*/*.json")):
        r = results.read_json(p)
        rates.setdefault((r["dataset"], r["preset"]), []).append(r["fit"]["tokens_per_s"])
    return {k: statistics.median(v) for k, v in rates.items()}


def measure_rate(preset: str, T: int, B: int = 64, steps: int = 6, V: int = 20000) -> float:
    """Training tokens/s of ``preset`` on random (B, T) batches, one thread, here and now."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = Classifier(V, 2, model_config(preset, 0.2))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids, mask = torch.randint(4, V, (B, T)), torch.ones(B, T, dtype=torch.bool)
    y = torch.zeros(B, dtype=torch.long)
    for k in range(steps + 1):  # the first step warms up and is not timed
        if k == 1:
            t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(ids, mask), y).backward()
        opt.step()
    torch.set_num_threads(threads)
    return steps * B * T / (time.perf_counter() - t0)


def measure_ratio(preset: str, T: int, repeats: int = 3) -> float:
    """Tokens/s of ``preset`` over its :data:`REFERENCE` preset's, measured in one process,
    the two interleaved ``repeats`` times (median ratio): a load that comes and goes slows
    both alike."""
    ratios = [measure_rate(preset, T) / measure_rate(REFERENCE[preset], T) for _ in range(repeats)]
    return statistics.median(ratios)


def rates_for(sizes: Protocol, dataset: str, T: int, committed: dict) -> dict:
    """preset -> training tokens/s on ``dataset`` (module docstring)."""
    out = {}
    for p in sizes.presets:
        if (dataset, p) in committed:
            out[p] = committed[(dataset, p)]
        else:
            out[p] = committed[(dataset, REFERENCE[p])] * measure_ratio(p, T)
    return out


def _tokens(split) -> float:
    return float(sum(len(i) for i in split.ids))


def _epochs(sizes: Protocol, dataset: str, res: Path) -> float:
    """Mean epochs of the dataset's finished fits, else the assumption (module docstring)."""
    done = [results.read_json(p) for p in sorted((res / "tuning" / dataset).glob("*.json"))]
    if done:
        return statistics.fmean(r["epochs_run"] for r in done)
    return min(sizes.max_epochs[dataset], ASSUMED_BEST_EPOCH + sizes.patience[dataset])


def dataset_plan(sizes: Protocol, dataset: str, res: Path, committed: dict) -> dict:
    """The runs of one dataset and their estimated CPU seconds (module docstring)."""
    full, prep = prepared(dataset, sizes)
    tr, va, te = (_tokens(prep.splits[s]) for s in ("train", "validation", "test"))
    T = round(tr / max(1, len(prep.splits["train"].ids)))
    v = rates_for(sizes, dataset, T, committed)
    epochs = _epochs(sizes, dataset, res)
    seeds = len(sizes.seeds(dataset))
    total = left = _baseline_seconds(dataset, full, prep, COMMITTED) if sizes.baselines else 0.0
    if (res / "baselines" / f"{dataset}.json").exists():
        left = 0.0
    done = 0
    for p in sizes.presets:
        fit = epochs * (tr / v[p] + va / (EVAL_SPEEDUP * v[p]))
        test = te / (EVAL_SPEEDUP * v[p])
        tuned = len(list((res / "tuning" / dataset).glob(f"{p}-lr*.json")))
        missing = [
            s for s in range(seeds) if not (res / "runs" / dataset / f"{p}-s{s}.json").exists()
        ]
        total += sizes.tuning_fits * fit + seeds * test + (seeds - 1) * fit
        left += (sizes.tuning_fits - tuned) * fit + sum(test + (fit if s else 0) for s in missing)
        tested = seeds - len(missing)
        done += tuned + tested
    n = len(sizes.presets)
    return {
        "dataset": dataset,
        "max_len": prep.info["preprocessing"]["max_len"],
        "train_tokens": tr,
        "epochs": epochs,
        "tokens_per_s": v,
        "tuning_runs": n * sizes.tuning_fits,
        "test_runs": n * seeds,
        "fits": n * (sizes.tuning_fits + seeds - 1),  # seed 0 reuses its tuning fit
        "done": done,
        "cpu_s": total,
        "cpu_s_left": max(0.0, left),
    }


def _baseline_seconds(dataset: str, full, prep, committed_folder: Path) -> float:
    """Committed baselines' seconds per training token x the cut and untruncated tokens."""
    path = committed_folder / "baselines" / f"{dataset}.json"
    if not path.exists():
        return 0.0
    wall = sum(m["wall_s"] for m in results.read_json(path)["models"].values())
    lengths = full.splits["train"].full_lengths
    n_old = min(len(lengths), 6000 if dataset in DOCUMENTS else len(lengths))
    per_token = wall / (n_old * float(lengths.clip(max=150).mean()))
    return per_token * (_tokens(prep.splits["train"]) + float(lengths.sum()))


def plan(profile: str = "protocol", log=print) -> dict:
    """Every run of ``profile`` with its estimated CPU time; prints one line per dataset."""
    sizes = profiles.resolve(PROFILES, profile)
    res = results_dir(paths.outputs(profile), sizes)
    committed = committed_rates()
    rows = [dataset_plan(sizes, d, res, committed) for d in sizes.datasets]
    total = sum(r["cpu_s"] for r in rows)
    left = sum(r["cpu_s_left"] for r in rows)
    for r in rows:
        log(
            f"{r['dataset']:>12}: L={r['max_len']}, {r['tuning_runs']} tuning + "
            f"{r['test_runs']} test runs ({r['fits']} fits, {r['done']} files done), "
            f"{r['epochs']:.1f} epochs/fit, {r['cpu_s'] / 3600:.2f} CPU-h "
            f"({r['cpu_s_left'] / 3600:.2f} left)"
        )
    w = sizes.workers
    log(
        f"total: {total / 3600:.2f} CPU-h, {total / 3600 / w:.2f} h on {w} cores "
        f"({left / 3600 / w:.2f} h left); presets {', '.join(sizes.presets)}"
    )
    return {"profile": profile, "datasets": rows, "cpu_s": total, "cpu_s_left": left}
