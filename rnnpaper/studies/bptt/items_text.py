"""Errata items of the proposal's HMM and word2vec paragraphs (eqs. 38-41) and of what is
not mathematics: its table captions and the template text left in it (sections 8-11, A)."""

from . import claims_cells as c
from .claims import INCOMPLETE, WRONG, verdict
from .item import LITERATURE, READING, T_L, Item

HMM = (
    Item(
        "HMM",
        "text",
        r"\citet{rabiner1993} ``proposes the hidden Markov model''",
        r"HMMs go back to \citet{baum1966}; \citet{rabiner1993} is a textbook",
        LITERATURE,
        WRONG,
    ),
    Item(
        "HMM",
        "eq. 38",
        r"GMM emission density $\sum_l c_{jl}\,\mathcal N(x_t\mid\mu_{jl},\Sigma_{jl})$",
        r"holds (integrates to 1)",
        T_L,
        lambda: verdict(c.gmm_integrates_to_one()),
    ),
    Item(
        "HMM",
        "text",
        r"$b_j(x)=p(x\mid z=q_i)$",
        r"$b_j(x)=p(x\mid z=q_j)$: the index must match",
        READING,
        WRONG,
    ),
    Item(
        "HMM",
        "eq. 39",
        r"$p(X)=p(z_1)\prod_t p(z_{t+1}\mid z_t)\prod_t p(x_t\mid z_t)$",
        r"that is $p(X,Z)$; $p(X)=\sum_Z p(X,Z)$, the forward algorithm",
        T_L,
        lambda: verdict(c.eq39_is_p_of_x()),
    ),
    Item(
        "HMM",
        "text",
        r"Baum--Welch determines ``the optimal parameters'' that maximize the likelihood",
        r"it converges to a local maximum: four random starts end at different $\log p(X)$",
        T_L,
        c.baum_welch_is_optimal,
    ),
    Item(
        "HMM",
        "text",
        r"Viterbi gives the probability of the hidden state $z_t$",
        r"Viterbi gives the most probable path; $p(z_t\mid X)$ comes from forward--backward",
        T_L,
        lambda: verdict(c.viterbi_gives_state_probabilities()),
    ),
    Item(
        "word2vec",
        "text",
        r"skip-gram ``takes the surrounding word to predict the target word''",
        r"reversed: the centre word predicts its context \citep{mikolov2013}",
        LITERATURE,
        WRONG,
    ),
    Item(
        "word2vec",
        "eqs. 40-41",
        r"$Q=N\times D+D\times\log_2 V$; $Q=C\times(D+D\times\log_2 V)$",
        r"the training complexity per example of CBOW and skip-gram \citep{mikolov2013}, "
        r"but $Q$, $N$, $D$, $V$ and $C$ are never defined",
        LITERATURE,
        INCOMPLETE,
    ),
)

STRUCTURE = (
    Item(
        "Structure",
        "Table 1",
        r"caption ``Unfolded RNN'' on the table of the RNN's notation",
        r"a notation table; the caption repeats Figure~1's",
        READING,
        WRONG,
    ),
    Item(
        "Structure",
        "Table 2",
        r"caption ``Unfolded RNN'' on the table of the LSTM's notation",
        r"the LSTM's notation, not an unfolded RNN",
        READING,
        WRONG,
    ),
    Item(
        "Structure",
        "GRU table",
        r"the GRU's notation table has no caption: the numbering goes from ``Table 2: Unfolded "
        r"RNN'' to ``Table 4: Example Table''",
        r"a caption is missing (Table~3)",
        READING,
        INCOMPLETE,
    ),
    Item(
        "Structure",
        "§8, Figure 2",
        r"``asdfpiojaseopritjf To insert an image, use the `graphicx' package''; Figure~2, "
        r"``An example image''",
        r"template text and a keyboard slip, not content",
        READING,
        WRONG,
    ),
    Item(
        "Structure",
        "§9, Table 4",
        r"``You can create tables using the `tabular' environment''; Table~4, ``Example "
        r"Table'' of apples, oranges and bananas",
        r"template text, not content",
        READING,
        WRONG,
    ),
    Item(
        "Structure",
        "§10",
        r"``To add a hyperlink, use the `hyperref' package''",
        r"template text, not content",
        READING,
        WRONG,
    ),
    Item(
        "Structure",
        "§11",
        r"``This is the conclusion section. Summarize your findings or leave final remarks.''",
        r"a placeholder: the proposal has no conclusion",
        READING,
        WRONG,
    ),
    Item(
        "Structure",
        "Appendix A",
        r"``This is the appendix section, where you can include supplementary materials.''",
        r"template text: the appendix is empty",
        READING,
        WRONG,
    ),
)

ITEMS = HMM + STRUCTURE
