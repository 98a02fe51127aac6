"""BPTT by hand against autograd, autograd against finite differences (float64)."""

import pytest
import torch

from rnnpaper.models import bptt

E, H, C, B, T = 3, 4, 5, 2, 6


def _problem(seed=0):
    p = bptt.elman_init(E, H, C, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(B, T, E, generator=g, dtype=torch.float64)
    Y = torch.randint(0, C, (B, T), generator=g)
    return p, X, Y


def _close(a, b, tol=1e-10):
    for k in bptt.ELMAN_PARAMS:
        torch.testing.assert_close(a[k], b[k], rtol=tol, atol=tol)


@pytest.mark.parametrize("loss", ["last", "sum"])
def test_hand_bptt_equals_autograd(loss):
    p, X, Y = _problem()
    _close(bptt.elman_bptt(p, X, Y, loss), bptt.elman_autograd(p, X, Y, loss))


@pytest.mark.parametrize("loss", ["last", "sum"])
def test_autograd_equals_finite_differences(loss):
    p, X, Y = _problem(1)
    fd = bptt.finite_differences(lambda q: bptt.elman_loss(q, X, Y, loss), p)
    _close(bptt.elman_autograd(p, X, Y, loss), fd, tol=1e-7)


@pytest.mark.parametrize("N", [0, 1, 3])
def test_truncated_bptt_equals_autograd_with_a_cut_graph(N):
    p, X, Y = _problem(2)
    _close(bptt.elman_bptt(p, X, Y, "sum", truncate=N), bptt.elman_autograd(p, X, Y, "sum", N))


def test_truncation_at_T_minus_1_is_full_bptt_and_shorter_differs():
    p, X, Y = _problem(3)
    full = bptt.elman_bptt(p, X, Y, "sum")
    _close(bptt.elman_bptt(p, X, Y, "sum", truncate=T - 1), full)
    assert (bptt.elman_bptt(p, X, Y, "sum", truncate=1)["W"] - full["W"]).abs().max() > 1e-6
    # V and b_y never go through time: truncation cannot change them
    torch.testing.assert_close(bptt.elman_bptt(p, X, Y, "sum", truncate=0)["V"], full["V"])


def test_last_step_loss_is_not_the_sum():
    p, X, Y = _problem(4)
    last, total = bptt.elman_bptt(p, X, Y, "last"), bptt.elman_bptt(p, X, Y, "sum")
    assert (last["W"] - total["W"]).abs().max() > 1e-6
