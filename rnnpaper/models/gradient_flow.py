"""How gradients flow back through a recurrence: the ranges of the activations' derivatives,
||dh_T/dh_0 v|| against the spectral radius of W_hh, and ||dL_T/dh_t|| step by step.

    dL_T/dh_t = (prod_{k=t+1..T} diag(phi'(a_k)) W_hh)^T dL_T/dh_T

The factors are bounded by the derivative's range (sigma' <= 1/4, tanh' <= 1) and by the
spectral radius of W_hh; notebooks 01 (the errata) and 02 (the figures) measure both.
"""

import torch
from torch import nn

from rnnpaper.models import cells, recurrent


def activation_ranges(lo: float = -30.0, hi: float = 30.0, n: int = 600_001) -> dict:
    """Inf/sup of sigmoid, tanh and their derivatives on a fine float64 grid.

    Gaps to the bounds use exact identities, so rounding cannot fake an attained bound:
    1 - sigma(x) = sigma(-x), sigma' = sigma(x) sigma(-x), 1 -+ tanh(x) = 2 sigma(-+2x),
    tanh' = 4 sigma(2x) sigma(-2x).
    """
    x = torch.linspace(lo, hi, n, dtype=torch.float64)
    s = torch.sigmoid
    funcs = {
        "sigmoid": s(x),
        "sigmoid'": s(x) * s(-x),
        "tanh": torch.tanh(x),
        "tanh'": 4 * s(2 * x) * s(-2 * x),
    }
    out = {
        k: {"min": v.min().item(), "max": v.max().item(), "argmax": x[v.argmax()].item()}
        for k, v in funcs.items()
    }
    out["sigmoid"]["gap_to_0"], out["sigmoid"]["gap_to_1"] = s(x).min().item(), s(-x).min().item()
    out["tanh"]["gap_to_-1"] = out["tanh"]["gap_to_1"] = (2 * s(-2 * x)).min().item()
    out["sigmoid'"]["gap_to_0"] = out["sigmoid'"]["min"]
    out["tanh'"]["gap_to_0"] = out["tanh'"]["min"]
    return out


def ranges_table(r: dict) -> list:
    """(function, the proposal's codomain, the exact codomain, holds) rows from ``r``."""
    claimed = {"sigmoid": "(0, 1)", "sigmoid'": "[0, 0.5]", "tanh": "[-1, 1]", "tanh'": "[0, 1]"}
    exact = {"sigmoid": "(0, 1)", "sigmoid'": "(0, 0.25]", "tanh": "(-1, 1)", "tanh'": "(0, 1]"}
    holds = {
        "sigmoid": True,
        "sigmoid'": r["sigmoid'"]["max"] > 0.25,
        "tanh": False,
        "tanh'": r["tanh'"]["gap_to_0"] <= 0,
    }
    return [(k, claimed[k], exact[k], holds[k]) for k in claimed]


def spectral_radius_sweep(radii, T: int, hidden: int = 64, seed: int = 0) -> dict:
    """||dh_T/dh_0 v|| of a tanh Elman RNN whose W_hh = rho Q (Q orthogonal), per rho."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the cells' W_xh
    Q, _ = torch.linalg.qr(torch.randn(hidden, hidden, generator=g, dtype=torch.float64))
    X = 0.1 * torch.randn(16, T, 1, generator=g, dtype=torch.float64)  # (B, T, 1)
    v = torch.randn(16, hidden, generator=g, dtype=torch.float64)  # (B, H)
    out = {}
    for rho in radii:
        cell = cells.ElmanCell(1, hidden).double()
        with torch.no_grad():
            cell.W_hh.copy_(rho * Q)
            cell.b_h.zero_()
        h0 = 0.1 * torch.randn(16, hidden, generator=g, dtype=torch.float64)  # (B, H)
        h0.requires_grad_()
        h = h0
        for x_t in X.unbind(1):  # (B, 1)
            h = cell(x_t, h)  # (B, H)
        (grad,) = torch.autograd.grad((h * v).sum(), h0)  # (B, H)
        out[float(rho)] = grad.norm(dim=1).mean().item()
    return out


def state_gradient_norms(model, X, y) -> torch.Tensor:
    """||dL/dh_t|| (batch mean) for t = 1..T of a Regressor, L the summed squared error: (T,).

    A fused layer's weights are copied into the from-scratch cell, whose states h_t autograd
    can reach; a from-scratch layer's own cell is stepped.
    """
    rnn = model.rnn
    if rnn.impl == "fused":
        scratch = recurrent.Recurrent(rnn.kind, X.shape[-1], rnn.hidden_size, impl="scratch")
        rnn = recurrent.copy_weights(rnn, scratch)
    cell = rnn.cells[0]
    state, hs = cell.init_state(X.shape[0]), []
    for x_t in X.unbind(1):  # (B, n)
        state = cell(x_t, state)
        hs.append(cell.output(state))  # (B, H)
    loss = nn.functional.mse_loss(model.head(hs[-1]).squeeze(-1), y, reduction="sum")
    grads = torch.autograd.grad(loss, hs)
    return torch.stack([g.norm(dim=1).mean() for g in grads]).detach()  # (T,)
