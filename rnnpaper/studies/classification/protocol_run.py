"""The protocol's runs (:mod:`.protocol`): tune every model per dataset, train the chosen
settings over seeds, fit the baselines (cut and untruncated); one JSON file per run under
``results/06-classification/protocol/``.

:func:`run` is the entry point (``python -m rnnpaper.studies classification run --profile
protocol``). A run file is found by its configuration hash and never repeated; a run killed
mid-way resumes from its last finished epoch (:func:`rnnpaper.train.fit`'s checkpoints in
``build/06-classification/<profile>/checkpoints/``), so the study can be stopped and
restarted at any time. Datasets go cheapest first, each in three stages (:data:`STAGES`:
learning rates, then dropouts, then seeds), each stage needing the previous one's files; one
:func:`rnnpaper.jobs.run_jobs` call holds stage 3 of one dataset, stage 2 of the next and
stage 1 of the one after, so both cores stay busy across the stages.
"""

import time
from dataclasses import dataclass
from pathlib import Path

from rnnpaper import jobs, metrics, paths, profiles, results, train
from rnnpaper.models import baselines
from rnnpaper.models.classifier import recurrent_parameters
from rnnpaper.studies.classification.config import STEM
from rnnpaper.studies.classification.protocol import (
    CEILING,
    FOLDER,
    PROFILES,
    Protocol,
    choose,
    encode_labels,
    model_config,
    run_name,
    train_config,
    whole_length,
)
from rnnpaper.tasks import classification as task

FULL = 10**9  # a max_len that cuts nothing


def results_dir(out: paths.Outputs, sizes: Protocol | None = None) -> Path:
    """The results folder of one protocol profile (default: the protocol's own)."""
    return out.results / STEM / (sizes.folder if sizes else FOLDER)


def ckpt_dir(profile: str) -> Path:
    return paths.BUILD / STEM / profile / "checkpoints"


def _data_sizes(sizes: Protocol, max_len: int) -> task.DataSizes:
    return task.DataSizes(
        max_len, sizes.vocab_size, sizes.min_freq, sizes.train_limit, sizes.eval_limit
    )


def truncate(full: task.Prepared, max_len: int, sizes: Protocol, fraction: float):
    """``full`` with every text cut to its first ``max_len`` tokens (same vocabulary)."""
    splits = {
        s: task.Split([t[:max_len] for t in v.tokens], [i[:max_len] for i in v.ids], v.labels,
                      v.full_lengths)
        for s, v in full.splits.items()
    }  # fmt: skip
    prep = task._describe_prep(full.name, _data_sizes(sizes, max_len), splits, full.vocab)
    prep["whole_fraction"] = fraction
    prep["train_whole_fraction"] = 1.0 - prep["train_truncated_fraction"]
    info = {**full.info, "preprocessing": prep}
    return task.Prepared(full.name, full.label_names, full.vocab, splits, info)


_PREPARED: dict = {}  # (dataset, sizes) -> (untruncated, cut), at most two per process


def prepared(name: str, sizes: Protocol) -> tuple[task.Prepared, task.Prepared]:
    """The untruncated data and the data cut to :func:`whole_length` of its training texts."""
    key = (name, repr(sizes))
    if key not in _PREPARED:
        if len(_PREPARED) >= 2:
            _PREPARED.pop(next(iter(_PREPARED)))
        full = task.prepare(name, _data_sizes(sizes, FULL))
        fraction = sizes.whole_fraction.get(name, 1.0)
        L = whole_length(full.splits["train"].full_lengths, fraction)
        _PREPARED[key] = (full, truncate(full, L, sizes, fraction))
    return _PREPARED[key]


@dataclass(frozen=True)
class Job:
    """One run: ``kind`` 'tune' (validation only, seed 0), 'test' or 'baselines'."""

    dataset: str
    kind: str
    path: Path
    preset: str = ""
    lr: float = 0.0
    dropout: float = 0.0
    seed: int = 0


def _name(job: Job) -> str:
    if job.kind == "baselines":
        return f"{job.dataset} baselines"
    return f"{job.dataset} {job.kind} {run_name(job.preset, job.lr, job.dropout, job.seed)}"


def _cached(path: Path, chash: str) -> dict | None:
    if path.exists() and (r := results.read_json(path)).get("config_hash") == chash:
        return r
    return None


def train_one(job: Job, sizes: Protocol, ckpt: Path) -> dict:
    """Train one classifier (or find it finished) and write its run file."""
    _, prep = prepared(job.dataset, sizes)
    cfg = model_config(job.preset, job.dropout)
    tcfg = train_config(sizes, job.dataset, job.lr, job.seed)
    meta = {
        "dataset": job.dataset,
        "preset": job.preset,
        "model": cfg,
        "data": prep.info.get("files_sha256"),
        "prep": prep.info["preprocessing"],
        "batch_size": sizes.batch(job.dataset),
    }
    test = job.kind == "test"  # meta without it: the seed-0 test run reuses the tuning fit
    chash = train.config_hash(tcfg, {**meta, "test": test})
    if cached := _cached(job.path, chash):
        return cached
    model, fit = task.train_classifier(
        prep,
        cfg,
        tcfg,
        sizes.batch(job.dataset),
        sizes.length_quantum.get(job.dataset, 1),
        run_dir=ckpt / job.dataset / run_name(job.preset, job.lr, job.dropout, job.seed),
        meta=meta,
    )
    payload = {
        "config_hash": chash,
        "dataset": job.dataset,
        "kind": job.kind,
        "preset": job.preset,
        "seed": job.seed,
        "lr": job.lr,
        "dropout": job.dropout,
        "max_len": prep.info["preprocessing"]["max_len"],
        "best_epoch": fit.best_epoch,
        "epochs_run": len(fit.history),
        "max_epochs": tcfg.epochs,
        "model_config": cfg,
        "recurrent_parameters": recurrent_parameters(cfg),
        "validation": fit.best,
        "fit": fit.payload,
    }
    if test:
        te = prep.splits["test"]
        t0 = time.perf_counter()
        pred = task.predict(model, te)
        payload["test_s"] = time.perf_counter() - t0
        payload["test"] = metrics.report(te.labels, pred, prep.label_names)
        payload["test_pred"] = encode_labels(pred)
    results.write_json(job.path, payload)
    return payload


def run_baselines(job: Job, sizes: Protocol) -> dict:
    """Majority, TF-IDF+LR and NBSVM on the cut text, the linear two also on the untruncated
    text (``<name>-full``), each tuned on validation; one file per dataset."""
    full, prep = prepared(job.dataset, sizes)
    key = train.config_hash(
        train.TrainConfig(),
        {
            "prep": prep.info["preprocessing"],
            "grids": (baselines.C_GRID, baselines.BETA_GRID),
            "data": prep.info.get("files_sha256"),
        },
    )
    if cached := _cached(job.path, key):
        return cached
    payload = {
        "config_hash": key,
        "dataset": job.dataset,
        "max_len": prep.info["preprocessing"]["max_len"],
        "models": {},
    }
    for suffix, p in (("", prep), (CEILING, full)):
        tr, va, te = (p.splits[s] for s in ("train", "validation", "test"))
        for name in baselines.FACTORIES:
            if suffix and name == "majority":
                continue
            t0 = time.perf_counter()
            sel = baselines.fit_select(name, tr.tokens, tr.labels, va.tokens, va.labels)
            pred = sel["model"].predict(te.tokens)
            payload["models"][name + suffix] = {
                "C": sel["C"],
                "beta": sel["beta"],
                "grid": sel["grid"],
                "validation_accuracy": sel["val_accuracy"],
                "max_tokens": max(len(t) for t in tr.tokens),  # the longest text it saw
                "wall_s": time.perf_counter() - t0,
                "test": metrics.report(te.labels, pred, p.label_names),
                "test_pred": encode_labels(pred),
            }
    payload.update(results.provenance())
    results.write_json(job.path, payload)
    return payload


def _init(sizes: Protocol, ckpt: str) -> None:
    jobs.STATE.update(sizes=sizes, ckpt=Path(ckpt))


def _run_job(job: Job) -> dict:
    sizes, ckpt = jobs.STATE["sizes"], jobs.STATE["ckpt"]
    if job.kind == "baselines":
        return run_baselines(job, sizes)
    return train_one(job, sizes, ckpt)


def write_data_info(name: str, sizes: Protocol, res: Path) -> dict:
    """Cut length, the share of texts it keeps whole, test labels and provenance."""
    full, prep = prepared(name, sizes)
    pre = prep.info["preprocessing"]
    payload = {
        "dataset": name,
        "label_names": prep.label_names,
        "max_len": pre["max_len"],
        "whole_fraction": pre["whole_fraction"],
        "train_whole_fraction": pre["train_whole_fraction"],
        "sizes": pre["sizes"],
        "train_mean_tokens": pre["train_mean_tokens"],
        "provenance": prep.info,
        "test_labels": encode_labels(prep.splits["test"].labels),
        "test_full_lengths": prep.splits["test"].full_lengths,
    }
    path = res / "data" / f"{name}.json"
    if not results.unchanged(path, payload, ignore=()):
        results.write_json(path, payload)
    return payload


def _tuning_job(name: str, preset: str, lr: float, dropout: float, res: Path) -> Job:
    path = res / "tuning" / name / f"{run_name(preset, lr, dropout, 0)}.json"
    return Job(name, "tune", path, preset, lr, dropout, 0)


def lr_jobs(name: str, sizes: Protocol, res: Path) -> list[Job]:
    """Tuning stage 1, every preset at every lr (first dropout); and the baselines."""
    tune = [_tuning_job(name, p, *x, res) for p in sizes.presets for x in sizes.lr_points()]
    if not sizes.baselines:
        return tune
    return tune + [Job(name, "baselines", res / "baselines" / f"{name}.json")]


def dropout_jobs(name: str, sizes: Protocol, res: Path) -> list[Job]:
    """Tuning stage 2, every preset at its stage-1 lr with the other dropouts."""
    picks = chosen(name, sizes, res, final=False)
    points = {p: sizes.dropout_points(picks[p][0]) for p in sizes.presets}
    return [_tuning_job(name, p, *x, res) for p in sizes.presets for x in points[p]]


def chosen(name: str, sizes: Protocol, res: Path, final: bool = True) -> dict:
    """preset -> (lr, dropout) of best validation accuracy (:func:`.protocol.choose`) among
    the tuning files of stage 1 (and of stage 2 when ``final``, then recorded in
    ``chosen/<dataset>.json``)."""
    scores, picks, record = {}, {}, {}
    for p in sizes.presets:
        stage1 = [_tuning_job(name, p, *x, res) for x in sizes.lr_points()]
        s = {(j.lr, j.dropout): results.read_json(j.path)["validation"]["accuracy"] for j in stage1}
        if final:
            for j in (_tuning_job(name, p, *x, res) for x in sizes.dropout_points(choose(s)[0])):
                s[(j.lr, j.dropout)] = results.read_json(j.path)["validation"]["accuracy"]
        scores[p], picks[p] = s, choose(s)
        record[p] = {
            "lr": picks[p][0],
            "dropout": picks[p][1],
            "validation_accuracy": s[picks[p]],
            "evaluated": [{"lr": lr, "dropout": d, "accuracy": a} for (lr, d), a in s.items()],
        }
    if final:
        results.write_json(res / "chosen" / f"{name}.json", {"dataset": name, "chosen": record})
    return picks


def seed_jobs(name: str, sizes: Protocol, res: Path) -> list[Job]:
    """Every preset x seed at its chosen setting (seeds outermost: a cut-short study stays
    usable)."""
    picks = chosen(name, sizes, res)
    return [
        Job(name, "test", res / "runs" / name / f"{p}-s{seed}.json", p, *picks[p], seed)
        for seed in sizes.seeds(name)
        for p in sizes.presets
    ]


STAGES = (lr_jobs, dropout_jobs, seed_jobs)  # each needs the previous one's files


def run(profile: str = "protocol-smoke", datasets=None, log=print, progress: bool = True) -> dict:
    """Tune, train and fit the baselines on every dataset of ``profile`` (module docstring)."""
    sizes = profiles.resolve(PROFILES, profile)
    out = paths.outputs(profile)
    res, ckpt = results_dir(out, sizes), ckpt_dir(profile)
    names = [d for d in sizes.datasets if datasets is None or d in datasets]
    t0, started, done = time.perf_counter(), time.time(), []
    for k in range(len(names) + len(STAGES) - 1):  # call k: stage s of dataset k - s
        batch = []
        for s, stage in reversed(list(enumerate(STAGES))):  # the later stages first
            if 0 <= k - s < len(names):
                if s == 0:
                    write_data_info(names[k], sizes, res)
                batch += stage(names[k - s], sizes, res)
        ran = jobs.run_jobs(
            _run_job, batch, _init, (sizes, str(ckpt)), sizes.workers, sizes.threads, name=_name
        )
        for i, (job, r) in enumerate(ran, 1):
            if progress:
                log(f"[{i}/{len(batch)}] {_name(job)}: {_summary(job, r)}")
        done += batch
    return {"outputs": out, "wall_s": _record(res, profile, sizes, done, started, t0)}


def _summary(job: Job, r: dict) -> str:
    if job.kind == "baselines":
        return ", ".join(f"{k} {m['test']['accuracy']:.4f}" for k, m in r["models"].items())
    score = r["test"]["accuracy"] if job.kind == "test" else r["validation"]["accuracy"]
    return f"{job.kind} acc {score:.4f}, best epoch {r['best_epoch']}/{r['epochs_run']}"


def _record(res: Path, profile, sizes, done, started, t0) -> float:
    """Append this call to ``study.json`` unless it found everything finished."""
    wall = time.perf_counter() - t0
    path = res / "study.json"
    calls = results.read_json(path)["calls"] if path.exists() else []
    ran = sum(j.path.stat().st_mtime >= started for j in done)
    if ran == 0 and calls:
        return wall
    calls.append({"wall_s": wall, **results.provenance(), "jobs": len(done), "ran": ran})
    results.write_json(
        path,
        {
            "profile": profile,
            "sizes": sizes,
            "calls": calls,
            "wall_s_total": sum(c["wall_s"] for c in calls),
            "environment": results.environment(),
        },
    )
    return wall
