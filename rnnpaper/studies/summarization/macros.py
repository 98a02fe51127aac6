"""Every number the summarization section quotes in prose, from its results files alone."""

import pandas as pd

from rnnpaper.report import published
from rnnpaper.studies.summarization.config import DATASETS
from rnnpaper.studies.summarization.tables import cells_in

GIGAWORD_TRAIN_PAIRS = 3803957  # the standard training set (Rush et al. 2015)
PARAMS_CELL = "lstm"  # the model whose parameter count the prose quotes
SCORES = (("rouge1", "ROne"), ("rouge2", "RTwo"), ("rougeL", "RL"), ("bleu", "BLEU"))


def dataset_values(rec: dict, runs: pd.DataFrame, ds: str) -> dict:
    """Data, baseline and per-cell numbers of one dataset."""
    sub, name, v = runs[runs.dataset == ds], ds.capitalize(), {}
    v[f"Sum{name}Train"] = rec["n"]["train"]
    v[f"Sum{name}Test"] = rec["n"]["test"]
    v[f"Sum{name}Vocab"] = rec["vocab_size"]
    v[f"Sum{name}BaselineK"] = rec["baseline_k"]
    v[f"Sum{name}BleuSignature"] = next(iter(rec["baselines"].values()))["refs"]["bleu_signature"]
    v[f"Sum{name}TestOOV"] = round(rec["target_oov"]["test"]["oov"], 1)
    v[f"Sum{name}TestCopyable"] = round(rec["target_oov"]["test"]["copyable"], 1)
    v[f"Sum{name}SrcLen"] = rec["profile"][ds]["src_len"]
    v[f"Sum{name}Epochs"] = rec["profile"][ds]["epochs"]
    for bname, b in rec["baselines"].items():
        tag = "FirstK" if bname.startswith("first-") else "FirstSentence"
        v[f"Sum{name}{tag}RL"] = round(b["refs"]["rougeL"], 1)
    for cell in cells_in(sub):
        g, tag = sub[sub.cell == cell], f"Sum{name}{cell.upper()}"
        for k, col in SCORES:
            v[f"{tag}{col}"] = round(g[k].mean(), 1)
        v[f"{tag}RLsd"] = round(g["rougeL"].std(), 1)
        v[f"{tag}GreedyRL"] = round(g["greedy_rougeL"].mean(), 1)
        v[f"{tag}TrainMin"] = round(g["train_s"].mean() / 60, 1)
    return v


def profile_values(prof: dict) -> dict:
    """The model and decoding sizes of the profile the records were made with."""
    return {
        "SumEmbed": prof["embed_dim"],
        "SumHidden": prof["hidden_size"],
        "SumAttn": prof["attn_dim"],
        "SumBeam": prof["beam"],
        "SumAlpha": f"{prof['alpha']:g}",
        "SumBatch": prof["batch_size"],
        "SumLR": f"{prof['lr']:g}",
        "SumVocabWords": prof["vocab_size"],
        "SumMinFreq": prof["min_freq"],
    }


def macro_values(runs: pd.DataFrame, records: dict) -> dict:
    """Every number the section quotes in prose (copy ablation apart)."""
    v = {}
    for ds in (d for d in DATASETS if d in records):
        v.update(dataset_values(records[ds], runs, ds))
    if not runs.empty:
        means = runs.groupby(["dataset", "cell"])[["rougeL", "greedy_rougeL"]].mean()
        gain = means["rougeL"] - means["greedy_rougeL"]
        v["SumBeamGainMin"], v["SumBeamGainMax"] = round(gain.min(), 1), round(gain.max(), 1)
    giga = runs[runs.dataset == "gigaword"] if not runs.empty else runs
    if not giga.empty:
        ours = giga.groupby("cell")["rougeL"].mean().max()
        rouge_l = [row[5] for row in published.SUMMARIZATION if row[0] == "gigaword"]
        v["SumPublishedGapMin"] = round(min(rouge_l) - ours, 1)
        v["SumPublishedGapMax"] = round(max(rouge_l) - ours, 1)
    if "gigaword" in records:
        n = records["gigaword"]["n"]["train"]
        v["SumGigawordTrainPercent"] = round(100 * n / GIGAWORD_TRAIN_PAIRS, 2)
    if records:
        v.update(profile_values(next(iter(records.values()))["profile"]))
    if not runs.empty:
        v["SumSeeds"] = int(runs.groupby(["dataset", "cell"]).size().min())
        v["SumTotalMin"] = round(runs["wall_s"].sum() / 60, 1)
        ref = runs[(runs.dataset == "gigaword") & (runs.cell == PARAMS_CELL)]
        v[f"SumParams{PARAMS_CELL.upper()}Gigaword"] = int(ref["n_parameters"].iloc[0])
    return v


def copy_macros(all_runs: pd.DataFrame) -> dict:
    """Mean R-L and unk rate with and without copying, per cell (ablation seeds only)."""
    if all_runs.empty or all_runs["copy"].all():
        return {}
    sub = all_runs[all_runs.seed.isin(set(all_runs[~all_runs["copy"]].seed))]
    sub = sub[sub.dataset == sub[~sub["copy"]].dataset.iloc[0]]
    v = {"SumAblationSeeds": int(sub[~sub["copy"]].groupby("cell").size().min())}
    for (cell, copy), g in sub.groupby(["cell", "copy"]):
        tag = f"Sum{'Copy' if copy else 'NoCopy'}{cell.upper()}"
        v[f"{tag}RL"] = round(g["rougeL"].mean(), 1)
        v[f"{tag}Unk"] = round(g["unk_rate"].mean(), 1)
    return v
