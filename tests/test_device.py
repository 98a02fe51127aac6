"""The device setting: on the CPU, training is bit-identical to training with nothing moved
(every epoch's loss and the predictions), whichever way the CPU is chosen; the setting is
validated; batches follow the model. The CUDA test runs only where a GPU is present."""

import pytest
import torch

from rnnpaper import devices, train
from rnnpaper.studies.classification.config import PRESETS
from rnnpaper.tasks import classification as task

SIZES = task.DataSizes(max_len=30, vocab_size=2000, train_limit={"trec": 300}, eval_limit=100)


@pytest.fixture(scope="module")
def trec(real_data_dir):
    return task.prepare("trec", SIZES)


def _train(prep, preset, device=None):
    torch.set_num_threads(1)
    tcfg = train.TrainConfig(epochs=2, lr=1e-2, seed=3, progress=False)
    model, fit = task.train_classifier(prep, PRESETS[preset], tcfg, 32, device=device)
    return [h["train_loss"] for h in fit.history], task.predict(model, prep.splits["test"]).tolist()


@pytest.mark.parametrize("preset", ["rnn", "lstm", "bigru"])
def test_cpu_results_are_bit_identical_to_training_without_a_device(trec, preset, monkeypatch):
    monkeypatch.setenv("RNNPAPER_DEVICE", "cpu")
    chosen = _train(trec, preset)  # the setting
    explicit = _train(trec, preset, "cpu")
    monkeypatch.setattr(devices, "to", lambda obj, device: obj)  # as before devices existed:
    monkeypatch.setattr(torch.nn.Module, "to", lambda self, *a, **k: self)  # nothing moves
    monkeypatch.setattr(torch.nn.Module, "cpu", lambda self: self)
    unmoved = _train(trec, preset)
    assert chosen == explicit == unmoved
    assert len(set(chosen[1])) > 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_training_runs_and_returns_a_cpu_model(trec):
    losses, pred = _train(trec, "lstm", "cuda")
    cpu_losses, cpu_pred = _train(trec, "lstm", "cpu")
    assert losses == pytest.approx(cpu_losses, rel=1e-3)
    assert sum(a == b for a, b in zip(pred, cpu_pred, strict=True)) >= 0.9 * len(pred)


def test_device_setting(monkeypatch):
    monkeypatch.setenv("RNNPAPER_DEVICE", "cpu")
    assert devices.resolve() == torch.device("cpu")
    monkeypatch.delenv("RNNPAPER_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert devices.resolve().type == expected
    with pytest.raises(ValueError, match="RNNPAPER_DEVICE='tpu'"):
        devices.resolve("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            devices.resolve("cuda")


def test_to_moves_nested_batches_and_keeps_cpu_tensors_as_they_are():
    ids, y = torch.arange(6).view(2, 3), torch.tensor([0, 1])
    moved = devices.to((ids, {"y": y, "n": 3}, [y]), torch.device("cpu"))
    assert moved[0] is ids and moved[1]["y"] is y and moved[1]["n"] == 3 and moved[2][0] is y
    model = torch.nn.Linear(2, 2)
    assert devices.of(model) == torch.device("cpu")
    assert devices.of(torch.nn.Module()) == torch.device("cpu")
