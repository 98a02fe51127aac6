"""The proposed GLR cell and its linear scan: the three scan forms agree in float64, the layer
form equals stepping the cell, gradients equal finite differences, padding changes nothing,
and the parameter count is 2(n+1)m."""

import runpy

import pytest
import torch

from rnnpaper import paths
from rnnpaper.models import cells, glr, recurrent, registry, scan

E, H = 5, 4
TIGHT = {"rtol": 1e-10, "atol": 1e-10}


def _forms(a, b, h0, mask, chunk=16):
    return {
        "sequential": scan.sequential(a, b, h0, mask),
        "closed_form": scan.closed_form(a, b, h0, mask),
        "chunked": scan.chunked(a, b, h0, mask, chunk=chunk),
    }


@pytest.mark.parametrize("T,chunk", [(1, 16), (7, 3), (64, 16), (1000, 64), (1000, 7)])
@pytest.mark.parametrize("masked", [False, True])
def test_scan_forms_agree_in_float64(T, chunk, masked):
    a, b, h0, mask = scan.example(B=2, T=T, H=3, seed=T)
    assert T < 64 or (a.min() < 1e-20 and (1 - a).min() < 1e-6)  # tiny and near-1 decays
    h = _forms(a, b, h0, mask if masked else None, chunk)
    for name in ("closed_form", "chunked"):
        torch.testing.assert_close(h[name], h["sequential"], **TIGHT, msg=name)


def test_the_sequential_scan_is_eq_s1():
    a, b, h0, _ = scan.example(B=2, T=9, H=3)
    h, want = h0, []
    for t in range(9):
        h = a[:, t] * h + b[:, t]
        want.append(h)
    want = torch.stack(want, 1)  # addcmul may fuse a * h + b: equal to rounding
    torch.testing.assert_close(scan.sequential(a, b, h0), want, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("form", list(scan.FORMS))
def test_padded_steps_keep_the_state(form):
    a, b, h0, mask = scan.example(B=3, T=40, H=3)
    h = scan.FORMS[form](a, b, h0, mask)
    for i, n in enumerate(mask.sum(1).tolist()):
        alone = scan.FORMS[form](a[i : i + 1, :n], b[i : i + 1, :n], h0[i : i + 1])
        torch.testing.assert_close(h[i : i + 1, :n], alone, **TIGHT)
        assert (h[i, n:] == h[i, n - 1]).all()  # the last real state, kept to the end


def test_sequential_backward_by_hand_gradcheck():
    torch.manual_seed(0)
    a = torch.rand(2, 6, 3, dtype=torch.float64).requires_grad_()
    b = torch.randn(2, 6, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(scan.SequentialScan.apply, (a, b, h0))
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]], dtype=torch.bool)
    for form in scan.FORMS.values():
        assert torch.autograd.gradcheck(lambda a, b, h0, f=form: f(a, b, h0, mask), (a, b, h0))


def test_gradients_of_the_forms_agree_on_long_sequences():
    a, b, h0, mask = scan.example(B=2, T=300, H=3, seed=1)
    w = torch.randn(2, 300, 3, dtype=torch.float64)
    grads = {}
    for name, form in scan.FORMS.items():
        args = [t.clone().requires_grad_() for t in (a, b, h0)]
        (form(*args, mask) * w).sum().backward()
        grads[name] = [t.grad for t in args]
    for name in ("closed_form", "chunked"):
        for got, want in zip(grads[name], grads["sequential"], strict=True):
            torch.testing.assert_close(got, want, **TIGHT, msg=name)


def test_zero_and_tiny_decays_stay_finite_in_float32():
    a, b, h0, _ = scan.example(B=2, T=2000, H=3, dtype=torch.float32)
    a[:, ::50] = 0.0  # a gate that forgets everything
    a, b, h0 = (t.requires_grad_() for t in (a, b, h0))
    h = scan.chunked(a, b, h0, chunk=64)
    torch.testing.assert_close(h, scan.sequential(a, b, h0), rtol=1e-5, atol=1e-5)
    h.sum().backward()
    assert all(torch.isfinite(t.grad).all() for t in (a, b, h0))


# ---------------------------------------------------------------- the GLR cell and layer


def _model(form, **kw):
    torch.manual_seed(0)
    model = recurrent.Recurrent("glr", E, H, **kw).double()
    for cell in model.cells:
        cell.scan_form = form
    return model


def _inputs(B=3, T=11):
    torch.manual_seed(1)
    x = torch.randn(B, T, E, dtype=torch.float64, requires_grad=True)
    mask = torch.arange(T) < torch.tensor([T, 6, 2])[:B, None]  # (B, T)
    return x, mask


def _run(model, x, mask):
    x.grad = None
    model.zero_grad()
    y, h_n = model(x, mask)
    (y.sin().sum() + h_n.square().sum()).backward()
    return [y, h_n, x.grad.clone(), *(p.grad.clone() for p in model.parameters())]


def test_cell_step_is_eqs_g1_to_g3():
    torch.manual_seed(2)
    cell = cells.GatedLinearCell(E, H).double()
    x, h = torch.randn(2, E, dtype=torch.float64), torch.randn(2, H, dtype=torch.float64)
    f = torch.sigmoid(x @ cell.W_xf.T + cell.b_f)
    c_tilde = torch.tanh(x @ cell.W_xc.T + cell.b_c)
    torch.testing.assert_close(cell(x, h), f * h + (1 - f) * c_tilde, **TIGHT)


def test_layer_equals_stepping_the_cell():
    x, mask = _inputs()
    model = _model("sequential")
    y, h_n = model(x)
    cell, h, want = model.cells[0], model.cells[0].init_state(3, dtype=x.dtype), []
    for x_t in x.unbind(1):  # (B, E)
        h = cell(x_t, h)
        want.append(h)
    torch.testing.assert_close(y, torch.stack(want, 1), **TIGHT)
    torch.testing.assert_close(h_n[0], h, **TIGHT)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_every_scan_form_equals_the_stepped_cell_with_gradients(bidirectional):
    x, mask = _inputs()
    kw = {"num_layers": 2, "bidirectional": bidirectional}
    ref = _run(_model("cell", **kw), x, mask)
    for form in ("sequential", "chunked", "closed_form", "fused"):
        for got, want in zip(_run(_model(form, **kw), x, mask), ref, strict=True):
            torch.testing.assert_close(got, want, **TIGHT, msg=form)


@pytest.mark.parametrize("form", ["sequential", "chunked", "fused"])
def test_layer_gradcheck(form):
    torch.manual_seed(3)
    x = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    W_x = torch.randn(2 * H, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2 * H, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, H, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], dtype=torch.bool)
    f = lambda *args: glr.layer(*args, mask=mask, form=form)  # noqa: E731
    assert torch.autograd.gradcheck(f, (x, W_x, b, h0))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_invariance_through_recurrent(bidirectional):
    x, mask = _inputs()
    model = _model("sequential", num_layers=2, bidirectional=bidirectional)
    with torch.no_grad():
        y, h_n = model(x, mask)
        assert (y[~mask] == 0).all()
        for i, n in enumerate(mask.sum(1).tolist()):
            y_i, h_i = model(x[i : i + 1, :n])
            torch.testing.assert_close(y[i : i + 1, :n], y_i, **TIGHT)
            torch.testing.assert_close(h_n[:, i : i + 1], h_i, **TIGHT)


def test_backward_direction_reads_the_sequence_reversed():
    x, _ = _inputs()
    model = _model("sequential", bidirectional=True)
    with torch.no_grad():
        y, h_n = model(x)
        back, _ = model.cells[1].scan(x.flip(1).transpose(0, 1), torch.zeros(3, H).double())
    torch.testing.assert_close(y[..., H:], back.transpose(0, 1).flip(1), **TIGHT)
    torch.testing.assert_close(h_n[1], back[-1], **TIGHT)  # the state after reading x_1


def test_state_is_bounded_by_the_convex_update():
    torch.manual_seed(4)
    model = _model("sequential")
    x = 50 * torch.randn(4, 200, E, dtype=torch.float64)
    h0 = 3 * torch.randn(1, 4, H, dtype=torch.float64)
    with torch.no_grad():
        y, _ = model(x, state=h0)
    bound = torch.maximum(h0[0].abs(), torch.ones(())).unsqueeze(1)  # (B, 1, H)
    assert (y.abs() <= bound + 1e-12).all()  # 1e-12: f + sigma(-z) rounds to 1 +- eps


@pytest.mark.parametrize("n,m", [(6, 5), (128, 128)])
def test_parameter_count_is_2_n_plus_1_m(n, m):
    cell = registry.spec("glr").cell(n, m)
    names = {k for k, _ in cell.named_parameters()}
    assert names == {"W_xf", "W_xc", "b_f", "b_c"}  # no recurrent weights
    counted = sum(p.numel() for p in cell.parameters())
    assert counted == recurrent.param_count("glr", n, m) == 2 * (n + 1) * m
    bi = recurrent.Recurrent("glr", n, m, bidirectional=True)
    assert sum(p.numel() for p in bi.parameters()) == 2 * counted
    assert counted < recurrent.param_count("gru", n, m) < recurrent.param_count("lstm", n, m)


def test_registered_but_not_yet_proposed():
    spec = registry.spec("glr")
    assert spec.cell is cells.GatedLinearCell and spec.gates == 2 and spec.state_parts == 1
    assert spec.colour not in {s.colour for k, s in registry.CELLS.items() if k != "glr"}
    assert recurrent.Recurrent("glr", E, H).impl == "scratch"


def test_benchmark_script_quick(tmp_path):
    main = runpy.run_path(str(paths.ROOT / "benchmarks" / "bench_glr.py"))["main"]
    out = main(["--quick", "--out", str(tmp_path / "b.json")])
    assert (tmp_path / "b.json").exists()
    runs = out["lengths"]["16"]
    assert set(runs) == {
        "LSTM fused (torch.nn)",
        "GLR, sequential scan",
        "GLR, chunked scan",
        "GLR, fused",
    }
    for r in runs.values():
        for mode in ("train", "infer"):
            assert r[mode]["tokens_per_s"] > 0 and r[mode]["ratio_to_fused_lstm"] > 0
    assert runs[out["reference"]]["train"]["ratio_to_fused_lstm"] == 1.0
    assert runs[out["reference"]]["infer"]["ratio_to_fused_lstm"] == 1.0


# ---------------------------------------------------------------- ablations (A1)-(A3)


def _ablation(kind, form, **kw):
    torch.manual_seed(0)
    model = recurrent.Recurrent(kind, E, H, **kw).double()
    for cell in model.cells:
        cell.scan_form = form
    return model


def test_ablation_steps_are_eqs_a1_to_a3():
    torch.manual_seed(2)
    x, h = torch.randn(2, E, dtype=torch.float64), torch.randn(2, H, dtype=torch.float64)
    lin = lambda c, g: x @ getattr(c, f"W_x{g}").T + getattr(c, f"b_{g}")  # noqa: E731
    c = cells.GLRUntiedCell(E, H).double()
    f, i = torch.sigmoid(lin(c, "f")), torch.sigmoid(lin(c, "i"))
    torch.testing.assert_close(c(x, h), f * h + i * torch.tanh(lin(c, "c")), **TIGHT)
    c = cells.GLRLinearCell(E, H).double()
    f = torch.sigmoid(lin(c, "f"))
    torch.testing.assert_close(c(x, h), f * h + (1 - f) * lin(c, "c"), **TIGHT)
    c = cells.GLRFixedDecayCell(E, H).double()
    f = torch.sigmoid(c.b_f)  # (H,): no input enters the decay
    torch.testing.assert_close(c(x, h), f * h + (1 - f) * torch.tanh(lin(c, "c")), **TIGHT)


@pytest.mark.parametrize("kind", registry.ABLATIONS)
def test_ablation_scans_equal_the_stepped_cell_with_gradients_and_ignore_padding(kind):
    x, mask = _inputs()
    kw = {"num_layers": 2, "bidirectional": True}
    ref = _run(_ablation(kind, "cell", **kw), x, mask)
    for form in ("sequential", "chunked"):
        for got, want in zip(_run(_ablation(kind, form, **kw), x, mask), ref, strict=True):
            torch.testing.assert_close(got, want, **TIGHT, msg=form)
    model = _ablation(kind, "sequential", **kw)
    with torch.no_grad():
        y, _ = model(x, mask)
        for i, n in enumerate(mask.sum(1).tolist()):
            torch.testing.assert_close(y[i : i + 1, :n], model(x[i : i + 1, :n])[0], **TIGHT)
    with pytest.raises(ValueError, match="fused"):
        _run(_ablation(kind, "fused"), x, mask)


@pytest.mark.parametrize("kind", registry.ABLATIONS)
def test_ablation_gradcheck(kind):
    model = _ablation(kind, "sequential")
    x, mask = _inputs(B=2, T=5)
    f = lambda x, *p: model(x, mask)[0]  # noqa: E731
    assert torch.autograd.gradcheck(f, (x, *model.parameters()))


def test_ablation_parameter_counts():
    n, m = 6, 5
    count = lambda k: sum(p.numel() for p in registry.spec(k).cell(n, m).parameters())  # noqa: E731
    assert count("glr_untied") == recurrent.param_count("glr_untied", n, m) == 3 * (n + 1) * m
    assert count("glr_linear") == count("glr") == 2 * (n + 1) * m
    assert count("glr_fixed") == recurrent.param_count("glr_fixed", n, m) == (n + 1) * m + m
