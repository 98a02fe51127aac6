"""Published numbers the paper compares against, each with its source and check flag.

Flags follow the shared reference list (reference/published-results.md): "V" seen in the
paper or primary file, "S" seen in a secondary copy naming the original table.
"""

# Published numbers for comparable architectures. Flags follow the shared reference list
# (reference/published-results.md): "S" seen in a secondary copy naming the original table.
CLASSIFICATION = [
    {
        "dataset": "sst2",
        "model": "2-layer LSTM",
        "ours": "lstm",
        "value": 86.3,
        "source": "Tai et al. (2015), as listed by Papers with Code",
        "flag": "S",
        "differs": "GloVe 300d vectors; trained on all treebank phrases",
    },
    {
        "dataset": "sst2",
        "model": "CNN-rand",
        "ours": "lstm",
        "value": 82.7,
        "source": "Kim (2014), Table 2",
        "flag": "S",
        "differs": "a CNN, random init; trained on phrases",
    },
    {
        "dataset": "trec",
        "model": "CNN-rand",
        "ours": "bilstm",
        "value": 91.2,
        "source": "Kim (2014), Table 2",
        "flag": "S",
        "differs": "a CNN, random init, 300d",
    },
    {
        "dataset": "imdb",
        "model": "LSTM (random init)",
        "ours": "lstm",
        "value": 86.5,
        "source": "Dai and Le (2015), via Dieng et al. (2017), Table 4",
        "flag": "S",
        "differs": "all 25k reviews, full length, tuned",
    },
    {
        "dataset": "imdb",
        "model": "NBSVM-bi",
        "ours": "nbsvm",
        "value": 91.22,
        "source": "Wang and Manning (2012), via Dieng et al. (2017), Table 4",
        "flag": "S",
        "differs": "all 25k reviews, full length",
    },
]


# Published Gigaword test-set numbers (1,951 pairs, full-length ROUGE F1), all marked [V] in
# /work/shared/reference/published-results.md section 2a. Training sets: ~3.8M pairs.
SUMMARIZATION = [
    (
        "gigaword",
        "ABS, Rush et al. (2015)",
        "rush2015",
        29.55,
        11.32,
        26.42,
        "NLP-progress summarization.md (F1 recomputed by Chopra et al. 2016)",
    ),
    (
        "gigaword",
        "ABS+, Rush et al. (2015)",
        "rush2015",
        29.76,
        11.88,
        26.96,
        "NLP-progress summarization.md",
    ),
    (
        "gigaword",
        "RAS-Elman, Chopra et al. (2016)",
        "chopra2016",
        33.78,
        15.97,
        31.15,
        "NLP-progress summarization.md",
    ),
    (
        "gigaword",
        "SEASS (BiGRU), Zhou et al. (2017)",
        "zhou2017seass",
        36.15,
        17.54,
        33.63,
        "NLP-progress summarization.md",
    ),
    (
        "gigaword",
        "OpenNMT-py BiLSTM + copy",
        "klein2017opennmt",
        35.21,
        17.31,
        32.77,
        "OpenNMT-py docs/source/Summarization.md",
    ),
]
SUMMARIZATION_TRAIN = {"gigaword": "3.8M"}
