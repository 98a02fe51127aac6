"""rnnpaper.jobs: a local Dask cluster of 2 workers gives the in-process results of real
training runs; every scheduler names the failing job and stops."""

import time

import numpy as np
import pytest

from rnnpaper import jobs
from rnnpaper.models.classifier import ModelConfig
from rnnpaper.tasks import classification as task
from rnnpaper.train import TrainConfig

SIZES = task.DataSizes(max_len=20, vocab_size=500, train_limit={"trec": 100}, eval_limit=60)


def init(prep, tag):
    """Shared read-only data of one worker, set once."""
    jobs.STATE.update(prep=prep, tag=tag, inits=jobs.STATE.get("inits", 0) + 1)


def train_one(seed: int) -> dict:
    """One 1-epoch GRU classifier on 100 TREC questions: predictions and validation scores."""
    import torch

    prep = jobs.STATE["prep"]
    cfg = ModelConfig(cell="gru", embed_dim=16, hidden_size=16)
    model, fit = task.train_classifier(
        prep, cfg, TrainConfig(epochs=1, lr=1e-2, seed=seed, progress=False), batch_size=16
    )
    pred = task.predict(model, prep.splits["test"])
    return {
        "pred": pred.tolist(),
        "best": fit.best,
        "threads": torch.get_num_threads(),
        "tag": jobs.STATE["tag"],
        "inits": jobs.STATE["inits"],
    }


def fail_on_two(x: int) -> int:
    if x == 2:
        raise ValueError("two is not allowed")
    time.sleep(0.2)
    return x * x


@pytest.fixture(scope="module")
def prep(real_data_dir):
    return task.prepare("trec", SIZES)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c


def test_dask_cluster_gives_the_in_process_results(prep, cluster, monkeypatch):
    serial = dict(jobs.run_jobs(train_one, [0, 1], init, (prep, "x"), scheduler="serial"))
    monkeypatch.setenv("RNNPAPER_SCHEDULER", cluster.scheduler_address)  # the one setting
    dask = dict(jobs.run_jobs(train_one, [0, 1], init, (prep, "x"), threads=1))
    assert set(dask) == {0, 1}
    for seed in (0, 1):
        assert dask[seed]["pred"] == serial[seed]["pred"]
        assert dask[seed]["best"] == serial[seed]["best"]
        assert dask[seed]["threads"] == 1 and dask[seed]["tag"] == "x"
        assert dask[seed]["inits"] == 1  # each worker initialised once, not per job
    assert serial[0]["pred"] != serial[1]["pred"] or serial[0]["best"] != serial[1]["best"]
    assert len(np.unique(serial[0]["pred"])) > 1


def test_process_pool_gives_the_in_process_results(prep):
    serial = dict(jobs.run_jobs(train_one, [3], init, (prep, "p"), scheduler="serial"))
    pool = dict(jobs.run_jobs(train_one, [3], init, (prep, "p"), workers=2, scheduler="local"))
    assert pool[3]["pred"] == serial[3]["pred"] and pool[3]["best"] == serial[3]["best"]


@pytest.mark.parametrize("where", ["serial", "processes", "dask"])
def test_the_failing_job_is_named_and_the_rest_stop(where, request):
    scheduler = request.getfixturevalue("cluster").scheduler_address if where == "dask" else where
    got = []
    with pytest.raises(jobs.JobError, match=r"job x=2 failed: ValueError: two is not allowed") as e:
        for job, _ in jobs.run_jobs(
            fail_on_two, range(6), workers=2, scheduler=scheduler, name=lambda x: f"x={x}"
        ):
            got.append(job)
    assert isinstance(e.value.__cause__, ValueError)
    assert len(got) < 6


def test_unknown_scheduler_is_refused(monkeypatch):
    monkeypatch.setenv("RNNPAPER_SCHEDULER", "slurm")
    with pytest.raises(ValueError, match="RNNPAPER_SCHEDULER='slurm'"):
        list(jobs.run_jobs(fail_on_two, [1]))
    monkeypatch.delenv("RNNPAPER_SCHEDULER")
    assert jobs.scheduler_setting() == "local"
