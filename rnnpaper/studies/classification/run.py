"""The classification study's runs (notebook 06): tune, train every preset x seed x dataset,
fit the baselines; each run's results JSON goes to ``results/06-classification/``.

:func:`run` is the entry point. Runs are files: a finished run is found by its
configuration hash and never repeated, so an interrupted study loses only runs in progress.
"""

import dataclasses
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from rnnpaper import metrics, paths, profiles, results, train
from rnnpaper.models import baselines
from rnnpaper.models.classifier import ModelConfig, recurrent_parameters
from rnnpaper.studies.classification import protocol, protocol_run
from rnnpaper.studies.classification.config import (
    PRESETS,
    PROFILES,
    PROPOSED,
    STEM,
    Sizes,
    presets_for,
    seeds_for,
    train_config,
)
from rnnpaper.tasks.classification import Prepared, predict, prepare, train_classifier


def outdir(out: paths.Outputs) -> Path:
    """The study's results folder of one profile."""
    return out.results / STEM


def _ckpt_dir(profile: str) -> Path:
    return paths.BUILD / STEM / profile / "checkpoints"


def run_model(
    prep: Prepared,
    preset: str,
    cfg: ModelConfig,
    tcfg: train.TrainConfig,
    sizes: Sizes,
    result_path: Path,
    ckpt_dir: Path,
    test: bool = True,
) -> dict:
    """Train one classifier (or find it finished) and write its results JSON."""
    meta = {
        "dataset": prep.name,
        "preset": preset,
        "model": cfg,
        "data": prep.info.get("files_sha256"),
        "prep": prep.info["preprocessing"],
        "batch_size": sizes.batch(prep.name),
    }
    chash = train.config_hash(tcfg, {**meta, "test": test})  # the tuning run's weights are
    # reused by seed 0 of the same lr: train.fit finds its checkpoint folder finished
    if result_path.exists() and results.read_json(result_path).get("config_hash") == chash:
        return results.read_json(result_path)
    model, fit = train_classifier(
        prep,
        cfg,
        tcfg,
        sizes.batch(prep.name),
        sizes.length_quantum.get(prep.name, 1),
        run_dir=ckpt_dir / prep.name / f"{preset}-lr{tcfg.lr:g}-s{tcfg.seed}",
        meta=meta,
    )
    payload = {
        "config_hash": chash,
        "dataset": prep.name,
        "preset": preset,
        "seed": tcfg.seed,
        "model_config": cfg,
        "recurrent_parameters": recurrent_parameters(cfg),
        "fit": fit.payload,
        "validation": fit.best,
    }
    if test:
        te = prep.splits["test"]
        t0 = time.perf_counter()
        pred = predict(model, te)
        payload["test_s"] = time.perf_counter() - t0
        payload["test"] = metrics.report(te.labels, pred, prep.label_names)
        payload["test_pred"] = pred.tolist()
    results.write_json(result_path, payload)
    return payload


BASELINES = "baselines"  # Job.preset of a dataset's non-neural baselines


@dataclass(frozen=True)
class Job:
    """One unit of the study: a training run (tuning when ``test`` is False) or, with
    ``preset == BASELINES``, a dataset's baselines. Its result is written to ``path``."""

    dataset: str
    preset: str
    lr: float
    seed: int
    path: Path
    test: bool = True


_WORKER: dict = {}  # what every job in this process shares, set by _init_worker


def _init_worker(preps: dict, sizes: Sizes, out: paths.Outputs, ckpt: Path) -> None:
    torch.set_num_threads(sizes.threads)
    _WORKER.update(preps=preps, sizes=sizes, out=out, ckpt=ckpt)


def _run_job(job: Job) -> dict:
    prep, sizes = _WORKER["preps"][job.dataset], _WORKER["sizes"]
    try:
        if job.preset == BASELINES:
            return run_baselines(prep, _WORKER["out"])
        tcfg = train_config(sizes, job.dataset, job.lr, job.seed)
        return run_model(
            prep, job.preset, PRESETS[job.preset], tcfg, sizes, job.path, _WORKER["ckpt"], job.test
        )
    except Exception as e:
        raise RuntimeError(f"{job.dataset} {job.preset} lr {job.lr:g} seed {job.seed}: {e}") from e


def run_jobs(
    jobs: list[Job],
    preps: dict,
    sizes: Sizes,
    out: paths.Outputs,
    ckpt: Path,
    desc: str | None = None,
):
    """Yield ``(job, result)`` as each job finishes; with ``desc``, a progress bar (and ETA)
    over the jobs.

    With ``sizes.workers > 1`` the jobs run in a pool of that many fresh (spawned) processes,
    ``sizes.threads`` torch threads each, taken in list order. Every run seeds itself, so its
    result does not depend on which process ran it or when; finished runs are files, so an
    interrupted study loses only the runs in progress. The first failure cancels the jobs not
    yet started and is raised with the job's name.
    """
    bar = tqdm(total=len(jobs), desc=desc, disable=desc is None, mininterval=5.0)
    for job, result in _run_jobs(jobs, preps, sizes, out, ckpt):
        bar.update()
        yield job, result
    bar.close()


def _run_jobs(jobs, preps, sizes, out, ckpt):
    if sizes.workers <= 1:
        _init_worker(preps, sizes, out, ckpt)
        for job in jobs:
            yield job, _run_job(job)
        return
    pool = ProcessPoolExecutor(
        sizes.workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(preps, sizes, out, ckpt),
    )
    try:
        futures = {pool.submit(_run_job, job): job for job in jobs}
        for f in as_completed(futures):
            yield futures[f], f.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def choose_learning_rates(done: dict, sizes: Sizes, out: paths.Outputs, dataset: str, log=print):
    """Learning rate of each preset: the best of ``lr_grid`` by validation accuracy (seed 0),
    the smaller on a tie. ``done``: tuning Job -> its result."""
    scores = {}
    for job, r in done.items():
        scores.setdefault(job.preset, {})[job.lr] = r["validation"]["accuracy"]
    chosen = {p: max(s, key=lambda lr: (s[lr], -lr)) for p, s in scores.items()}
    for p in chosen:
        log(f"tune {p}: {scores[p]} -> lr {chosen[p]:g}")
    results.write_json(
        outdir(out) / "tuning" / "chosen.json",
        {"dataset": dataset, "lr_grid": sizes.lr_grid, "lr": chosen},
    )
    return chosen


def run_baselines(prep: Prepared, out: paths.Outputs) -> dict:
    """Majority, TF-IDF+LR and NBSVM on the same truncated tokens; results JSON per dataset."""
    path = outdir(out) / "baselines" / f"{prep.name}.json"
    key = train.config_hash(
        train.TrainConfig(),
        {
            "prep": prep.info["preprocessing"],
            "grid": baselines.C_GRID,
            "data": prep.info.get("files_sha256"),
        },
    )
    if path.exists() and results.read_json(path).get("config_hash") == key:
        return results.read_json(path)
    tr, va, te = (prep.splits[s] for s in ("train", "validation", "test"))
    payload = {"config_hash": key, "dataset": prep.name, "models": {}}
    for name in baselines.FACTORIES:
        t0 = time.perf_counter()
        sel = baselines.fit_select(name, tr.tokens, tr.labels, va.tokens, va.labels)
        pred = sel["model"].predict(te.tokens)
        payload["models"][name] = {
            "C": sel["C"],
            "grid": sel["grid"],
            "validation_accuracy": sel["val_accuracy"],
            "wall_s": time.perf_counter() - t0,
            "test": metrics.report(te.labels, pred, prep.label_names),
            "test_pred": pred.tolist(),
        }
    results.write_json(path, payload)
    return payload


def write_dataset_info(prep: Prepared, out: paths.Outputs) -> None:
    """Test labels, untruncated test lengths and provenance, for figures and significance."""
    te = prep.splits["test"]
    results.write_json(
        outdir(out) / "data" / f"{prep.name}.json",
        {
            "dataset": prep.name,
            "label_names": prep.label_names,
            "provenance": prep.info,
            "test_labels": te.labels.tolist(),
            "test_full_lengths": te.full_lengths.tolist(),
        },
    )


def run(profile: str = "smoke", datasets=None, user=None, log=print, progress: bool = True) -> dict:
    """Tune on ``tune_dataset``, then every preset x seed x dataset, plus the baselines
    (``progress``: a bar with ETA over the runs).

    ``user``: ``(DatasetDict, label_names)`` from :func:`rnnpaper.userdata.load_table`; the
    study then runs on that data alone (named "user") with the profile's sizes, into
    ``build/user-<profile>/``.
    """
    if profile in protocol.PROFILES and user is None:  # the tuned, full-size protocol
        return protocol_run.run(profile, datasets, log, progress)
    sizes = profiles.resolve(PROFILES, profile)
    if user is not None:  # own data: the proposed cell too, with the same tuning
        sizes = dataclasses.replace(sizes, presets=tuple(dict.fromkeys(sizes.presets + PROPOSED)))
    out = paths.outputs(profile if user is None else f"user-{profile}")
    ckpt = _ckpt_dir(out.profile)
    t0, started = time.perf_counter(), time.time()
    names = ["user"] if user is not None else list(datasets or sizes.datasets)
    preps = {}
    for name in names:
        preps[name] = prepare(name, sizes, *(user or (None, None)))
    tune_on = "user" if user is not None else sizes.tune_dataset
    if tune_on not in preps:
        preps[tune_on] = prepare(tune_on, sizes)
    tuning = [
        Job(tune_on, p, lr, 0, outdir(out) / "tuning" / f"{p}-lr{lr:g}.json", test=False)
        for p in sizes.tuned_presets()
        for lr in sizes.lr_grid
    ]
    bar = f"{profile}: tuning" if progress else None
    done = dict(run_jobs(tuning, {tune_on: preps[tune_on]}, sizes, out, ckpt, bar))
    lrs = choose_learning_rates(done, sizes, out, tune_on, log)
    jobs = [Job(n, BASELINES, 0.0, 0, outdir(out) / "baselines" / f"{n}.json") for n in names]
    for name in names:
        write_dataset_info(preps[name], out)
        for seed in seeds_for(name, sizes):  # seeds outermost: a cut-short run stays usable
            for p in presets_for(name, sizes):
                path = outdir(out) / "runs" / name / f"{p}-s{seed}.json"
                jobs.append(Job(name, p, lrs[p], seed, path))
    bar = f"{profile}: runs" if progress else None
    for job, r in run_jobs(jobs, {n: preps[n] for n in names}, sizes, out, ckpt, bar):
        if job.preset != BASELINES:
            log(
                f"{job.dataset} {job.preset} seed {job.seed}: test acc "
                f"{r['test']['accuracy']:.4f} ({r['fit']['wall_s']:.0f} s, "
                f"{r['fit']['tokens_per_s']:.0f} tok/s)"
            )
    wall = time.perf_counter() - t0
    path = outdir(out) / "study.json"
    calls = results.read_json(path)["calls"] if path.exists() else []
    ran = sum(j.path.stat().st_mtime >= started for j in tuning + jobs)  # not found finished
    if ran == 0 and calls:  # everything was cached: nothing to add to the record
        return {"outputs": out, "wall_s": wall}
    calls.append(
        {
            "wall_s": wall,
            **results.provenance(),
            "datasets": names,
            "jobs": len(tuning + jobs),
            "ran": ran,
        }
    )
    results.write_json(
        path,
        {
            "profile": profile,
            "sizes": dataclasses.asdict(sizes),
            "calls": calls,
            "wall_s_total": sum(c["wall_s"] for c in calls),
            "environment": results.environment(),
        },
    )
    return {"outputs": out, "wall_s": wall}
