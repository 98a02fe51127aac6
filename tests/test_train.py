"""The training loop: determinism, resume, non-finite loss, schedule, skip of finished runs."""

import json
import math

import pytest
import torch
import torch.nn.functional as F

from rnnpaper import train

N, D, C = 96, 5, 3


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N, D, generator=g)  # (N, D)
    w = torch.randn(D, C, generator=g)
    return x, (x @ w).argmax(1)  # (N,)


def _setup(seed=0, dropout=0.3):
    x, y = _data()
    train.seed_everything(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(D, 16), torch.nn.Dropout(dropout), torch.nn.Tanh(), torch.nn.Linear(16, C)
    )

    def batches(epoch):
        perm = torch.randperm(N, generator=torch.Generator().manual_seed(seed * 1000 + epoch))
        return [perm[i : i + 16] for i in range(0, N, 16)]

    def loss_fn(m, idx):
        return F.cross_entropy(m(x[idx]), y[idx]), len(idx)

    def evaluate(m):
        return {
            "accuracy": (m(x).argmax(1) == y).float().mean().item(),
            "loss": F.cross_entropy(m(x), y).item(),
        }

    return model, batches, loss_fn, evaluate


def _fit(cfg, run_dir=None, loss_wrap=None, seed=0):
    model, batches, loss_fn, evaluate = _setup(seed)
    lf = loss_wrap(loss_fn) if loss_wrap else loss_fn
    res = train.fit(model, cfg, batches, lf, evaluate, monitor="accuracy", run_dir=run_dir)
    return model, res


CFG = train.TrainConfig(epochs=4, lr=0.05, patience=0, progress=False, seed=0)


def test_same_seed_same_metrics():
    _, a = _fit(CFG)
    _, b = _fit(CFG)
    assert a.history == [{**h} for h in b.history]
    assert a.best == b.best


def test_loss_decreases_and_best_weights_restored():
    model, res = _fit(CFG)
    losses = [h["loss"] for h in res.history]
    assert losses[-1] < losses[0]
    _, _, _, evaluate = _setup()
    model.eval()
    with torch.no_grad():
        assert evaluate(model)["accuracy"] == pytest.approx(res.best["accuracy"])


def test_resume_after_interrupt_loses_no_finished_epoch(tmp_path):
    _, full = _fit(CFG)
    calls = {"n": 0}

    def interrupt_in_epoch_3(loss_fn):
        def wrapped(m, b):
            calls["n"] += 1
            if calls["n"] == 2 * 6 + 3:  # 6 batches per epoch: mid third epoch
                raise KeyboardInterrupt
            return loss_fn(m, b)

        return wrapped

    with pytest.raises(KeyboardInterrupt):
        _fit(CFG, tmp_path, interrupt_in_epoch_3)
    ckpt = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert ckpt["epoch"] == 2 and len(ckpt["history"]) == 2
    calls["n"] = 0
    counting = lambda lf: lambda m, b: (calls.__setitem__("n", calls["n"] + 1), lf(m, b))[1]
    _, resumed = _fit(CFG, tmp_path, counting)
    assert calls["n"] == 2 * 6  # only epochs 3 and 4 were trained again
    for h_full, h_res in zip(full.history, resumed.history, strict=True):
        for k in ("accuracy", "loss", "train_loss", "lr"):
            assert h_full[k] == pytest.approx(h_res[k], rel=1e-6, abs=1e-7), k


def test_result_json_contents_and_skip(tmp_path):
    _, res = _fit(CFG, tmp_path)
    payload = json.loads((tmp_path / "result.json").read_text())
    for key in (
        "train_config",
        "seed",
        "git_commit",
        "environment",
        "n_parameters",
        "wall_s",
        "tokens_per_s",
        "config_hash",
        "history",
        "best",
    ):
        assert key in payload, key
    assert payload["n_parameters"] == D * 16 + 16 + 16 * C + C
    assert payload["train_tokens"] == N * CFG.epochs and payload["tokens_per_s"] > 0
    assert 0 < payload["cpu_s"] and payload["train_s"] <= payload["wall_s"]
    assert payload["environment"]["packages"]["torch"] == torch.__version__
    calls = {"n": 0}
    counting = lambda lf: lambda m, b: (calls.__setitem__("n", calls["n"] + 1), lf(m, b))[1]
    model, again = _fit(CFG, tmp_path, counting)
    assert again.skipped and calls["n"] == 0 and again.best == res.best
    # a different config is not skipped and refuses the old checkpoint's hash
    other = train.TrainConfig(epochs=4, lr=0.01, patience=0, progress=False)
    with pytest.raises(ValueError, match="another config"):
        _fit(other, tmp_path)


def test_nan_loss_names_the_step():
    def nan_at_5(loss_fn):
        calls = {"n": 0}

        def wrapped(m, b):
            calls["n"] += 1
            loss, n = loss_fn(m, b)
            return (loss * float("nan") if calls["n"] == 5 else loss), n

        return wrapped

    with pytest.raises(train.NonFiniteLossError, match=r"epoch 1, step 5 .*global step 5"):
        _fit(CFG, loss_wrap=nan_at_5)


def test_early_stopping_stops_after_patience():
    cfg = train.TrainConfig(epochs=30, lr=1e-9, patience=2, progress=False, schedule="constant")
    _, res = _fit(cfg)  # lr ~ 0: the metric cannot improve after epoch 1
    assert res.stopped_early and len(res.history) == 3 and res.best_epoch == 1


def test_lr_schedules():
    cos = train.TrainConfig(schedule="cosine", min_lr_frac=0.0, warmup_frac=0.1)
    total = 100
    f = [train.lr_factor(s, total, cos) for s in range(total)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0)
    assert f[10] == pytest.approx(1.0)
    mid = 10 + 45  # halfway through the decay: cos(pi/2) -> factor 1/2
    assert f[mid] == pytest.approx(0.5 * (1 + math.cos(math.pi * 45 / 90)))
    assert all(a >= b for a, b in zip(f[10:], f[11:], strict=False))
    lin = train.TrainConfig(schedule="linear", min_lr_frac=0.2)
    assert train.lr_factor(0, 10, lin) == pytest.approx(1.0)
    assert train.lr_factor(10, 10, lin) == pytest.approx(0.2)
    assert train.lr_factor(7, 10, train.TrainConfig(schedule="constant")) == 1.0


def _first_step(clip_norm):
    x, y = _data()
    cfg = train.TrainConfig(
        epochs=1,
        lr=1.0,
        clip_norm=clip_norm,
        weight_decay=0.0,
        schedule="constant",
        patience=0,
        progress=False,
    )
    train.seed_everything(0)
    model = torch.nn.Linear(D, C)
    before = [p.detach().clone() for p in model.parameters()]
    loss_fn = lambda m, idx: (F.cross_entropy(m(x[idx]), y[idx]), N)
    train.fit(model, cfg, lambda e: [torch.arange(N)], loss_fn, lambda m: {"accuracy": 0.0})
    return torch.cat(
        [(p.detach() - b).flatten() for p, b in zip(model.parameters(), before, strict=True)]
    )


def test_gradient_clipping_is_applied():
    # Adam's first step is lr * g / (|g| + eps): about lr per weight unless the clipped
    # gradient is far below eps = 1e-8, which a clip norm of 1e-12 forces.
    assert _first_step(0.0).abs().max() > 0.5
    assert _first_step(1e-12).abs().max() < 1e-3
