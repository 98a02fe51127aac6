"""Notebook 03's compute: an LSTM classifier on SST-2 and its gates step by step, and the
throughput benchmark, into results/03-lstm-gru/.

``gates.json`` is reused when its sizes are unchanged; ``benchmark.json`` is written by
benchmarks/bench_cells.py (``make results/03-lstm-gru/benchmark.json``), here only when it is
missing or for the seconds-long smoke benchmark.
"""

import runpy
from pathlib import Path

import torch

from rnnpaper import paths, profiles, results, train
from rnnpaper.models import recurrent
from rnnpaper.models.classifier import ModelConfig
from rnnpaper.tasks import classification

from .config import BATCH, BENCH, BENCH_ARGS, MAX_LEN, PARAMETER_SIZES, PROFILES, STEM, Sizes


def train_sst2_lstm(sizes: Sizes, profile: str, log=print):
    """An LSTM classifier (mean pooling) trained on SST-2 -> (model, prepared data, fit)."""
    data = classification.DataSizes(max_len=MAX_LEN, train_limit={"sst2": sizes.train_limit})
    prep = classification.prepare("sst2", data)
    cfg = ModelConfig(cell="lstm", embed_dim=sizes.embed, hidden_size=sizes.hidden)
    tcfg = train.TrainConfig(
        epochs=sizes.epochs, lr=sizes.lr, patience=0, seed=sizes.seed, progress=False
    )
    model, fit = classification.train_classifier(
        prep,
        cfg,
        tcfg,
        BATCH,
        run_dir=paths.BUILD / "runs" / STEM / profile / "sst2-lstm",
        meta={"model": cfg, "data": prep.info},
    )
    test = prep.splits["test"]
    fit.best["test_accuracy"] = float((classification.predict(model, test) == test.labels).mean())
    log(f"SST-2 LSTM: validation {fit.best['accuracy']:.3f}, test {fit.best['test_accuracy']:.3f}")
    return model, prep, fit


def _scratch_copy(encoder, input_size: int):
    """The from-scratch LSTM layer holding the weights of ``encoder``."""
    scratch = recurrent.Recurrent("lstm", input_size, encoder.hidden_size, impl="scratch")
    recurrent.copy_weights(encoder, scratch)
    return scratch


@torch.no_grad()
def gate_activations(model, prep, n: int, seed: int = 0) -> list:
    """i, f, o (mean over units) per token of n test sentences, via the scratch LSTM cell."""
    cell, model = _scratch_copy(model.encoder, model.cfg.embed_dim).cells[0], model.eval()
    test = prep.splits["test"]
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(test.ids), generator=g).tolist()
    picks = [i for i in order if 6 <= len(test.ids[i]) <= 18][:n]
    out = []
    for i in picks:
        ids = torch.tensor([test.ids[i]])  # (1, T)
        x = model.embedding(ids)  # (1, T, E)
        state, rows = cell.init_state(1), []
        for x_t in x.unbind(1):  # (1, E)
            step = cell.gate_values(x_t, state)
            state = step["state"]
            gates = {k: step[k].mean().item() for k in "ifo"}
            rows.append(gates | {"C_abs": state[1].abs().mean().item()})
        mask = torch.ones(1, x.shape[1], dtype=torch.bool)  # (1, T)
        prob = torch.softmax(model(ids, mask), -1)[0, 1].item()
        label = prep.label_names[int(test.labels[i])]
        out.append({"tokens": test.tokens[i], "label": label, "p_positive": prob, "gates": rows})
    return out


def check_gates_match_fused(model, prep) -> float:
    """Largest |h| difference between the scratch cell with copied weights and the model."""
    enc = model.encoder.eval()
    x = model.embedding(torch.tensor([prep.splits["test"].ids[0]]))  # (1, T, E)
    scratch = _scratch_copy(enc, x.shape[-1])
    with torch.no_grad():
        return (scratch(x)[0] - enc(x)[0]).abs().max().item()


def benchmark(sizes: Sizes, results_dir: Path) -> dict:
    """The committed benchmark (paper), or a seconds-long one into build/ (smoke)."""
    path = Path(results_dir) / "benchmark.json"
    if sizes.bench_quick or not path.exists():
        main = runpy.run_path(str(BENCH))["main"]
        main((["--quick"] if sizes.bench_quick else list(BENCH_ARGS)) + ["--out", str(path)])
    return results.read_json(path)


def gates_payload(sizes: Sizes, profile: str, log=print) -> dict:
    """Train the SST-2 LSTM, check the scratch copy, record the gates of a few sentences."""
    model, prep, fit = train_sst2_lstm(sizes, profile, log)
    return {
        "sizes": sizes,
        "best": fit.best,
        "max_abs_diff": check_gates_match_fused(model, prep),
        "parameter_sizes": list(PARAMETER_SIZES),
        "sentences": gate_activations(model, prep, sizes.n_sentences, seed=sizes.seed),
        "data": prep.info,
        **results.provenance(),
    }


def run(profile: str, log=print) -> dict:
    """Write results/03-lstm-gru/ (gates.json, benchmark.json) -> {"gates", "benchmark"}."""
    sizes = profiles.resolve(PROFILES, profile)
    res_dir = paths.outputs(profile).results / STEM
    path = res_dir / "gates.json"
    old = results.read_json(path) if path.exists() else {}
    same = old.get("sizes") == results.to_jsonable(sizes)
    if same and old.get("parameter_sizes") == list(PARAMETER_SIZES):
        log(f"reused {path.relative_to(paths.ROOT)}")
    else:
        results.write_json(path, gates_payload(sizes, profile, log))
    return {"gates": results.read_json(path), "benchmark": benchmark(sizes, res_dir)}
