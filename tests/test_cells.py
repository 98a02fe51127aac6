"""From-scratch cells against torch.nn with copied weights (float64), and closed forms."""

import pytest
import torch

from rnnpaper.models import bptt, cells, recurrent, registry

E, H, B, T = 5, 4, 3, 7
LENGTHS = torch.tensor([7, 3, 5])


def _pair(kind, **kw):
    torch.manual_seed(0)
    fused = recurrent.Recurrent(kind, E, H, impl="fused", **kw).double()
    scratch = recurrent.Recurrent(kind, E, H, impl="scratch", **kw).double()
    recurrent.copy_weights(fused, scratch)
    return fused, scratch


def _inputs():
    torch.manual_seed(1)
    x = torch.randn(B, T, E, dtype=torch.double, requires_grad=True)
    mask = torch.arange(T)[None] < LENGTHS[:, None]  # (B, T)
    return x, mask


def _loss(y, final):
    h = final[0] if isinstance(final, tuple) else final
    w = torch.linspace(-1, 1, y.shape[-1], dtype=y.dtype)
    return (
        (y * w).pow(2).sum() + h.sin().sum() + (final[1].sum() if isinstance(final, tuple) else 0)
    )


def _grads(module, x, mask):
    x.grad = None
    module.zero_grad()
    y, final = module(x, mask)
    _loss(y, final).backward()
    return y, final, x.grad.clone(), recurrent.torch_grads(module)


@pytest.mark.parametrize(
    "kind,nl", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_scratch_matches_torch_nn(kind, nl, bidirectional, masked):
    fused, scratch = _pair(kind, num_layers=2, bidirectional=bidirectional, nonlinearity=nl)
    x, mask = _inputs()
    mask = mask if masked else None
    yf, ff, dxf, gf = _grads(fused, x, mask)
    ys, fs, dxs, gs = _grads(scratch, x, mask)
    torch.testing.assert_close(ys, yf, rtol=1e-10, atol=1e-12)
    for a, b in zip(
        ff if isinstance(ff, tuple) else (ff,), fs if isinstance(fs, tuple) else (fs,), strict=True
    ):
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(dxs, dxf, rtol=1e-10, atol=1e-12)
    for name in gf:  # scratch folds both bias vectors into one: its gradient is either's
        torch.testing.assert_close(gs[name], gf[name], rtol=1e-10, atol=1e-12)


def test_lstm_hand_bptt_equals_autograd():
    _, scratch = _pair("lstm", num_layers=2, bidirectional=True)
    x, mask = _inputs()
    ref = _grads(scratch, x, mask)
    for cell in scratch.cells:
        cell.hand_backward = False
    auto = _grads(scratch, x, mask)
    for a, b in zip(
        [ref[0], *ref[1], ref[2]], [auto[0], *auto[1], auto[2]], strict=True
    ):  # y, h, C, dx
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    for name in ref[3]:
        torch.testing.assert_close(ref[3][name], auto[3][name], rtol=1e-10, atol=1e-12)


def test_lstm_scan_gradcheck(monkeypatch):
    monkeypatch.setattr(bptt, "OVERWRITE", False)  # gradcheck runs backward many times
    torch.manual_seed(2)
    shapes = [(4, 2, 3), (4 * 3, 3), (4 * 3,), (4 * 3, 3), (2, 3), (2, 3)]  # xs W_x b W_h h0 C0
    args = [torch.randn(s, dtype=torch.double, requires_grad=True) for s in shapes]
    m = torch.tensor([[1.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 0.0]]).double()[..., None]
    assert torch.autograd.gradcheck(lambda *a: bptt.LSTMScan.apply(*a, m), args)
    assert torch.autograd.gradcheck(lambda *a: bptt.LSTMScan.apply(*a, None), args)


def test_lstm_hand_bptt_float32_onednn_path():
    """float32 takes oneDNN's matmul: same outputs and gradients as autograd, to 1e-5."""
    fused, scratch = _pair("lstm", bidirectional=True)
    fused, scratch = fused.float(), scratch.float()
    x, mask = _inputs()
    x = x.detach().float().requires_grad_()
    ref, got = _grads(fused, x, mask), _grads(scratch, x, mask)
    torch.testing.assert_close(got[0], ref[0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(got[2], ref[2], rtol=1e-5, atol=1e-5)
    for name in ref[3]:
        torch.testing.assert_close(got[3][name], ref[3][name], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("impl", ["fused", "scratch"])
def test_padded_steps_never_change_the_state(impl):
    fused, scratch = _pair("lstm", bidirectional=True)
    mod = fused if impl == "fused" else scratch
    x, mask = _inputs()
    y, (h, c) = mod(x, mask)
    assert (y[~mask] == 0).all()
    for b, n in enumerate(LENGTHS.tolist()):  # each sequence alone, unpadded
        yb, (hb, cb) = mod(x[b : b + 1, :n])
        torch.testing.assert_close(y[b : b + 1, :n], yb)
        torch.testing.assert_close(h[:, b : b + 1], hb)
        torch.testing.assert_close(c[:, b : b + 1], cb)


def test_proposal_gru_differs_from_torch_nn_only_by_the_reset_placement():
    fused, _ = _pair("gru")
    prop = recurrent.Recurrent("gru_proposal", E, H).double()
    assert prop.impl == "scratch"
    recurrent.copy_weights(fused, prop)
    x, _ = _inputs()
    assert (prop(x)[0] - fused(x)[0]).abs().max() > 1e-2  # eq. 36 is not torch.nn's GRU
    with torch.no_grad():  # without W_hn h and b_hn, r has nothing to act on: they agree
        fused.rnn.weight_hh_l0[2 * H :] = 0
        fused.rnn.bias_hh_l0[2 * H :] = 0
    recurrent.copy_weights(fused, prop)
    torch.testing.assert_close(prop(x)[0], fused(x)[0])  # eq. 37's z is torch's 1 - z


@pytest.mark.parametrize("kind", registry.CELLS)
def test_cell_api_and_parameter_counts(kind):
    n, m = 6, 5
    cell = registry.spec(kind).cell(n, m)
    assert sum(p.numel() for p in cell.parameters()) == recurrent.param_count(kind, n, m)
    if registry.spec(kind).fused is not None:
        ref = registry.spec(kind).fused(n, m)
        assert sum(p.numel() for p in ref.parameters()) == recurrent.param_count(
            kind, n, m, "torch"
        )
    if kind == "lstm":
        assert recurrent.param_count(kind, n, m) == 4 * (n + m + 1) * m  # the proposal's count
        assert recurrent.param_count(kind, n, m, "torch") == 4 * (n + m + 2) * m
        assert {"W_xi", "W_hi", "b_i", "W_xf", "W_xc", "b_c", "W_ho", "b_o"} <= set(
            dict(cell.named_parameters())
        )
    state = cell.init_state(2)
    state = cell(torch.randn(2, n), state)
    assert cell.output(state).shape == (2, m)


def test_cell_step_matches_torch_cells():
    torch.manual_seed(3)
    x, h, c = torch.randn(2, E), torch.randn(2, H), torch.randn(2, H)
    for kind, ref in [
        ("rnn", torch.nn.RNNCell(E, H)),
        ("lstm", torch.nn.LSTMCell(E, H)),
        ("gru", torch.nn.GRUCell(E, H)),
    ]:
        cell = registry.spec(kind).cell(E, H)
        cell.load_torch_weights(ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh)
        out = cell(x, (h, c) if kind == "lstm" else h)
        want = ref(x, (h, c)) if kind == "lstm" else ref(x, h)
        for a, b in zip(
            out if kind == "lstm" else (out,), want if kind == "lstm" else (want,), strict=True
        ):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_auto_impl_and_output_size():
    assert recurrent.Recurrent("lstm", E, H).impl == "fused"
    assert recurrent.Recurrent("gru_proposal", E, H).impl == "scratch"
    assert recurrent.Recurrent("gru", E, H, bidirectional=True).output_size == 2 * H
    with pytest.raises(ValueError):
        recurrent.Recurrent("gru_proposal", E, H, impl="fused")


def test_lstm_gate_values_step_equals_forward():
    torch.manual_seed(4)
    cell = cells.LSTMCell(E, H)
    x, state = torch.randn(2, E), (torch.randn(2, H), torch.randn(2, H))
    g = cell.gate_values(x, state)
    for a, b in zip(g["state"], cell(x, state), strict=True):
        torch.testing.assert_close(a, b)
    assert all(((g[k] > 0) & (g[k] < 1)).all() for k in "ifo")


def test_benchmark_script_quick(tmp_path):
    import runpy

    from rnnpaper import paths, results

    main = runpy.run_path(str(paths.ROOT / "benchmarks" / "bench_cells.py"))["main"]
    main(["--quick", "--out", str(tmp_path / "b.json")])
    bench = results.read_json(tmp_path / "b.json")
    ref = bench["lengths"]["16"][bench["reference"]]["train"]
    assert ref["ratio_to_fused_lstm"] == 1.0 and ref["tokens_per_s"] > 0


def test_committed_03_tables_match_committed_results(tmp_path):
    from rnnpaper import paths
    from rnnpaper.studies.lstm_gru import STEM
    from rnnpaper.studies.lstm_gru.report import write_tables

    res = paths.ROOT / "results" / STEM
    if not (res / "gates.json").exists() or not (res / "benchmark.json").exists():
        pytest.skip("notebook 03's paper-scale results are not committed yet")
    for path in write_tables(res, tmp_path):
        assert path.read_text() == (paths.PAPER / "generated" / path.name).read_text()
