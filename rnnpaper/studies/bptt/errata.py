"""The errata table as data: every equation and claim of the proposal's literature review,
with the correct form and the check that decides it.

Each item's ``holds`` returns True when the proposal's statement holds as written (the
predicates are in :mod:`.claims`). Items marked literature cannot be computed; their verdict
cites the source instead.
"""

from collections.abc import Callable
from dataclasses import dataclass

from rnnpaper.models import recurrent

from . import claims as c


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
        c.yhat_has_hidden_size,
    ),
    Item(
        "BPTT",
        "eq. 1",
        "h_t = f(U^T x_t + W^T h_{t-1} + b_h)",
        "holds (f = tanh or ReLU)",
        T_C,
        c.elman_matches_torch,
    ),
    Item(
        "BPTT",
        "eq. 2",
        "y^_t = f(V^T h_t + b_y), the same f as eq. 1",
        "y^_t = softmax(V^T h_t + b_y): tanh outputs are no distribution",
        T_L,
        c.output_activation_is_tanh_ok,
    ),
    Item(
        "BPTT",
        "eqs. 3-4",
        "L_2, 'the loss at time 2', is the sum L_1 + L_2",
        "the summed loss is L = sum_i L_i; the loss at time 2 alone has other gradients",
        T_B,
        c.sum_is_loss_at_2,
    ),
    Item(
        "BPTT",
        "eqs. 5-6",
        "dL/dW: L_1 via h_1 plus L_2 via h_2 -> h_1 -> W",
        "add L_2's direct term dL_2/dh_2 dh_2/dW (h_1 fixed); missing partial symbols",
        T_L,
        lambda: c.eq_holds("W"),
    ),
    Item(
        "BPTT",
        "eqs. 7-9",
        "dL/dU with the same two paths",
        "add L_2's direct term",
        T_L,
        lambda: c.eq_holds("U"),
    ),
    Item(
        "BPTT",
        "eqs. 10-12",
        "dL/dV through dh_i/dV",
        "dh_i/dV = 0, so they give 0; dL/dV = sum_i h_i (dL_i/do_i)^T",
        T_L,
        lambda: c.eq_holds("V"),
    ),
    Item(
        "BPTT",
        "eqs. 13-15",
        "dL/db_h with the same two paths",
        "add L_2's direct term",
        T_L,
        lambda: c.eq_holds("b_h"),
    ),
    Item(
        "BPTT",
        "eqs. 16-18",
        "dL/db_y through dh_i/db_y",
        "dL/db_y = sum_i dL_i/do_i",
        T_L,
        lambda: c.eq_holds("b_y"),
    ),
    Item(
        "BPTT",
        "eqs. 19-23",
        "theta <- theta - alpha dL/dtheta",
        "holds",
        T_L,
        c.sgd_step_lowers_loss,
    ),
    Item(
        "BPTT",
        "Alg. 1",
        "lines 18-22 accumulate dL/dtheta before the k-loop and never "
        "add the terms of dL_t/dh_{t-k}",
        "add h_{s-1} delta_s^T for s = t-N..t",
        T_B,
        c.algorithm1_literal,
    ),
    # activation functions and gradients (eqs. 24-27)
    Item(
        "Activations",
        "eqs. 24-27",
        "sigmoid, tanh and their derivatives",
        "hold",
        T_L,
        c.derivative_formulas,
    ),
    Item(
        "Activations",
        "range",
        "sigmoid maps R onto (0, 1)",
        "holds",
        T_G,
        c.codomain_holds("sigmoid"),
    ),
    Item(
        "Activations",
        "range",
        "sigmoid' has codomain [0, 0.5]",
        "(0, 0.25], max at x = 0",
        T_G,
        c.codomain_holds("sigmoid'"),
    ),
    Item(
        "Activations",
        "range",
        "tanh has codomain [-1, 1]",
        "(-1, 1): never attained",
        T_G,
        c.codomain_holds("tanh"),
    ),
    Item(
        "Activations",
        "range",
        "tanh' has codomain [0, 1]",
        "(0, 1]",
        T_G,
        c.codomain_holds("tanh'"),
    ),
    Item(
        "Gradients",
        "vanishing",
        "the activation's derivative (sigmoid' <= 0.25) makes gradients vanish",
        "products of diag(f') W^T: the spectral radius of W decides; rho = 2 explodes with tanh",
        T_G,
        c.vanishing_only_from_derivative,
    ),
    Item(
        "Gradients",
        "exploding",
        "a large loss value gives large updates, then larger ones",
        "Jacobian products with norm > 1 grow with T at any loss scale",
        T_G,
        c.exploding_needs_large_loss,
    ),
    # LSTM and GRU (eqs. 28-37)
    Item(
        "LSTM",
        "text",
        "LSTM prevents vanishing and exploding gradients",
        "it eases vanishing; its gradients can still explode (clipping is used)",
        T_L,
        c.lstm_prevents_exploding,
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
        c.lstm_matches_torch,
    ),
    Item(
        "LSTM",
        "eq. 29",
        "i_t = sigma(W_i [h_{t-1}, x_t] + b_c)",
        "bias b_i, not b_c",
        T_L,
        lambda: c.lstm_matches_torch(tie_b_i_to_b_c=True),
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
        lambda: not c.gru_proposal_is_torch(),
    ),
    Item(
        "GRU",
        "eq. 37 + text",
        "z_t 'determines how much of the past is retained'",
        "in eq. 37 z_t weighs the candidate; torch.nn: h_t = (1-z) n + z h_{t-1}",
        T_C,
        c.z_retains_past,
    ),
    Item(
        "GRU",
        "notation table",
        "W_r, W_h, b_z ... labelled candidate cell, output gate, input gate",
        "a GRU has only reset, update and candidate",
        T_L,
        c.gru_has_output_gate,
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
        c.gmm_integrates_to_one,
    ),
    Item(
        "HMM",
        "eq. 39",
        "p(X) = p(z_1) prod p(z_{t+1}|z_t) prod p(x_t|z_t)",
        "that is p(X, Z); p(X) sums it over all Z (forward algorithm)",
        T_L,
        c.eq39_is_p_of_x,
    ),
    Item(
        "HMM",
        "text",
        "Viterbi gives the probability of the state z_t",
        "Viterbi gives the most probable path; p(z_t | X) comes from forward-backward",
        T_L,
        c.viterbi_gives_state_probabilities,
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
