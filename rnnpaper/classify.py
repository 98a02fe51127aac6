"""python -m rnnpaper classify FILE --text COL --label COL [--profile smoke|paper] [--out DIR]

Runs the classification study of notebook 06 (the recurrent cells and the baselines) on your
own CSV, TSV or JSON Lines file and writes a short report into a folder it names at the end:
report.md (accuracy and macro P/R/F1 per model), confusion.png, summary.json and models/
(weights, vocabulary, configurations). Bad input ends with the data layer's message (file,
line, fix) and exit status 2, before anything is trained or written.
"""

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from rnnpaper import paths, userdata

STUDY_STEM = "06-classification"  # rnnpaper.studies.classification.STEM (not imported: slow)
PROFILES = ("smoke", "paper")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m rnnpaper classify",
        description="Train the RNN, LSTM and GRU classifiers and the baselines (majority, "
        "TF-IDF + LR, NBSVM) on your own labelled texts and report their test scores.",
        epilog="Example: python -m rnnpaper classify examples/reviews.csv --text review "
        "--label sentiment. Accepted input: see README, 'Your own data'.",
    )
    ap.add_argument("file", help="a .csv, .tsv or .jsonl file (optionally .gz) with a header")
    ap.add_argument("--text", required=True, metavar="COL", help="column holding the texts")
    ap.add_argument("--label", required=True, metavar="COL", help="column holding the classes")
    ap.add_argument(
        "--profile",
        choices=PROFILES,
        default="smoke",
        help="smoke: 3 models x 2 seeds, 2 epochs, seconds to minutes (default); paper: the "
        "paper's 6 models x 5 seeds and learning-rate grid",
    )
    ap.add_argument(
        "--out", metavar="DIR", help="report folder (default build/classify/<file>-<sha>-<profile>)"
    )
    ap.add_argument("--encoding", default="utf-8", help="text encoding of the file (default utf-8)")
    return ap


def main(argv=None) -> int:
    """The command; returns the exit status (2: the input cannot be used)."""
    args = parser().parse_args(argv)
    try:
        out = classify(args.file, args.text, args.label, args.profile, args.out, args.encoding)
    except userdata.UserDataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished runs are kept; rerun the command to go on", file=sys.stderr)
        return 130
    except Exception as e:
        if type(e).__name__ == "DataError":  # rnnpaper.data's, not imported here: slow
            print(f"error: {e}", file=sys.stderr)
            return 2
        raise
    print(f"\nreport: {out / 'report.md'}")
    return 0


def classify(path, text_column, label_column, profile="smoke", out=None, encoding="utf-8") -> Path:
    """Check the file, run the study on it, write the report; returns the report folder."""
    t0 = time.perf_counter()
    user = userdata.load_table(path, text_column, label_column, encoding=encoding)
    info = user.info
    _describe(user)
    out = userdata.resolve(out) if out else default_out(info, profile)
    print(f"[2/4] training ({profile} profile); finished runs are reused")
    from rnnpaper.studies import classification as study

    clear_stale(profile, info)
    run_study(study, profile, user)
    print("[3/4] report")
    res = results_dir(profile)
    write_report(out, res, user, profile)
    save_models(out / "models", res, study, user, profile)
    print(f"[4/4] done in {time.perf_counter() - t0:.0f} s")
    return out


def run_study(study, profile: str, user: userdata.UserData) -> None:
    """The study on the user's data: its results, tables and figures under build/user-<profile>/.

    ``user`` goes in as the 3-tuple (dd, label_names, info); the study hands it to
    ``tasks.classification.prepare(name, sizes, dd, label_names, info)``.
    """
    study.run(profile, user=tuple(user), log=print)
    study.report(f"user-{profile}")


def default_out(info: dict, profile: str) -> Path:
    stem = info["file"].split(".")[0]
    return paths.BUILD / "classify" / f"{stem}-{info['sha256'][:8]}-{profile}"


def _describe(user: userdata.UserData) -> None:
    info, dd = user.info, user.dd
    print(f"[1/4] {info['path']} (sha256 {info['sha256'][:12]}): ", end="")
    print(", ".join(f"{s} {len(dd[s])}" for s in dd) + " rows; " + info["splits"]["recipe"])
    counts = Counter(dd["train"]["label"])
    names = user.label_names
    print(
        "      classes (train rows): " + ", ".join(f"{n} {counts[k]}" for k, n in enumerate(names))
    )
    for name, spellings in info["label_spellings"].items():
        print(f"      label {name!r} was written as {spellings}")
    for w in info["warnings"]:
        print(f"      warning: {w}")


# ---------------------------------------------------------------- the study's state


def results_dir(profile: str) -> Path:
    """The study's results folder of own-data runs (``build/user-<profile>/results/...``)."""
    return paths.BUILD / f"user-{profile}" / "results" / STUDY_STEM


def checkpoints_dir(profile: str) -> Path:
    """The study's checkpoint folder of own-data runs; each run's files are in a subfolder
    per data (``tasks.classification.data_run_dir``)."""
    return paths.BUILD / STUDY_STEM / f"user-{profile}" / "checkpoints" / "user"


def identity(info: dict) -> dict:
    keys = ("sha256", "text_column", "label_column", "label_names", "splits")
    return {k: info.get(k) for k in keys}


def clear_stale(profile: str, info: dict) -> None:
    """Remove the results of another file (or columns), as the study's data record shows:
    the study keeps one own dataset per profile, and a report must not mix two. Checkpoints
    stay (they are kept per data, so going back to a file reuses its trained runs)."""
    res = results_dir(profile)
    record = res / "data" / "user.json"
    if record.exists():
        ran = json.loads(record.read_text()).get("provenance", {})
        if identity(ran) == json.loads(json.dumps(identity(info))):
            return
    if res.exists():
        print(f"      results of another file replaced: {res}")
        shutil.rmtree(res)


# ---------------------------------------------------------------- the report


def write_report(out: Path, res: Path, user: userdata.UserData, profile: str) -> None:
    """report.md, confusion.png and summary.json from the study's results files."""
    import matplotlib.pyplot as plt

    from rnnpaper import results
    from rnnpaper.report import own_data, plotting

    rows = own_data.model_rows(res)
    out.mkdir(parents=True, exist_ok=True)
    plotting.use_style()
    fig = own_data.confusion_figure(rows, user.label_names)
    fig.savefig(out / "confusion.png", dpi=130)
    plt.close(fig)
    best = max(rows, key=lambda r: r["validation_accuracy"])
    results.write_json(
        out / "summary.json", {"data": user.info, "profile": profile, "models": rows}
    )
    (out / "report.md").write_text(_markdown(out, user, profile, rows, best, res))


def _markdown(out, user, profile, rows, best, res) -> str:
    from rnnpaper.report import own_data

    info, dd = user.info, user.dd
    warn = "".join(f"- warning: {w}\n" for w in info["warnings"])
    return (
        f"# {info['file']}: recurrent classifiers and baselines ({profile} profile)\n\n"
        f"- file: `{info['path']}` (sha256 `{info['sha256']}`)\n"
        f"- text column `{info['text_column']}`, label column `{info['label_column']}`; "
        f"classes: {', '.join(user.label_names)}\n"
        f"- splits: train {len(dd['train'])}, validation {len(dd['validation'])}, test "
        f"{len(dd['test'])} ({info['splits']['recipe']})\n{warn}\n"
        "## Test scores (%)\n\n"
        f"{own_data.markdown_table(rows)}\n\n"
        "Recurrent models: mean ± sd over seeds, each at the learning rate chosen on "
        "validation; baselines: one fit, regularisation chosen on validation. Best model by "
        f"validation accuracy: **{own_data.display(best['model'])}** "
        f"({100 * best['accuracy']:.1f} % test accuracy).\n\n"
        "## Confusion matrices (% of each true class, seeds summed)\n\n"
        "![confusion matrices](confusion.png)\n\n"
        "## Model files\n\n"
        "`models/<model>-s<seed>.pt` (weights; `torch.load(weights_only=True)`), with "
        "`models/vocab.json` and `models/models.json` (configurations, classes). Predict:\n\n"
        "```python\nfrom rnnpaper.classify import predict\n"
        f'predict("{out / "models"}", "{_first_model(rows)}", ["a text to classify"])\n'
        "```\n\n"
        f"The study's own results, tables and figures: `{res}` and `{res.parent.parent}`.\n"
    )


def _first_model(rows) -> str:
    return next((f"{r['model']}-s0" for r in rows if r["kind"] == "recurrent"), "lstm-s0")


def save_models(folder: Path, res: Path, study, user: userdata.UserData, profile: str) -> None:
    """Copy each run's best weights, with the vocabulary and configurations to load them."""
    from rnnpaper import profiles, results
    from rnnpaper.tasks.classification import data_run_dir, prepare

    sizes = profiles.resolve(study.PROFILES, profile)
    prep = prepare("user", sizes, *user)  # deterministic: the vocabulary the runs used
    folder.mkdir(parents=True, exist_ok=True)
    prep.vocab.save(folder / "vocab.json")
    ckpt = checkpoints_dir(profile)
    models = {}
    for p in sorted((res / "runs" / "user").glob("*.json")):
        r = results.read_json(p)
        lr, name = r["fit"]["train_config"]["lr"], f"{r['preset']}-s{r['seed']}"
        src = data_run_dir(prep, ckpt / f"{r['preset']}-lr{lr:g}-s{r['seed']}") / "best.pt"
        if src.exists():
            shutil.copyfile(src, folder / f"{name}.pt")
            models[name] = r["model_config"]
    meta = {"label_names": user.label_names, "max_len": sizes.max_len, "models": models}
    (folder / "models.json").write_text(json.dumps(meta, indent=1))


def predict(folder, name: str, texts: list[str]) -> list[str]:
    """Class names predicted for ``texts`` by the saved model ``name`` (e.g. 'lstm-s0')."""
    import torch

    from rnnpaper import text
    from rnnpaper.models.classifier import Classifier, ModelConfig

    folder = Path(folder)
    meta = json.loads((folder / "models.json").read_text())
    vocab = text.Vocab.load(folder / "vocab.json")
    model = Classifier(
        len(vocab), len(meta["label_names"]), ModelConfig(**meta["models"][name]), vocab.pad_id
    )
    model.load_state_dict(torch.load(folder / f"{name}.pt", weights_only=True, map_location="cpu"))
    model.eval()
    seqs = [
        vocab.encode(text.tokenize(t, False)[: meta["max_len"]]) or [vocab.unk_id] for t in texts
    ]
    ids, mask = text.pad_batch(seqs)
    with torch.no_grad():
        pred = model(ids, mask).argmax(1).tolist()
    return [meta["label_names"][i] for i in pred]
