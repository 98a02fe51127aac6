"""Notebook 03: LSTM gates on SST-2, parameter counts, throughput of every implementation."""

import runpy
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from rnnpaper import classify, paths, results, train
from rnnpaper.models import recurrent, registry
from rnnpaper.report import latex

STEM = "03-lstm-gru"
PRODUCER = f"{STEM}.ipynb"
BENCH = paths.ROOT / "benchmarks" / "bench_cells.py"


@dataclass(frozen=True)
class Sizes:
    """Sizes of notebook 03."""

    train_limit: int | None = None  # SST-2 training sentences kept (None: all 6,920)
    epochs: int = 6
    embed: int = 64
    hidden: int = 64
    lr: float = 3e-3
    seed: int = 0
    n_sentences: int = 4  # test sentences whose gates are plotted
    bench_quick: bool = False  # smoke: a seconds-long benchmark into build/


PROFILES = {
    "smoke": Sizes(train_limit=300, epochs=1, embed=16, hidden=16, bench_quick=True),
    "paper": Sizes(),
}


# --- a small LSTM classifier on SST-2 (through classify and train.fit) ------------------


def train_sst2_lstm(sizes: Sizes, profile: str, log=print):
    """Train classify.Classifier (LSTM, mean pooling) on SST-2; -> (model, prepared, result)."""
    csizes = replace(
        classify.PROFILES["paper"], max_len=60, train_limit={"sst2": sizes.train_limit}
    )
    prep = classify.prepare("sst2", csizes)
    cfg = classify.ModelConfig(cell="lstm", embed_dim=sizes.embed, hidden_size=sizes.hidden)
    tcfg = train.TrainConfig(
        epochs=sizes.epochs, lr=sizes.lr, patience=0, seed=sizes.seed, progress=False
    )
    train.seed_everything(sizes.seed)
    model = classify.Classifier(len(prep.vocab), len(prep.label_names), cfg)
    val = prep.splits["validation"]

    def accuracy(m):
        return {"accuracy": float((classify.predict(m, val) == val.labels).mean())}

    res = train.fit(
        model,
        tcfg,
        classify.train_batches(prep.splits["train"], 64, sizes.seed),
        lambda m, b: (nn.functional.cross_entropy(m(b[0], b[1]), b[2]), int(b[1].sum())),
        accuracy,
        monitor="accuracy",
        mode="max",
        run_dir=paths.BUILD / "runs" / STEM / profile / "sst2-lstm",
        meta={"model": cfg, "data": prep.info},
    )
    test = prep.splits["test"]
    res.best["test_accuracy"] = float((classify.predict(model, test) == test.labels).mean())
    log(f"SST-2 LSTM: validation {res.best['accuracy']:.3f}, test {res.best['test_accuracy']:.3f}")
    return model, prep, res


@torch.no_grad()
def gate_activations(model, prep, n: int, seed: int = 0) -> list:
    """i, f, o (mean over units) per token of n test sentences, via the scratch LSTM cell."""
    enc = model.encoder
    scratch = recurrent.Recurrent(
        "lstm",
        enc.cells[0].input_size if enc.impl == "scratch" else enc.rnn.input_size,
        enc.hidden_size,
        impl="scratch",
    )
    recurrent.copy_weights(enc, scratch)
    cell, model = scratch.cells[0], model.eval()
    test = prep.splits["test"]
    g = torch.Generator().manual_seed(seed)
    picks = [
        i
        for i in torch.randperm(len(test.ids), generator=g).tolist()
        if 6 <= len(test.ids[i]) <= 18
    ][:n]
    out = []
    for i in picks:
        x = model.embedding(torch.tensor([test.ids[i]]))  # (1, T, E)
        state, rows = cell.init_state(1), []
        for x_t in x.unbind(1):  # (1, E)
            step = cell.gate_values(x_t, state)
            state = step["state"]
            rows.append(
                {k: step[k].mean().item() for k in "ifo"} | {"C_abs": state[1].abs().mean().item()}
            )
        mask = torch.ones(1, x.shape[1], dtype=torch.bool)
        prob = torch.softmax(model(torch.tensor([test.ids[i]]), mask), -1)[0, 1].item()
        out.append(
            {
                "tokens": test.tokens[i],
                "label": prep.label_names[int(test.labels[i])],
                "p_positive": prob,
                "gates": rows,
            }
        )
    return out


def check_gates_match_fused(model, prep) -> float:
    """Largest |h| difference between the scratch cell with copied weights and the model."""
    enc = model.encoder.eval()
    ids = torch.tensor([prep.splits["test"].ids[0]])
    x = model.embedding(ids)  # (1, T, E)
    scratch = recurrent.Recurrent("lstm", x.shape[-1], enc.hidden_size, impl="scratch")
    recurrent.copy_weights(enc, scratch)
    with torch.no_grad():
        return (scratch(x)[0] - enc(x)[0]).abs().max().item()


# --- parameter counts ------------------------------------------------------------------


def parameter_table(n: int, m: int) -> pd.DataFrame:
    """Closed forms and counted parameters of one layer, input n, hidden m."""
    forms = {
        "rnn": ("(n+m+1)m", "(n+m+2)m"),
        "lstm": ("4(n+m+1)m", "4(n+m+2)m"),
        "gru": ("3(n+m+1)m + m", "3(n+m+2)m"),
        "gru_proposal": ("3(n+m+1)m", "--"),
    }
    rows = []
    for kind in registry.CELLS:
        counted = sum(p.numel() for p in registry.spec(kind).cell(n, m).parameters())
        assert counted == recurrent.param_count(kind, n, m)
        torch_n = (
            sum(p.numel() for p in registry.spec(kind).fused(n, m).parameters())
            if registry.spec(kind).fused is not None
            else None
        )
        rows.append(
            {
                "Cell": NAMES[kind],
                "equations": forms[kind][0],
                "count": counted,
                "torch.nn": forms[kind][1],
                "torch.nn count": torch_n,
            }
        )
    return pd.DataFrame(rows)


NAMES = {
    "rnn": "Elman RNN",
    "lstm": "LSTM",
    "gru": "GRU (torch.nn form)",
    "gru_proposal": "GRU (proposal form)",
}


# --- throughput ------------------------------------------------------------------------


def benchmark(sizes: Sizes, results_dir: Path) -> dict:
    """The committed benchmark (paper), or a seconds-long one into build/ (smoke)."""
    path = Path(results_dir) / "benchmark.json"
    if sizes.bench_quick or not path.exists():
        main = runpy.run_path(str(BENCH))["main"]
        main((["--quick"] if sizes.bench_quick else []) + ["--out", str(path)])
    return results.read_json(path)


def bench_frame(bench: dict) -> pd.DataFrame:
    """One row per implementation: tokens/s and ratio to the fused LSTM, per T and mode."""
    rows = []
    for T, impls in bench["lengths"].items():
        for name, r in impls.items():
            for mode in ("train", "infer"):
                rows.append(
                    {
                        "impl": name,
                        "T": int(T),
                        "mode": mode,
                        "tokens_per_s": r[mode]["tokens_per_s"],
                        "ratio": r[mode]["ratio_to_fused_lstm"],
                    }
                )
    return pd.DataFrame(rows)


def bench_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Implementations as rows; training and inference tokens/s (ratio) per T."""
    cols = {}
    for (T, mode), f in frame.groupby(["T", "mode"], sort=True):
        label = f"{'train' if mode == 'train' else 'infer'} T={T}"
        cols[label] = {
            r.impl: f"{r.tokens_per_s / 1000:.1f}k (x{r.ratio:.2f})" for r in f.itertuples()
        }
    table = pd.DataFrame(cols)
    table = table[sorted(table.columns, key=lambda c: (c.startswith("infer"), c))]
    return table.reset_index().rename(columns={"index": "Implementation"})


def build_outputs(results_dir: Path, generated: Path) -> list:
    """Notebook 03's tables and macros from its committed results files only."""
    results_dir, generated = Path(results_dir), Path(generated)
    bench = results.read_json(results_dir / "benchmark.json")
    frame = bench_frame(bench)
    gates = results.read_json(results_dir / "gates.json")
    n, m = gates["parameter_sizes"]
    written = [
        latex.table(
            bench_table(frame), generated / f"{STEM}_benchmark.tex", PRODUCER, align="lrrrr"
        ),
        latex.table(
            parameter_table(n, m),
            generated / f"{STEM}_params.tex",
            PRODUCER,
            digits=0,
            align="lllll",
        ),
    ]
    cfg = bench["config"]
    values = {
        "benchThreads": cfg["threads"],
        "benchReps": cfg["reps"],
        "benchB": cfg["batch"],
        "benchE": cfg["embed"],
        "benchH": cfg["hidden"],
        "paramN": n,
        "paramM": m,
        "sstHidden": gates["sizes"]["hidden"],
        "sstEmbed": gates["sizes"]["embed"],
        "sstValAcc": 100 * gates["best"]["accuracy"],
        "sstTestAcc": 100 * gates["best"]["test_accuracy"],
        "gatesMaxDiff": f"{gates['max_abs_diff']:.0e}",
    }
    for r in frame.itertuples():
        key = {
            "LSTM scratch, hand BPTT": "hand",
            "LSTM scratch, compiled cell": "compiled",
            "LSTM scratch, autograd": "autograd",
        }.get(r.impl)
        if key:
            values[f"bench {key} {r.mode} T{r.T} ratio"] = r.ratio
        if r.impl == bench["reference"]:
            values[f"bench fused {r.mode} T{r.T} ktok"] = r.tokens_per_s / 1000
    train = frame[frame["mode"] == "train"].set_index(["impl", "T"])["ratio"]
    for T in sorted(frame["T"].unique()):
        for cell, a, b in (
            ("gru", "GRU scratch, autograd", "GRU fused (torch.nn)"),
            ("rnn", "RNN scratch, autograd", "RNN fused (torch.nn)"),
        ):
            values[f"{cell} scratch over fused T{T}"] = train[(a, T)] / train[(b, T)]
    written.append(latex.macros(values, generated / f"{STEM}_macros.tex", PRODUCER, digits=2))
    return written
