"""The classifier (eqs. 1-4 of notebook 06), its presets, batching, the study and its outputs."""

import dataclasses
import filecmp
import json

import pytest
import torch

from rnnpaper import paths, userdata
from rnnpaper.models import classifier
from rnnpaper.models.classifier import ModelConfig
from rnnpaper.studies.classification import config, frames, macros
from rnnpaper.studies.classification import run as study_run
from rnnpaper.studies.classification.config import PRESETS
from rnnpaper.studies.classification.report import build_tables
from rnnpaper.studies.classification.run import Job, run_jobs
from rnnpaper.tasks import classification as task

E = H = 64


@pytest.mark.parametrize("cell,G", [("rnn", 1), ("gru", 3), ("lstm", 4)])
def test_recurrent_parameter_count(cell, G):
    assert classifier.recurrent_parameters(ModelConfig(cell=cell)) == G * (E * H + H * H + 2 * H)
    bi = ModelConfig(cell=cell, bidirectional=True, num_layers=2)
    layer2 = G * (2 * H * H + H * H + 2 * H)  # second layer reads both directions (2H)
    assert classifier.recurrent_parameters(bi) == 2 * (G * (E * H + H * H + 2 * H) + layer2)


def test_equal_parameter_presets_match_the_lstm():
    for bi in ("", "bi"):
        target = classifier.recurrent_parameters(PRESETS[f"{bi}lstm"])
        for cell in ("rnn", "gru"):
            n = classifier.recurrent_parameters(PRESETS[f"{bi}{cell}-eqp"])
            assert abs(n - target) / target < 0.01


def test_pooling_by_hand():
    y = torch.tensor([[[1.0, -2.0], [3.0, 0.0], [9.0, 9.0]]])  # (B=1, T=3, 2)
    mask = torch.tensor([[True, True, False]])
    final = torch.tensor([[[5.0, 6.0]]])  # (L*D=1, B=1, H=2)
    assert classifier.pool(y, final, mask, "mean", 1).tolist() == [[2.0, -1.0]]
    assert classifier.pool(y, final, mask, "max", 1).tolist() == [[3.0, 0.0]]
    assert classifier.pool(y, final, mask, "last", 1).tolist() == [[5.0, 6.0]]
    two = torch.tensor([[[1.0]], [[2.0]], [[3.0]], [[4.0]]])  # (L*D=4, B=1, H=1)
    assert classifier.pool(y, two, mask, "last", 2).tolist() == [[3.0, 4.0]]  # top layer


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("bi", [False, True])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_padding_does_not_change_predictions(pooling, bi, cell):
    torch.manual_seed(0)
    ids = torch.randint(4, 50, (3, 9))
    mask = torch.ones(3, 9, dtype=torch.bool)
    mask[1, 5:], mask[2, 2:] = False, False
    m = classifier.Classifier(
        50, 3, ModelConfig(cell=cell, bidirectional=bi, pooling=pooling, embed_dim=8, hidden_size=6)
    ).eval()
    with torch.no_grad():
        batch = m(ids, mask)
        alone = torch.cat(
            [m(ids[b : b + 1, :n], mask[b : b + 1, :n]) for b, n in enumerate(mask.sum(1).tolist())]
        )
    torch.testing.assert_close(batch, alone, atol=1e-5, rtol=1e-5)


def test_equal_length_batches_cover_once_with_one_length():
    lengths = [3, 5, 3, 3, 9, 5, 1, 3, 17, 18, 23]
    g = torch.Generator().manual_seed(0)
    batches = task.equal_length_batches(lengths, 2, g)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(len(lengths)))
    assert all(len({lengths[i] for i in b}) == 1 and len(b) <= 2 for b in batches)
    coarse = task.equal_length_batches(lengths, 4, torch.Generator().manual_seed(0), 8)
    assert all(
        len({lengths[i] // 8 if lengths[i] >= 8 else lengths[i] for i in b}) == 1 for b in coarse
    )
    again = task.equal_length_batches(lengths, 2, torch.Generator().manual_seed(0))
    assert again == batches


def test_labels():
    assert frames.label("bigru-eqp") == "BiGRU (eq. params)"
    assert frames.label("bilstm-last") == "BiLSTM (last)"
    assert frames.label("nbsvm") == "NBSVM"


def test_user_file_runs_through_the_study(tmp_path):
    good, bad = ["good", "great", "fine", "lovely"], ["bad", "awful", "poor", "dull"]
    rows = [
        {"review": f"this film was {(good if i % 2 else bad)[i % 4]} really", "y": i % 2}
        for i in range(60)
    ]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    user = userdata.load_table(path, "review", "y")
    study = study_run("smoke", user=user, log=lambda m: None)
    assert study["outputs"].results == paths.BUILD / "user-smoke" / "results"
    res = study["outputs"].results / config.STEM
    runs = frames.load_runs(res)
    assert {r["dataset"] for r in runs} == {"user"}
    assert len(runs) == (len(config.PROFILES["smoke"].presets) + len(config.PROPOSED)) * 2
    first = json.loads((res / "study.json").read_text())
    before = first["wall_s_total"]
    study_run("smoke", user=user, log=lambda m: None, progress=False)  # all cached
    again = json.loads((res / "study.json").read_text())
    assert again["wall_s_total"] == before  # a call that computed nothing adds no time
    assert len(again["calls"]) == len(first["calls"])
    with pytest.raises(userdata.UserDataError, match="no column 'text'"):
        userdata.load_table(path, "text", "y")


def _tiny_jobs(tmp_path, sizes, preset="rnn"):
    prep = task.prepare("trec", sizes)
    jobs = [Job("trec", preset, 1e-2, seed, tmp_path / f"{preset}-s{seed}.json") for seed in (0, 1)]
    return jobs, {"trec": prep}


def test_two_worker_processes_give_the_same_results_as_one(tmp_path):
    sizes = dataclasses.replace(config.PROFILES["smoke"], epochs={"trec": 1})
    out = paths.outputs("smoke")
    found = {}
    for workers in (1, 2):
        sz = dataclasses.replace(sizes, workers=workers)
        jobs, preps = _tiny_jobs(tmp_path / str(workers), sz)
        done = dict(run_jobs(jobs, preps, sz, out, tmp_path / f"ckpt{workers}"))
        assert set(done) == set(jobs) and all(j.path.exists() for j in jobs)
        found[workers] = [done[j]["test"]["accuracy"] for j in jobs]
        found[workers] += [done[j]["fit"]["history"][-1]["train_loss"] for j in jobs]
    assert found[1] == found[2]


def test_a_failing_job_is_named(tmp_path):
    sizes = dataclasses.replace(config.PROFILES["smoke"], epochs={"trec": 1})  # 1 worker:
    jobs, preps = _tiny_jobs(tmp_path, sizes, preset="no-such-preset")  # same wrapper, no spawn
    with pytest.raises(RuntimeError, match="trec no-such-preset lr 0.01 seed 0"):
        list(run_jobs(jobs[:1], preps, sizes, paths.outputs("smoke"), tmp_path))


def test_equal_parameter_deltas_and_pooling_macros():
    import pandas as pd

    rows = [
        ("sst2", "rnn", [0.80, 0.82, 0.81]),
        ("sst2", "rnn-eqp", [0.70, 0.71, 0.72]),
        ("sst2", "gru", [0.80, 0.81, 0.79]),
        ("sst2", "gru-eqp", [0.81, 0.80, 0.82]),
    ]
    df = pd.DataFrame(
        [{"dataset": d, "preset": p, "accuracy": a} for d, p, accs in rows for a in accs]
    )
    d = macros.equal_params_deltas(df).set_index("preset")
    assert d.loc["rnn-eqp", "delta"] == pytest.approx(-10.0)
    assert d.loc["gru-eqp", "delta"] == pytest.approx(1.0)
    assert d.loc["rnn-eqp", "p"] < 0.01 < d.loc["gru-eqp", "p"]
    acc = frames.summarize(df)
    v = macros._comparison_macros(df, acc)
    assert (v["cls eqp pairs"], v["cls eqp significant losses"]) == (2, 1)
    assert v["cls eqp significant gains"] == 0
    assert v["cls eqp max loss model"] == "RNN" and v["cls eqp max loss"] == pytest.approx(10.0)
    assert v["cls eqp elman losses"] == 1 and v["cls eqp gru gains"] == 1


COMMITTED = paths.ROOT / "results" / config.STEM


@pytest.mark.skipif(not (COMMITTED / "study.json").exists(), reason="paper results not committed")
def test_committed_tables_are_what_the_committed_results_produce(tmp_path):
    written = build_tables(COMMITTED, tmp_path)
    for path in written.values():
        committed = paths.PAPER / "generated" / path.name
        assert committed.exists(), f"{committed} missing: rerun notebooks/06 at paper scale"
        assert filecmp.cmp(path, committed, shallow=False), f"{committed.name} is stale"
