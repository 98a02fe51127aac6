"""Tokenization rules, the vocabulary and length-bucketed, masked batches."""

import torch

from rnnpaper import text


def test_pretokenized_text_is_only_lowercased_and_split():
    assert text.tokenize("it 's a -lrb- good -rrb- film .", True) == [
        "it",
        "'s",
        "a",
        "-lrb-",
        "good",
        "-rrb-",
        "film",
        ".",
    ]


def test_raw_text_drops_html_breaks_and_splits_punctuation():
    toks = text.tokenize("Great film!<br /><br />I didn't expect THAT.", False)
    assert toks == ["great", "film", "!", "i", "didn't", "expect", "that", "."]


def test_vocab_specials_min_freq_and_unk(tmp_path):
    v = text.Vocab.build([["a", "b", "a"], ["c", "a", "b", "unk", "unk"]], min_freq=2)
    assert v.itos[:4] == list(text.SPECIALS)
    assert v.itos[4:] == ["a", "b"]  # by frequency; 'c' is too rare; 'unk' never a word
    assert v.encode(["a", "c", "unk"]) == [4, v.unk_id, v.unk_id]
    v.save(tmp_path / "vocab.json")
    assert text.Vocab.load(tmp_path / "vocab.json").itos == v.itos


def test_bucket_batches_cover_every_index_once_with_similar_lengths():
    lengths = torch.randint(1, 500, (1000,), generator=torch.Generator().manual_seed(0)).tolist()
    batches = text.bucket_batches(lengths, 16, torch.Generator().manual_seed(1))
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000))
    spread = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches]
    assert sorted(spread)[len(spread) // 2] < 50  # random batches would spread ~450
    again = text.bucket_batches(lengths, 16, torch.Generator().manual_seed(1))
    assert again == batches


def test_pad_batch_masks_exactly_the_real_tokens():
    ids, mask = text.pad_batch([[5, 6, 7], [8], []], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [0, 0, 0]]
    assert mask.sum(1).tolist() == [3, 1, 0]
    assert ids[~mask].eq(0).all()
