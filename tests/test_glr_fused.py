"""The fused GLR form (glr.FusedGLR, form="fused"): its outputs and hand backward equal the
cell stepped by (G1)-(G3) and the "sequential" form in float64, with and without padding, for
any chunk length and any strides of xp, and through a bidirectional Recurrent."""

import pytest
import torch

from rnnpaper.models import glr, recurrent

H = 4
EXACT = {"rtol": 1e-12, "atol": 1e-12}


def _example(B=3, T=13, seed=0):
    """xp (B, T, 2H), h0 (B, H), a loss weight (B, T, H) and a right-padded mask (B, T)."""
    g = torch.Generator().manual_seed(seed)
    xp = 3 * torch.randn(B, T, 2 * H, generator=g, dtype=torch.float64)  # f near 0 and 1 too
    h0 = torch.randn(B, H, generator=g, dtype=torch.float64)
    w = torch.randn(B, T, H, generator=g, dtype=torch.float64)
    lengths = torch.tensor([T, T // 2, 1, T - 1])[:B]
    return xp, h0, w, torch.arange(T) < lengths.unsqueeze(1)


def _stepped(xp, h0, mask=None):
    """(G1)-(G3) one step at a time with autograd; a padded step keeps h and outputs 0."""
    h, ys = h0, []
    for t in range(xp.shape[1]):
        f, b_t = glr.coefficients(xp[:, t])  # (B, H) each
        new = f * h + b_t  # (G3)
        if mask is not None:
            new = torch.where(mask[:, t, None], new, h)
        ys.append(new if mask is None else new * mask[:, t, None])
        h = new
    return torch.stack(ys, 1), h  # (B, T, H), (B, H)


def _with_grads(fn, xp, h0, w, mask):
    xp, h0 = xp.clone().requires_grad_(), h0.clone().requires_grad_()
    y, h_T = fn(xp, h0, mask)
    ((y * w).sum() + h_T.sin().sum()).backward()
    return y.detach(), h_T.detach(), xp.grad, h0.grad


FORMS = {
    "stepped": _stepped,
    "sequential": lambda xp, h0, m: glr.recurrence(xp, h0, m, "sequential"),
    "fused": lambda xp, h0, m: glr.recurrence(xp, h0, m, "fused"),
}


@pytest.mark.parametrize("steps_per_chunk", [1, 5, 13, 100])  # L = 5: chunks 5, 5, 3
@pytest.mark.parametrize("padding", [None, "right", "gaps"])
def test_fused_equals_the_stepped_cell_and_sequential(monkeypatch, steps_per_chunk, padding):
    xp, h0, w, mask = _example()
    monkeypatch.setattr(glr, "CHUNK_ELEMENTS", steps_per_chunk * 3 * H)  # B = 3
    gaps = torch.rand(mask.shape, generator=torch.Generator().manual_seed(2)) < 0.7
    mask = {None: None, "right": mask, "gaps": gaps}[padding]  # gaps: padding anywhere
    got = _with_grads(FORMS["fused"], xp, h0, w, mask)
    for ref in ("stepped", "sequential"):
        want = _with_grads(FORMS[ref], xp, h0, w, mask)
        for name, a, b in zip(("y", "h_T", "dxp", "dh0"), got, want, strict=True):
            torch.testing.assert_close(a, b, **EXACT, msg=f"{name} vs {ref}")


def test_padded_steps_output_zero_and_keep_the_state():
    xp, h0, _, mask = _example(B=4)
    y, h_T = glr.recurrence(xp, h0, mask, "fused")
    assert (y[~mask] == 0).all()
    for i, n in enumerate(mask.sum(1).tolist()):
        y_i, h_i = glr.recurrence(xp[i : i + 1, :n], h0[i : i + 1], form="fused")
        torch.testing.assert_close(y[i : i + 1, :n], y_i, **EXACT)
        torch.testing.assert_close(h_T[i : i + 1], h_i, **EXACT)


def test_any_strides_of_xp():
    xp, h0, w, mask = _example()
    time_major = xp.transpose(0, 1).contiguous().transpose(0, 1)  # as a cell's scan passes it
    got, want = (_with_grads(FORMS["fused"], x, h0, w, mask) for x in (time_major, xp))
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_gradcheck(monkeypatch):
    monkeypatch.setattr(glr, "CHUNK_ELEMENTS", 2 * 2 * H)  # L = 2: chunks 2, 2, 1
    xp, h0, _, mask = _example(B=2, T=5, seed=1)
    xp, h0 = xp.requires_grad_(), h0.requires_grad_()
    for m in (None, mask):
        assert torch.autograd.gradcheck(lambda x, h, m=m: glr.FusedGLR.apply(x, h, m), (xp, h0))


def test_one_output_unused():
    xp, h0, _, mask = _example()
    for pick in (0, 1):  # only y, only h_T: the other's gradient is None in backward
        got, want = (
            torch.autograd.grad(FORMS[f](xp.requires_grad_(), h0, mask)[pick].sum(), xp)[0]
            for f in ("fused", "sequential")
        )
        torch.testing.assert_close(got, want, **EXACT)


def test_float32_agrees_with_sequential():
    xp, h0, w, mask = (t.float() if t.is_floating_point() else t for t in _example(T=300))
    got, want = (_with_grads(FORMS[f], xp, h0, w, mask) for f in ("fused", "sequential"))
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def _bidirectional(form):
    torch.manual_seed(0)
    model = recurrent.Recurrent("glr", 5, H, num_layers=2, bidirectional=True).double()
    for cell in model.cells:
        cell.scan_form = form
    return model


def test_bidirectional_recurrent_fused_equals_sequential():
    torch.manual_seed(1)
    x = torch.randn(3, 11, 5, dtype=torch.float64)
    mask = torch.arange(11) < torch.tensor([11, 6, 2])[:, None]  # (B, T)
    runs = {}
    for form in ("sequential", "fused"):
        model, x_f = _bidirectional(form), x.clone().requires_grad_()
        y, h_n = model(x_f, mask)
        (y.sin().sum() + h_n.square().sum()).backward()
        runs[form] = [y, h_n, x_f.grad, *(p.grad for p in model.parameters())]
    for a, b in zip(runs["fused"], runs["sequential"], strict=True):
        torch.testing.assert_close(a, b, **EXACT)


def test_inference_keeps_nothing_and_gives_the_same_numbers(monkeypatch):
    monkeypatch.setattr(glr, "CHUNK_ELEMENTS", 4 * 3 * H)  # L = 4: chunks 4, 4, 4, 1
    xp, h0, _, mask = _example()
    with torch.no_grad():
        y, h_T = glr.recurrence(xp.requires_grad_(), h0, mask, "fused")
    y_grad, h_T_grad = glr.recurrence(xp, h0, mask, "fused")
    assert y_grad.requires_grad and not y.requires_grad
    torch.testing.assert_close(y, y_grad.detach(), rtol=0, atol=0)
    torch.testing.assert_close(h_T, h_T_grad.detach(), rtol=0, atol=0)
