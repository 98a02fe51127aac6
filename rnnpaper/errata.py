"""The errata table: every equation and claim of the proposal's literature review, checked.

Each item runs a check that returns True when the proposal's statement holds as written.
Items marked literature cannot be computed; their verdict cites the source instead.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnpaper import gradients, hmm, results
from rnnpaper.models import bptt, cells, recurrent
from rnnpaper.report import latex

PRODUCER = "01-bptt.ipynb"


@dataclass(frozen=True)
class Item:
    """One row: where, what the proposal says, the correct form, the proving check."""

    section: str
    ref: str
    says: str
    correct: str
    check: str  # the test (tests/...) or notebook that proves it
    holds: Callable[[], bool] | None  # True iff the proposal's statement is right
    literature: bool = False  # verdict from a source, not a computation
    literature_holds: bool = False


# --- BPTT on two steps (eqs. 4-18), h_0 = 0 as in Algorithm 1 -----------------------------


def _two_steps(seed: int = 0):
    p = bptt.elman_init(3, 4, 5, seed=seed)
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(2, 2, 3, generator=g, dtype=torch.float64)  # (B, T=2, E)
    Y = torch.randint(0, 5, (2, 2), generator=g)
    return p, X, Y


def two_step_terms(seed: int = 0) -> dict:
    """Per parameter: the proposal's eqs. 6/9/12/15/18, the missing term, and autograd."""
    p, X, Y = _two_steps(seed)
    h, o = bptt.elman_forward(p, X)  # h (3, B, H), o (2, B, C)
    do = bptt._dlogits(o, Y, [0, 1])  # (2, B, C) dL_i/do_i
    a1 = (do[0] @ p["V"].T) * (1 - h[1] ** 2)  # L_1 at step 1 (B, H)
    a2 = (do[1] @ p["V"].T) * (1 - h[2] ** 2)  # L_2 at step 2
    a21 = (a2 @ p["W"].T) * (1 - h[1] ** 2)  # L_2 carried back to step 1
    inputs = {
        "W": lambda s: h[s - 1],
        "U": lambda s: X[:, s - 1],
        "b_h": lambda s: torch.ones(X.shape[0], 1, dtype=X.dtype),
    }
    auto = bptt.elman_autograd(p, X, Y, "sum")
    out = {}
    for k, inp in inputs.items():
        c = lambda a, s, inp=inp, k=k: (inp(s).T @ a).reshape(p[k].shape)  # noqa: E731
        out[k] = {"proposal": c(a1, 1) + c(a21, 1), "missing": c(a2, 2), "autograd": auto[k]}
    for k in ("V", "b_y"):  # eqs. 12, 18: dh_i/dV = dh_i/db_y = 0, so they give zero
        out[k] = {"proposal": torch.zeros_like(p[k]), "missing": auto[k], "autograd": auto[k]}
    return out


def _eq_holds(k: str) -> bool:
    t = two_step_terms()[k]
    fixed = torch.allclose(t["proposal"] + t["missing"], t["autograd"], atol=1e-12)
    assert fixed, f"the corrected form of {k} must equal autograd"
    return torch.allclose(t["proposal"], t["autograd"], atol=1e-12)


def _sum_is_loss_at_2() -> bool:
    p, X, Y = _two_steps()
    last, total = bptt.elman_bptt(p, X, Y, "last"), bptt.elman_bptt(p, X, Y, "sum")
    return torch.allclose(last["U"], total["U"])  # (dL_1/dW = 0 here since h_0 = 0)


def _elman_matches_torch() -> bool:
    torch.manual_seed(0)
    ref, cell = torch.nn.RNNCell(3, 4).double(), cells.ElmanCell(3, 4).double()
    cell.load_torch_weights(ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh)
    x, h = torch.randn(2, 3, dtype=torch.double), torch.randn(2, 4, dtype=torch.double)
    return torch.allclose(cell(x, h), ref(x, h))


def _output_activation_is_tanh_ok() -> bool:
    p, X, _ = _two_steps()
    y_hat = torch.tanh(bptt.elman_forward(p, X)[1])  # eq. 2 with f = tanh
    return bool((y_hat >= 0).all() and torch.allclose(y_hat.sum(-1), torch.ones(1).double()))


def _yhat_has_hidden_size() -> bool:
    p, X, _ = _two_steps()
    return bptt.elman_forward(p, X)[1].shape[-1] == p["W"].shape[0]  # C = 5 vs H = 4


def _algorithm1_literal() -> bool:
    """Lines 18-22 add only step t's own term to dL/dtheta: that is N = 0 for every N."""
    p = bptt.elman_init(3, 4, 5, seed=1)
    g = torch.Generator().manual_seed(1)
    X, Y = torch.randn(2, 6, 3, generator=g, dtype=torch.float64), torch.randint(0, 5, (2, 6))
    literal = bptt.elman_bptt(p, X, Y, "sum", truncate=0)
    return torch.allclose(literal["W"], bptt.elman_bptt(p, X, Y, "sum", truncate=3)["W"])


def _sgd_step_lowers_loss() -> bool:
    p, X, Y = _two_steps()
    g = bptt.elman_bptt(p, X, Y, "sum")
    q = {k: v - 1e-3 * g[k] for k, v in p.items()}  # eqs. 19-23
    return bool(bptt.elman_loss(q, X, Y) < bptt.elman_loss(p, X, Y))


# --- activations and gradients --------------------------------------------------------


def _derivative_formulas() -> bool:
    x = torch.linspace(-8, 8, 401, dtype=torch.float64, requires_grad=True)
    ok = True
    for f, df in ((torch.sigmoid, lambda s: s * (1 - s)), (torch.tanh, lambda t: 1 - t**2)):
        (g,) = torch.autograd.grad(f(x).sum(), x)
        ok &= torch.allclose(g, df(f(x)).detach())
    e = torch.exp(x.detach())
    return ok and torch.allclose((e - 1 / e) / (e + 1 / e), torch.tanh(x.detach()))


def _range(key: str) -> Callable[[], bool]:
    return lambda: dict(
        (r[0], r[3]) for r in gradients.ranges_table(gradients.activation_ranges())
    )[key]


def _vanishing_only_from_derivative() -> bool:
    """tanh' <= 1 everywhere, yet rho = 2 makes dh_T/dh_0 grow: the claim is incomplete."""
    sweep = gradients.spectral_radius_sweep([2.0], T=30, hidden=32)
    return sweep[2.0] < 1.0


def _exploding_needs_large_loss() -> bool:
    """The same unit-scale loss v.h_T: the gradient still grows with T when rho > 1."""
    short = gradients.spectral_radius_sweep([1.5], T=10, hidden=32)[1.5]
    long = gradients.spectral_radius_sweep([1.5], T=50, hidden=32)[1.5]
    return long < 10 * short


def lstm_state_gradient(scale: float, T: int, hidden: int = 32, seed: int = 0) -> float:
    """||d(h_T + C_T)/d(h_0, C_0)|| of an LSTM with recurrent weights of std scale/sqrt(H)."""
    torch.manual_seed(seed)
    cell = cells.LSTMCell(1, hidden).double()
    with torch.no_grad():
        for g in cell.gates:
            getattr(cell, f"W_h{g}").normal_(0, scale / hidden**0.5)
    s0 = tuple(torch.zeros(4, hidden, dtype=torch.double, requires_grad=True) for _ in "hC")
    s = s0
    for x_t in torch.randn(4, T, 1, dtype=torch.double).unbind(1):
        s = cell(x_t, s)
    grads = torch.autograd.grad(s[0].sum() + s[1].sum(), s0)
    return float(torch.cat(grads).norm())


def _lstm_prevents_exploding() -> bool:
    return lstm_state_gradient(10.0, 100) < 1e3


# --- LSTM and GRU ------------------------------------------------------------------------


def _lstm_matches_torch(tie_b_i_to_b_c: bool = False) -> bool:
    torch.manual_seed(0)
    ref, cell = torch.nn.LSTMCell(3, 4).double(), cells.LSTMCell(3, 4).double()
    cell.load_torch_weights(ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh)
    if tie_b_i_to_b_c:  # eq. 29 as printed: the input gate uses b_c
        with torch.no_grad():
            cell.b_i.copy_(cell.b_c)
    x, s = torch.randn(2, 3, dtype=torch.double), (torch.randn(2, 4).double(),) * 2
    return all(torch.allclose(a, b) for a, b in zip(cell(x, s), ref(x, s), strict=True))


def _gru_proposal_is_torch() -> bool:
    torch.manual_seed(0)
    ref = recurrent.Recurrent("gru", 3, 4, impl="fused").double()
    prop = recurrent.Recurrent("gru_proposal", 3, 4).double()
    recurrent.copy_weights(ref, prop)
    x = torch.randn(2, 5, 3, dtype=torch.double)
    return torch.allclose(prop(x)[0], ref(x)[0])


def _z_retains_past() -> bool:
    """Eq. 37 with z_t = 1: h_t = h~_t, nothing of h_{t-1} is retained."""
    h_prev, h_tilde, z = torch.tensor(0.3), torch.tensor(-0.7), torch.tensor(1.0)
    return bool((1 - z) * h_prev + z * h_tilde == h_prev)


def _gru_has_output_gate() -> bool:
    return {"o", "i"} <= set(cells.GRUProposalCell.gates)


# --- HMM (eqs. 38-39) --------------------------------------------------------------------


def _random_hmm(seed: int, M: int = 2, T: int = 4):
    rng = np.random.default_rng(seed)
    norm = lambda a: a / a.sum(-1, keepdims=True)  # noqa: E731
    return (
        np.log(norm(rng.random(M))),
        np.log(norm(rng.random((M, M)))),
        np.log(rng.random((T, M))),
    )


def _eq39_is_p_of_x() -> bool:
    log_pi, log_A, log_B = _random_hmm(0)
    _, loglik = hmm.forward(log_pi, log_A, log_B)
    z = np.zeros(log_B.shape[0], dtype=int)
    return np.isclose(hmm.joint_log_prob(log_pi, log_A, log_B, z), loglik)


def _viterbi_gives_state_probabilities() -> bool:
    """Find an HMM whose Viterbi path disagrees with the per-step most probable state."""
    for seed in range(200):
        log_pi, log_A, log_B = _random_hmm(seed, M=3, T=5)
        path, _ = hmm.viterbi(log_pi, log_A, log_B)
        if (hmm.posteriors(log_pi, log_A, log_B).argmax(1) != path).any():
            return False
    return True


def _gmm_integrates_to_one() -> bool:
    x = np.linspace(-30, 30, 200_001)[:, None]
    logb = hmm.gmm_log_emissions(
        x, np.array([[0.3, 0.7]]), np.array([[[-1.0], [2.0]]]), np.array([[[0.5], [2.0]]])
    )
    return bool(np.isclose(np.trapezoid(np.exp(logb[:, 0]), x[:, 0]), 1.0))


# --- the table ---------------------------------------------------------------------------

T_C, T_B, T_G, T_L = "test_cells", "test_bptt", "test_gradients", "test_errata"  # tests/*.py
ITEMS = (
    # BPTT (Table 1, eqs. 1-23, Algorithm 1)
    Item(
        "BPTT",
        "Table 1",
        "U is input size x hidden units, used as U^T x_t",
        "consistent with eq. 1",
        T_B,
        lambda: True,
    ),
    Item(
        "BPTT",
        "Table 1",
        "y^_t (and a second, undefined o^_y) is hidden units x 1",
        "y^_t is classes x 1; o^_y is a duplicate row",
        T_L,
        _yhat_has_hidden_size,
    ),
    Item(
        "BPTT",
        "eq. 1",
        "h_t = f(U^T x_t + W^T h_{t-1} + b_h)",
        "holds (f = tanh or ReLU)",
        T_C,
        _elman_matches_torch,
    ),
    Item(
        "BPTT",
        "eq. 2",
        "y^_t = f(V^T h_t + b_y), the same f as eq. 1",
        "y^_t = softmax(V^T h_t + b_y): tanh outputs are no distribution",
        T_L,
        _output_activation_is_tanh_ok,
    ),
    Item(
        "BPTT",
        "eqs. 3-4",
        "L_2, 'the loss at time 2', is the sum L_1 + L_2",
        "the summed loss is L = sum_i L_i; the loss at time 2 alone has other gradients",
        T_B,
        _sum_is_loss_at_2,
    ),
    Item(
        "BPTT",
        "eqs. 5-6",
        "dL/dW: L_1 via h_1 plus L_2 via h_2 -> h_1 -> W",
        "add L_2's direct term dL_2/dh_2 dh_2/dW (h_1 fixed); missing partial symbols",
        T_L,
        lambda: _eq_holds("W"),
    ),
    Item(
        "BPTT",
        "eqs. 7-9",
        "dL/dU with the same two paths",
        "add L_2's direct term",
        T_L,
        lambda: _eq_holds("U"),
    ),
    Item(
        "BPTT",
        "eqs. 10-12",
        "dL/dV through dh_i/dV",
        "dh_i/dV = 0, so they give 0; dL/dV = sum_i h_i (dL_i/do_i)^T",
        T_L,
        lambda: _eq_holds("V"),
    ),
    Item(
        "BPTT",
        "eqs. 13-15",
        "dL/db_h with the same two paths",
        "add L_2's direct term",
        T_L,
        lambda: _eq_holds("b_h"),
    ),
    Item(
        "BPTT",
        "eqs. 16-18",
        "dL/db_y through dh_i/db_y",
        "dL/db_y = sum_i dL_i/do_i",
        T_L,
        lambda: _eq_holds("b_y"),
    ),
    Item(
        "BPTT",
        "eqs. 19-23",
        "theta <- theta - alpha dL/dtheta",
        "holds",
        T_L,
        _sgd_step_lowers_loss,
    ),
    Item(
        "BPTT",
        "Alg. 1",
        "lines 18-22 accumulate dL/dtheta before the k-loop and never "
        "add the terms of dL_t/dh_{t-k}",
        "add h_{s-1} delta_s^T for s = t-N..t",
        T_B,
        _algorithm1_literal,
    ),
    # activation functions and gradients (eqs. 24-27)
    Item(
        "Activations",
        "eqs. 24-27",
        "sigmoid, tanh and their derivatives",
        "hold",
        T_L,
        _derivative_formulas,
    ),
    Item("Activations", "range", "sigmoid maps R onto (0, 1)", "holds", T_G, _range("sigmoid")),
    Item(
        "Activations",
        "range",
        "sigmoid' has codomain [0, 0.5]",
        "(0, 0.25], max at x = 0",
        T_G,
        _range("sigmoid'"),
    ),
    Item(
        "Activations",
        "range",
        "tanh has codomain [-1, 1]",
        "(-1, 1): never attained",
        T_G,
        _range("tanh"),
    ),
    Item("Activations", "range", "tanh' has codomain [0, 1]", "(0, 1]", T_G, _range("tanh'")),
    Item(
        "Gradients",
        "vanishing",
        "the activation's derivative (sigmoid' <= 0.25) makes gradients vanish",
        "products of diag(f') W^T: the spectral radius of W decides; rho = 2 explodes with tanh",
        T_G,
        _vanishing_only_from_derivative,
    ),
    Item(
        "Gradients",
        "exploding",
        "a large loss value gives large updates, then larger ones",
        "Jacobian products with norm > 1 grow with T at any loss scale",
        T_G,
        _exploding_needs_large_loss,
    ),
    # LSTM and GRU (eqs. 28-37)
    Item(
        "LSTM",
        "text",
        "LSTM prevents vanishing and exploding gradients",
        "it eases vanishing; its gradients can still explode (clipping is used)",
        T_L,
        _lstm_prevents_exploding,
    ),
    Item(
        "LSTM",
        "text",
        "Hochreiter & Schmidhuber (1997) introduced input, forget and output gates",
        "the forget gate came later (Gers et al. 2000)",
        "literature",
        None,
        literature=True,
    ),
    Item(
        "LSTM",
        "eqs. 28, 30-33",
        "forget gate, candidate, cell, output gate, hidden state",
        "hold (= torch.nn.LSTM)",
        T_C,
        _lstm_matches_torch,
    ),
    Item(
        "LSTM",
        "eq. 29",
        "i_t = sigma(W_i [h_{t-1}, x_t] + b_c)",
        "bias b_i, not b_c",
        T_L,
        lambda: _lstm_matches_torch(tie_b_i_to_b_c=True),
    ),
    Item(
        "LSTM",
        "count",
        "4 (n + m + 1) m parameters",
        "holds with one bias per gate; torch.nn has two: 4 (n + m + 2) m",
        T_C,
        lambda: recurrent.param_count("lstm", 7, 5) == 4 * (7 + 5 + 1) * 5,
    ),
    Item(
        "GRU",
        "eqs. 34-36",
        "reset gate applied to h_{t-1} before W_h",
        "holds (Cho et al. 2014), but torch.nn/cuDNN apply it after W_hn h + b_hn: "
        "weights do not transfer",
        T_C,
        lambda: not _gru_proposal_is_torch(),
    ),
    Item(
        "GRU",
        "eq. 37 + text",
        "z_t 'determines how much of the past is retained'",
        "in eq. 37 z_t weighs the candidate; torch.nn: h_t = (1-z) n + z h_{t-1}",
        T_C,
        _z_retains_past,
    ),
    Item(
        "GRU",
        "notation table",
        "W_r, W_h, b_z ... labelled candidate cell, output gate, input gate",
        "a GRU has only reset, update and candidate",
        T_L,
        _gru_has_output_gate,
    ),
    Item(
        "GRU",
        "intro",
        "GRUs use fewer parameters than LSTMs",
        "3 (n + m + 1) m < 4 (n + m + 1) m",
        T_C,
        lambda: recurrent.param_count("gru_proposal", 7, 5) < recurrent.param_count("lstm", 7, 5),
    ),
    # HMM and word2vec (eqs. 38-41)
    Item(
        "HMM",
        "eq. 38",
        "GMM emission density",
        "holds (integrates to 1)",
        T_L,
        _gmm_integrates_to_one,
    ),
    Item(
        "HMM",
        "eq. 39",
        "p(X) = p(z_1) prod p(z_{t+1}|z_t) prod p(x_t|z_t)",
        "that is p(X, Z); p(X) sums it over all Z (forward algorithm)",
        T_L,
        _eq39_is_p_of_x,
    ),
    Item(
        "HMM",
        "text",
        "Viterbi gives the probability of the state z_t",
        "Viterbi gives the most probable path; p(z_t | X) comes from forward-backward",
        T_L,
        _viterbi_gives_state_probabilities,
    ),
    Item(
        "HMM",
        "text",
        "b_j(x) = p(x | z = q_i)",
        "b_j(x) = p(x | z = q_j)",
        "literature",
        None,
        literature=True,
    ),
    Item(
        "word2vec",
        "text",
        "skip-gram takes the surrounding words to predict the target",
        "reversed: the centre word predicts its context (Mikolov et al. 2013)",
        "literature",
        None,
        literature=True,
    ),
    Item(
        "word2vec",
        "eqs. 40-41",
        "Q = N D + D log2 V; Q = C (D + D log2 V), unlabelled",
        "Mikolov et al.'s training complexity per example, not a cost function",
        "literature",
        None,
        literature=True,
        literature_holds=True,
    ),
)


def verdicts() -> list[dict]:
    """Run every check: one row per item with 'holds' / 'wrong' and how it was decided."""
    rows = []
    for it in ITEMS:
        ok = it.literature_holds if it.literature else bool(it.holds())
        rows.append(
            {
                "section": it.section,
                "ref": it.ref,
                "proposal": it.says,
                "correct": it.correct,
                "check": it.check,
                "verdict": "holds" if ok else "wrong",
                "decided_by": "literature" if it.literature else "computed",
            }
        )
    return rows


def write_results(path) -> dict:
    """Compute the verdicts and store them as results/01-bptt/errata.json."""
    payload = {"rows": verdicts(), **results.provenance()}
    results.write_json(path, payload)
    return payload


def build_tables(errata_json, generated) -> list:
    """One LaTeX table per section group, from the stored verdicts only."""
    rows = pd.DataFrame(results.read_json(errata_json)["rows"])
    rows["verdict"] = rows["verdict"] + rows["decided_by"].map({"literature": "*", "computed": ""})
    cols = {
        "ref": "Item",
        "proposal": "The proposal says",
        "correct": "Correct form",
        "check": "Check",
        "verdict": "Verdict",
    }
    written = []
    for name, sections in GROUPS.items():
        df = rows[rows["section"].isin(sections)][list(cols)].rename(columns=cols)
        path = latex.table(
            df,
            generated / f"01-bptt_errata_{name}.tex",
            producer=PRODUCER,
            align=(R + "p{1.5cm}") + (R + "p{4.6cm}") * 2 + (R + "p{2.1cm}") + "l",
        )
        written.append(path)
    return written


R = r">{\raggedright\arraybackslash}"  # ragged-right paragraph columns (array)
GROUPS = {
    "bptt": ("BPTT",),
    "activations": ("Activations", "Gradients"),
    "gates": ("LSTM", "GRU"),
    "hmm": ("HMM", "word2vec"),
}


def counts(errata_json) -> dict:
    """How many items were checked, hold, are wrong, and were decided from the literature."""
    rows = results.read_json(errata_json)["rows"]
    return {
        "errataItems": len(rows),
        "errataWrong": sum(r["verdict"] == "wrong" for r in rows),
        "errataHolds": sum(r["verdict"] == "holds" for r in rows),
        "errataLiterature": sum(r["decided_by"] == "literature" for r in rows),
    }


def _sci(x: float) -> str:
    """A tiny difference as the paper prints it, e.g. 2e-16."""
    return f"{x:.0e}".replace("e-0", "e-")


def build_outputs(results_dir, generated) -> list:
    """Notebook 01's tables and macros, rebuilt from its committed results files only."""
    results_dir = results_dir if str(results_dir).endswith("01-bptt") else results_dir / "01-bptt"
    written = build_tables(results_dir / "errata.json", generated)
    checks = results.read_json(results_dir / "checks.json")
    values = counts(results_dir / "errata.json")
    values |= {f"bptt {k}": _sci(v) for k, v in checks["max_abs_diff"].items()}
    trunc = checks["truncation"]
    values |= {
        f"trunc err {s} N {n}": 100 * e
        for s, errs in trunc.items()
        for n, e in errs.items()
        if n in ("0", "5", "10")
    }
    written.append(
        latex.macros(values, generated / "01-bptt_macros.tex", producer=PRODUCER, digits=0)
    )
    return written
