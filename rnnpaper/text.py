"""Tokenization, vocabulary and length-bucketed batches.

Rules, written down once:
* SST-2, SST-5, TREC and Gigaword come lowercased (TREC keeps case) and tokenized by their
  sources: we lowercase and split on whitespace, nothing more.
* Raw text (IMDB, 20 Newsgroups, AG News, AESLC): HTML line breaks become spaces, then we
  lowercase and split into runs of word characters (keeping apostrophes inside words) and
  single punctuation marks.
* Gigaword's '<unk>'/'UNK' are unified to 'UNK' by the data layer; here 'unk' (either) maps
  to the vocabulary's <unk> token.
"""

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)

_WORD = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def tokenize(text: str, pretokenized: bool) -> list[str]:
    """Tokens of one text under the rules in the module docstring."""
    text = text.lower()
    if pretokenized:
        return text.split()
    return _WORD.findall(_HTML_BREAK.sub(" ", text))


@dataclass
class Vocab:
    """Token <-> id map; ids 0..3 are the special tokens, the rest by falling frequency."""

    itos: list[str]

    def __post_init__(self):
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def build(cls, texts: Iterable[Sequence[str]], min_freq: int = 2, max_size: int | None = None):
        """Vocabulary of tokens seen at least ``min_freq`` times (ties broken alphabetically)."""
        counts = Counter(tok for toks in texts for tok in toks)
        counts["unk"] = 0  # Gigaword's UNK marker must map to <unk>, never to a word
        words = sorted(
            (t for t, c in counts.items() if c >= min_freq and t not in SPECIALS),
            key=lambda t: (-counts[t], t),
        )
        return cls(list(SPECIALS) + words[:max_size])

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def pad_id(self) -> int:
        return self.stoi[PAD]

    @property
    def unk_id(self) -> int:
        return self.stoi[UNK]

    def encode(self, tokens: Sequence[str]) -> list[int]:
        unk = self.unk_id
        return [self.stoi.get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps({"itos": self.itos}, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> "Vocab":
        return cls(json.loads(Path(path).read_text())["itos"])


def bucket_batches(
    lengths: Sequence[int], batch_size: int, generator: torch.Generator, bucket_factor: int = 50
) -> list[list[int]]:
    """Index batches of similar length: shuffle, sort within chunks, shuffle the batches."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    chunk = batch_size * bucket_factor
    batches = []
    for start in range(0, len(order), chunk):
        block = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches += [block[i : i + batch_size] for i in range(0, len(block), batch_size)]
    perm = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in perm]


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int = 0):
    """Right-pad id lists: ids (B, T) long and mask (B, T) bool, True on real tokens."""
    T = max(1, max(len(s) for s in seqs))
    ids = torch.full((len(seqs), T), pad_id, dtype=torch.long)  # (B, T)
    for b, s in enumerate(seqs):
        ids[b, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    mask = ids.new_zeros(ids.shape, dtype=torch.bool)  # (B, T)
    for b, s in enumerate(seqs):
        mask[b, : len(s)] = True
    return ids, mask
