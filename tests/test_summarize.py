"""Summarization study: metrics against hand counts and the reference libraries, baselines,
unknown-word handling, and the committed tables against the committed results."""

import subprocess

import pytest
import sacrebleu
from rouge_score import rouge_scorer

from rnnpaper import paths, profiles
from rnnpaper import summarize as S
from rnnpaper.text import Vocab


def test_rouge_matches_hand_counts():
    # unigrams: 2 of 3 match both ways; bigrams: 1 of 2; LCS "the cat" = 2 of 3
    got = S.rouge_per_example(["the cat sat"], [["the cat ran"]])
    assert got["rouge1"][0] == pytest.approx(100 * 2 / 3)
    assert got["rouge2"][0] == pytest.approx(50.0)
    assert got["rougeL"][0] == pytest.approx(100 * 2 / 3)


def test_rouge_stems_and_averages_over_references():
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    hyp, refs = "markets rallied on friday", ["market rallies friday", "stocks fall"]
    got = S.rouge_per_example([hyp], [refs])
    for k in S.ROUGE_KEYS:
        expect = sum(100 * scorer.score(r, hyp)[k].fmeasure for r in refs) / 2
        assert got[k][0] == pytest.approx(expect)
    assert S.rouge_per_example(["markets rallied friday"], [refs[:1]])["rouge1"][0] == 100


def test_generated_unk_counts_against_a_reference_unk():
    assert S.rouge_per_example(["nec unk in tie-up"], [["nec UNK in tie-up"]])["rouge1"][0] == 100


def test_bleu_is_sacrebleu_lowercased_with_multiple_references():
    hyps = ["the cat sat on the mat", "a dog barks"]
    refs = [["The cat sat on a mat", "the cat is on the mat"], ["A dog barked", "dogs bark"]]
    score, sig = S.bleu(hyps, refs)
    expect = sacrebleu.corpus_bleu(
        hyps, [[r[0] for r in refs], [r[1] for r in refs]], lowercase=True
    ).score
    assert score == pytest.approx(expect)
    assert "case:lc" in sig and "nrefs:2" in sig


def test_first_sentence_and_first_k_baselines():
    doc = "Hi John,\nCould you send the report? I need it by Friday. Thanks"
    assert S.first_sentence(doc) == "Hi John,"
    assert S.first_sentence("Please review. Owner: J") == "Please review."
    split = [{"document": doc}]
    outs = S.baseline_outputs(split, "aeslc", k=3)
    assert outs == {"first-3 words": ["hi john ,"], "first sentence": ["hi john ,"]}


def test_encode_extends_the_vocabulary_with_source_words():
    vocab = Vocab.build([["the", "cat", "the", "cat"]], min_freq=1)
    ex = {"src": ["the", "zebra", "cat"], "tgt": ["zebra", "cat", "dog"]}
    enc = S.encode(ex, vocab)
    V = len(vocab)
    assert enc["src"] == [vocab.stoi["the"], V, vocab.stoi["cat"]]
    assert enc["tgt"] == [V, vocab.stoi["cat"], vocab.unk_id, vocab.stoi["<eos>"]]
    batch = S.collate([enc, S.encode({"src": ["cat"], "tgt": ["cat"]}, vocab)])
    assert batch["n_oov"] == 1 and batch["src"].shape == (2, 3)
    assert batch["src_mask"].sum().item() == 4


def test_profiles_cover_the_shared_names():
    assert set(S.PROFILES) == set(profiles.NAMES)
    smoke, paper = S.PROFILES["smoke"], S.PROFILES["paper"]
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
    results_dir = out.results / S.STEM
    data_files = sorted(results_dir.glob("*_data.json")) if results_dir.exists() else []
    if not data_files or not all(_committed(p) for p in data_files):
        pytest.skip("paper-scale summarization results are not committed yet")
    written = S.write_report(results_dir, tmp_path)
    for path in written:
        committed = out.generated / path.name
        assert committed.exists(), f"{committed.name} is not committed"
        assert committed.read_text() == path.read_text(), f"{committed.name} is stale"
