"""Errata items of the proposal's LSTM and GRU paragraphs (eqs. 28-37, Table 2, the GRU
notation table) and of its comparative claims about the cells (introduction)."""

from rnnpaper.models import recurrent

from . import claims_cells as c
from .claims import INCOMPLETE, WRONG, verdict
from .item import LITERATURE, T_C, T_L, Item

LSTM = (
    Item(
        "LSTM",
        "text",
        r"the LSTM ``can prevent vanishing gradient and exploding gradient''",
        r"it eases vanishing; its gradients can still explode (hence clipping)",
        T_L,
        lambda: verdict(c.lstm_prevents_exploding()),
    ),
    Item(
        "LSTM",
        "text",
        r"``the main difference between LSTM and RNN is the number of gates''",
        r"the additive cell is: an RNN with a gate but no cell loses the gradient over 50 "
        r"steps as the plain RNN does; the LSTM's $C_t$ keeps it "
        r"($\partial C_t/\partial C_{t-1}=\mathrm{diag}(f_t)$ on the direct path)",
        T_L,
        c.gates_are_the_difference,
    ),
    Item(
        "LSTM",
        "text, eq. 28",
        r"\citet{hochreiter1997} introduced the input, forget and output gates; the forget "
        r"gate paragraph cites them",
        r"the 1997 LSTM has input and output gates; the forget gate came later "
        r"\citep{gers2000}",
        LITERATURE,
        WRONG,
    ),
    Item(
        "LSTM",
        "eqs. 28, 30-33",
        r"forget gate, candidate, cell, output gate, hidden state",
        r"hold (equal to \texttt{torch.nn.LSTMCell})",
        T_C,
        lambda: verdict(c.lstm_matches_torch()),
    ),
    Item(
        "LSTM",
        "eq. 29",
        r"$i_t=\sigma(W_i[h_{t-1},x_t]+b_c)$",
        r"bias $b_i$, not $b_c$",
        T_L,
        lambda: verdict(c.lstm_matches_torch(tie_b_i_to_b_c=True)),
    ),
    Item(
        "LSTM",
        "text, eq. 31",
        r"``the forget gate will drop the meaningless information and add some potential "
        r"information''",
        r"$f_t$ only scales $C_{t-1}$ ($|C_t|\le|C_{t-1}|$ when $i_t=0$); adding is the input "
        r"gate's $i_t\odot\tilde C_t$",
        T_L,
        lambda: verdict(c.forget_gate_adds()),
    ),
    Item(
        "LSTM",
        "count",
        r"$4(n+m+1)m$ parameters",
        r"holds with one bias per gate; \texttt{torch.nn} keeps two: $4(n+m+2)m$",
        T_C,
        lambda: verdict(recurrent.param_count("lstm", 7, 5) == 4 * (7 + 5 + 1) * 5),
    ),
)

GRU = (
    Item(
        "GRU",
        "text",
        r"the GRU ``was proposed by (Cho et al., 2014)'', the reference being "
        r"\citet{cho2014properties}",
        r"the GRU was introduced by \citet{cho2014}; the cited paper uses it",
        LITERATURE,
        WRONG,
    ),
    Item(
        "GRU",
        "intro",
        r"GRUs reduce the LSTM's complexity ``but still provided the same performance''",
        r"comparable on average, with no consistent winner across tasks "
        r"\citep{chung2014,jozefowicz2015}",
        LITERATURE,
        INCOMPLETE,
    ),
    Item(
        "GRU",
        "intro",
        r"GRUs use fewer parameters, so they are cheaper to compute",
        r"$3(n+m+1)m<4(n+m+1)m$: three gate blocks per step instead of four",
        T_C,
        lambda: verdict(c.gru_is_smaller()),
    ),
    Item(
        "GRU",
        "eqs. 34-36",
        r"the reset gate multiplies $h_{t-1}$ before $W_h$",
        r"holds \citep{cho2014}; \texttt{torch.nn} and cuDNN apply it after "
        r"$W_{hn}h+b_{hn}$, so weights do not transfer",
        T_C,
        lambda: verdict(not c.gru_proposal_is_torch()),
    ),
    Item(
        "GRU",
        "eq. 37, text",
        r"the update gate ``determines how much of the past information should be retained''",
        r"holds through $1-z_t$: $\partial h_t/\partial h_{t-1}=\mathrm{diag}(1-z_t)$ with "
        r"$z_t$, $\tilde h_t$ fixed (\texttt{torch.nn} swaps $z_t$ and $1-z_t$)",
        T_L,
        lambda: verdict(c.update_gate_sets_retention()),
    ),
    Item(
        "GRU",
        "notation table",
        r"$W_r$, $W_h$, $b_z$, \dots{} labelled candidate cell, output gate, input gate",
        r"a GRU has only a reset gate, an update gate and a candidate",
        T_L,
        lambda: verdict(c.gru_has_output_gate()),
    ),
)

ITEMS = LSTM + GRU
