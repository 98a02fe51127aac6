"""The extractive baselines of the summarization study: the first k source words (k: the
median training reference length) and, for AESLC, the email's first sentence."""

import re
import statistics

from rnnpaper import data
from rnnpaper.text import tokenize


def first_sentence(text: str) -> str:
    """The text up to its first sentence end (., !, ?) or line break."""
    for piece in re.split(r"(?<=[.!?])\s+|\n+", text.strip()):
        if piece.strip():
            return piece.strip()
    return ""


def baseline_outputs(split: list[dict], dataset: str, k: int) -> dict[str, list[str]]:
    """Extractive baselines: the first k source words; for AESLC also the first sentence."""
    pretok = data.REGISTRY[dataset].pretokenized
    outs = {f"first-{k} words": [" ".join(tokenize(ex["document"], pretok)[:k]) for ex in split]}
    if dataset == "aeslc":
        outs["first sentence"] = [
            " ".join(tokenize(first_sentence(ex["document"]), pretok)) for ex in split
        ]
    return outs


def baseline_k(train_split: list[dict]) -> int:
    """k of the first-k baseline: the median training reference length in tokens."""
    return int(statistics.median(len(ex["tgt"]) for ex in train_split))
