"""The recurrent text classifier of notebook 06, eqs. (1)-(4):

    x_t = E[w_t]                                   embedding, dropout p          (1)
    h_1..h_T = Recurrent(x_1..x_T)                 any registered cell, D directions (2)
    z = pool(h_1..h_T)   last: [h_T^fwd; h_1^bwd], mean or max over real tokens   (3)
    p(y | w) = softmax(W_z dropout(z) + b_z)                                       (4)

:class:`ModelConfig` is the proposal's "model configuration" (cell, layers, hidden units,
direction, activation, dropout, pooling); studies name their presets of it.
"""

from dataclasses import dataclass, replace

import torch
from torch import nn

from rnnpaper.models.recurrent import Recurrent


@dataclass(frozen=True)
class ModelConfig:
    """One classifier architecture (eqs. 1-4)."""

    cell: str = "lstm"  # rnn | lstm | gru
    embed_dim: int = 64
    hidden_size: int = 64
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.3  # on embeddings, between layers and before the output layer
    pooling: str = "mean"  # last | mean | max
    nonlinearity: str = "tanh"  # Elman RNN only: tanh | relu
    impl: str = "auto"  # rnnpaper.recurrent.Recurrent: fused torch.nn where possible

    def __post_init__(self):
        if self.pooling not in ("last", "mean", "max"):
            raise ValueError(f"pooling {self.pooling!r} not in last/mean/max")


def pool(y, final, mask, how: str, D: int) -> torch.Tensor:
    """Eq. (3): y (B, T, D*H), final h_n (L*D, B, H), mask (B, T) -> z (B, D*H)."""
    if how == "last":
        h_n = final[0] if isinstance(final, tuple) else final  # (L*D, B, H)
        return torch.cat(list(h_n[-D:]), dim=-1)  # (B, D*H): top layer, every direction
    m = mask.unsqueeze(-1)  # (B, T, 1)
    if how == "mean":
        return (y * m).sum(1) / m.sum(1).clamp(min=1)  # (B, D*H)
    return y.masked_fill(~m, float("-inf")).max(1).values  # (B, D*H)


class Classifier(nn.Module):
    """Embedding, recurrent stack, pooling, linear layer (eqs. 1-4)."""

    def __init__(self, vocab_size: int, n_classes: int, cfg: ModelConfig, pad_id: int = 0):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(vocab_size, cfg.embed_dim, padding_idx=pad_id)
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = Recurrent(
            cfg.cell,
            cfg.embed_dim,
            cfg.hidden_size,
            cfg.num_layers,
            cfg.bidirectional,
            cfg.dropout if cfg.num_layers > 1 else 0.0,
            cfg.impl,
            cfg.nonlinearity,
        )
        self.head = nn.Linear(self.encoder.output_size, n_classes)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids (B, T), mask (B, T) bool -> logits (B, C)."""
        x = self.drop(self.embedding(ids))  # (B, T, E)
        # equal-length batches need no packing: torch's unpacked path is much faster
        y, final = self.encoder(x, None if bool(mask.all()) else mask)  # (B, T, D*H)
        z = pool(y, final, mask, self.cfg.pooling, self.encoder.D)  # (B, D*H)
        return self.head(self.drop(z))  # (B, C)


def recurrent_parameters(cfg: ModelConfig) -> int:
    """Parameters of the recurrent stack alone (the embedding is the same for every cell)."""
    enc = Recurrent(
        cfg.cell,
        cfg.embed_dim,
        cfg.hidden_size,
        cfg.num_layers,
        cfg.bidirectional,
        impl=cfg.impl,
        nonlinearity=cfg.nonlinearity,
    )
    return sum(p.numel() for p in enc.parameters())


def equal_parameter_hidden(cfg: ModelConfig, target: int) -> int:
    """Hidden size in 8..1024 whose recurrent parameter count is closest to ``target`` (the
    smaller on a tie). The count grows with H, so bisection finds the first H at or above
    ``target`` in ~10 model builds instead of 1,017."""
    count = lambda H: recurrent_parameters(replace(cfg, hidden_size=H))
    lo, hi = 8, 1024
    while lo < hi:  # first H with count(H) >= target, or 1024
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if count(mid) < target else (lo, mid)
    if lo > 8 and abs(count(lo - 1) - target) <= abs(count(lo) - target):
        return lo - 1
    return lo


@torch.no_grad()
def init_embedding(model: Classifier, W: torch.Tensor, freeze: bool) -> None:
    """Copy pretrained vectors W (V, E) into the embedding; frozen: never updated."""
    model.embedding.weight.copy_(W)
    model.embedding.weight.requires_grad_(not freeze)
