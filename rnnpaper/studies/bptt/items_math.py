"""Errata items of the proposal's BPTT derivation (Table 1, eqs. 1-23, Algorithm 1), its
activation functions (eqs. 24-27) and its gradient paragraphs."""

from . import claims as c
from .claims import verdict
from .item import T_B, T_C, T_G, T_L, Item

BPTT = (
    Item(
        "BPTT",
        "Table 1",
        r"$U$ is input size $\times$ hidden units and is used as $U^\top x_t$ (so are $W$, $V$)",
        r"consistent with eqs.~1--2",
        T_B,
        lambda: verdict(c.table1_shapes()),
    ),
    Item(
        "BPTT",
        "Table 1",
        r"$\hat y_t$ is hidden units $\times 1$; a second output $\hat o_y$ is listed",
        r"$\hat y_t$ is classes $\times 1$; $\hat o_y$ is an undefined duplicate row",
        T_L,
        lambda: verdict(c.yhat_has_hidden_size()),
    ),
    Item(
        "BPTT",
        "eq. 1",
        r"$h_t = f(U^\top x_t + W^\top h_{t-1} + b_h)$, with $f$ left general",
        r"holds for $f=\tanh$ and $f=\mathrm{ReLU}$ (equal to \texttt{torch.nn.RNNCell})",
        T_C,
        lambda: verdict(c.elman_matches_torch("tanh") and c.elman_matches_torch("relu")),
    ),
    Item(
        "BPTT",
        "eq. 2",
        r"$\hat y_t = f(V^\top h_t + b_y)$, with the letter $f$ of eq.~1",
        r"holds with $f$ the output's activation: $f=\mathrm{softmax}$ for classes, as eq.~3's "
        r"cross-entropy needs (a $\tanh$ output is no distribution)",
        T_L,
        lambda: verdict(c.eq2_with_softmax_is_the_classifier()),
    ),
    Item(
        "BPTT",
        "eqs. 3-4",
        r"eq.~3 defines $\mathcal L_t$ as the loss at the last step alone; eq.~4 sets "
        r"$\mathcal L_2=\sum_{i=1}^2 L_i$",
        r"the summed loss is $L=\sum_i L_i$; the loss at time 2 alone has other gradients",
        T_B,
        lambda: verdict(c.sum_is_loss_at_2()),
    ),
    Item(
        "BPTT",
        "eqs. 5-6",
        r"$\partial L/\partial W$: $L_1$ through $h_1$, plus $L_2$ through $h_2\to h_1\to W$",
        r"add $L_2$'s direct term $\frac{\partial L_2}{\partial h_2}"
        r"\frac{\partial^+ h_2}{\partial W}$ ($h_1$ fixed); eq.~6 also drops a $\partial$",
        T_L,
        lambda: verdict(c.eq_holds("W")),
    ),
    Item(
        "BPTT",
        "eqs. 7-9",
        r"$\partial L/\partial U$ with the same two paths, through an undefined $\hat h_i$",
        r"add $L_2$'s direct term; $\hat h_i$ stands for $h_i$",
        T_L,
        lambda: verdict(c.eq_holds("U")),
    ),
    Item(
        "BPTT",
        "eqs. 10-12",
        r"$\partial L/\partial V$ through $\partial h_i/\partial V$",
        r"$\partial h_i/\partial V=0$, so they give 0; "
        r"$\partial L/\partial V=\sum_i h_i(\hat y_i-e_{y_i})^\top$",
        T_L,
        lambda: verdict(c.eq_holds("V")),
    ),
    Item(
        "BPTT",
        "eqs. 13-15",
        r"$\partial L/\partial b_h$ with the same two paths",
        r"add $L_2$'s direct term",
        T_L,
        lambda: verdict(c.eq_holds("b_h")),
    ),
    Item(
        "BPTT",
        "eqs. 16-18",
        r"$\partial L/\partial b_y$ through $\partial h_i/\partial b_y$",
        r"$\partial L/\partial b_y=\sum_i(\hat y_i-e_{y_i})$",
        T_L,
        lambda: verdict(c.eq_holds("b_y")),
    ),
    Item(
        "BPTT",
        "eqs. 19-23",
        r"$\theta\leftarrow\theta-\alpha\,\partial L/\partial\theta$",
        r"holds: a small step lowers $L$",
        T_L,
        lambda: verdict(c.sgd_step_lowers_loss()),
    ),
    Item(
        "BPTT",
        "Alg. 1",
        r"lines 18--22 (after Wikipedia~\citep{wikipedia2023bptt}) accumulate "
        r"$\partial L/\partial\theta$ before the $k$-loop, never adding the terms of "
        r"$\partial L_t/\partial h_{t-k}$",
        r"add $h_{s-1}(\delta_s\odot(1-h_s^2))^\top$ for $s=t-N,\dots,t$, stopping at $s=1$",
        T_B,
        lambda: verdict(c.algorithm1_literal()),
    ),
)

ACTIVATIONS = (
    Item(
        "Activations",
        "eqs. 24-27",
        r"$\sigma$, $\tanh$ and their derivatives $\sigma'=\sigma(1-\sigma)$, "
        r"$\tanh'=1-\tanh^2$",
        r"hold",
        T_L,
        lambda: verdict(c.derivative_formulas()),
    ),
    Item(
        "Activations",
        "ranges",
        r"$\sigma$ has codomain $(0,1)$",
        r"holds",
        T_G,
        lambda: verdict(c.codomain("sigmoid", 0.0, 1.0)),
    ),
    Item(
        "Activations",
        "ranges",
        r"$\sigma'$ has codomain $[0,0.5]$",
        r"$(0,1/4]$, the maximum at $x=0$ (the text itself later says $0.25$)",
        T_G,
        lambda: verdict(c.codomain("sigmoid'", 0.0, 0.5)),
    ),
    Item(
        "Activations",
        "ranges",
        r"$\tanh$ has codomain $[-1,1]$",
        r"holds as a codomain; the range is $(-1,1)$: $\pm1$ is never attained",
        T_G,
        lambda: verdict(c.codomain("tanh", -1.0, 1.0)),
    ),
    Item(
        "Activations",
        "ranges",
        r"$\tanh'$ has codomain $[0,1]$",
        r"holds as a codomain; the range is $(0,1]$",
        T_G,
        lambda: verdict(c.codomain("tanh'", 0.0, 1.0)),
    ),
    Item(
        "Activations",
        "text",
        r"$\tanh$ ``limits the output between $[-1,1]$ because it has a stable gradient, "
        r"which is important for discovering long-range dependencies''",
        r"the bound follows from its form; $\tanh'(5)<2\cdot10^{-4}$, and a $\tanh$ RNN loses "
        r"the gradient over 50 steps: long-range memory comes from the gated cells",
        T_L,
        lambda: verdict(c.tanh_gradient_stable()),
    ),
    Item(
        "Gradients",
        "vanishing",
        r"$\sigma'\le 1/4$ makes the gradients vanish exponentially with the sequence length",
        r"guaranteed only while $\|W\|<4$: the factors are $\mathrm{diag}(\sigma')W^\top$; "
        r"at $\|W\|=6$ the gradient grows as $1.5^T$~\citep{pascanu2013}",
        T_L,
        c.sigmoid_vanishing,
    ),
    Item(
        "Gradients",
        "exploding",
        r"a large loss value gives large updates, then a larger loss and larger gradients",
        r"Jacobian products of norm $>1$ grow with $T$ at any loss scale",
        T_G,
        lambda: verdict(c.exploding_needs_large_loss()),
    ),
)

ITEMS = BPTT + ACTIVATIONS
