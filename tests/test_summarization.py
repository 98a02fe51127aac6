"""Summarization study: metrics against hand counts and the reference libraries, baselines,
unknown-word handling, and the committed tables against the committed results."""

import subprocess

import pytest
import sacrebleu
from rouge_score import rouge_scorer

from rnnpaper import metrics, paths, profiles, train
from rnnpaper.models.seq2seq import Seq2SeqConfig
from rnnpaper.studies.summarization import PROFILES, STEM
from rnnpaper.studies.summarization.baselines import baseline_outputs, first_sentence
from rnnpaper.studies.summarization.report import write_report
from rnnpaper.tasks.summarization import (
    collate,
    encode,
    eval_batches,
    generate,
    score_split,
    train_seq2seq,
)
from rnnpaper.text import Vocab


def test_rouge_matches_hand_counts():
    # unigrams: 2 of 3 match both ways; bigrams: 1 of 2; LCS "the cat" = 2 of 3
    got = metrics.rouge_per_example(["the cat sat"], [["the cat ran"]])
    assert got["rouge1"][0] == pytest.approx(100 * 2 / 3)
    assert got["rouge2"][0] == pytest.approx(50.0)
    assert got["rougeL"][0] == pytest.approx(100 * 2 / 3)


def test_rouge_stems_and_averages_over_references():
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    hyp, refs = "markets rallied on friday", ["market rallies friday", "stocks fall"]
    got = metrics.rouge_per_example([hyp], [refs])
    for k in metrics.ROUGE_KEYS:
        expect = sum(100 * scorer.score(r, hyp)[k].fmeasure for r in refs) / 2
        assert got[k][0] == pytest.approx(expect)
    assert metrics.rouge_per_example(["markets rallied friday"], [refs[:1]])["rouge1"][0] == 100


def test_generated_unk_counts_against_a_reference_unk():
    assert (
        metrics.rouge_per_example(["nec unk in tie-up"], [["nec UNK in tie-up"]])["rouge1"][0]
        == 100
    )


def test_bleu_is_sacrebleu_lowercased_with_multiple_references():
    hyps = ["the cat sat on the mat", "a dog barks"]
    refs = [["The cat sat on a mat", "the cat is on the mat"], ["A dog barked", "dogs bark"]]
    score, sig = metrics.bleu(hyps, refs)
    expect = sacrebleu.corpus_bleu(
        hyps, [[r[0] for r in refs], [r[1] for r in refs]], lowercase=True
    ).score
    assert score == pytest.approx(expect)
    assert "case:lc" in sig and "nrefs:2" in sig


def test_first_sentence_and_first_k_baselines():
    doc = "Hi John,\nCould you send the report? I need it by Friday. Thanks"
    assert first_sentence(doc) == "Hi John,"
    assert first_sentence("Please review. Owner: J") == "Please review."
    split = [{"document": doc}]
    outs = baseline_outputs(split, "aeslc", k=3)
    assert outs == {"first-3 words": ["hi john ,"], "first sentence": ["hi john ,"]}


def test_encode_extends_the_vocabulary_with_source_words():
    vocab = Vocab.build([["the", "cat", "the", "cat"]], min_freq=1)
    ex = {"src": ["the", "zebra", "cat"], "tgt": ["zebra", "cat", "dog"]}
    enc = encode(ex, vocab)
    V = len(vocab)
    assert enc["src"] == [vocab.stoi["the"], V, vocab.stoi["cat"]]
    assert enc["tgt"] == [V, vocab.stoi["cat"], vocab.unk_id, vocab.stoi["<eos>"]]
    batch = collate([enc, encode({"src": ["cat"], "tgt": ["cat"]}, vocab)])
    assert batch["n_oov"] == 1 and batch["src"].shape == (2, 3)
    assert batch["src_mask"].sum().item() == 4


def test_profiles_cover_the_shared_names():
    assert set(PROFILES) == set(profiles.NAMES)
    smoke, paper = PROFILES["smoke"], PROFILES["paper"]
    assert len(paper.seeds) >= 3 and set(paper.cells) == {"rnn", "lstm", "gru"}
    assert smoke.gigaword.n_train < 1000 and paper.gigaword.n_train is None


def _committed(path) -> bool:
    rel = path.relative_to(paths.ROOT)
    out = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(rel)], cwd=paths.ROOT, capture_output=True
    )
    return out.returncode == 0


def test_committed_tables_are_what_the_committed_results_produce(tmp_path):
    out = paths.outputs("paper")
    results_dir = out.results / STEM
    data_files = sorted(results_dir.glob("*_data.json")) if results_dir.exists() else []
    if not data_files or not all(_committed(p) for p in data_files):
        pytest.skip("paper-scale summarization results are not committed yet")
    written = write_report(results_dir, tmp_path)
    for path in written:
        committed = out.generated / path.name
        assert committed.exists(), f"{committed.name} is not committed"
        assert committed.read_text() == path.read_text(), f"{committed.name} is stale"


def _toy_prep(n=24):
    """A prepared dataset by hand: targets are the first two source words; 'zebra' is an OOV."""
    words = "the cat sat on a mat dog ran far".split()
    split = []
    for i in range(n):
        src = [words[(i + j) % len(words)] for j in range(3 + i % 4)] + ["zebra"]
        split.append({"src": src, "tgt": src[:2], "refs": [" ".join(src[:2])], "summary": ""})
    vocab = Vocab.build([[w for ex in split for w in ex["src"] if w != "zebra"]], min_freq=1)
    return {"dataset": "toy", "vocab": vocab, "train": split, "validation": split, "test": split}


def test_train_one_seq2seq_is_a_function_of_data_and_configs():
    """Any registered cell trains through the task, decodes both ways and is scored."""
    prep = _toy_prep()
    cfg = Seq2SeqConfig(
        kind="gru_proposal", vocab_size=len(prep["vocab"]), embed_dim=6, hidden_size=8, attn_dim=5
    )
    tcfg = train.TrainConfig(epochs=2, lr=1e-2, patience=0, seed=1, progress=False)
    model, fit = train_seq2seq(prep, cfg, tcfg, batch_size=8)
    assert model.cfg.kind == "gru_proposal" and len(fit.history) == 2
    batches = eval_batches([encode(ex, prep["vocab"]) for ex in prep["test"]])
    n = len(prep["test"])
    greedy = generate(model, batches, prep["vocab"], n, max_len=4)
    beam = generate(model, batches, prep["vocab"], n, max_len=4, beam=2)
    assert len(greedy) == len(beam) == n
    scores = score_split(beam, prep["test"], "toy")
    assert set(scores) == {"refs"} and 0 <= scores["refs"]["rougeL"] <= 100
