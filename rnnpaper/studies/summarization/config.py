"""The summarization study's configuration: datasets, model and budget, profiles (notebook 07).

:class:`Profile` holds the sizes of one run of the whole study; its per-dataset truncation and
epochs are :class:`rnnpaper.tasks.summarization.TaskSizes`.
"""

from dataclasses import dataclass

from rnnpaper import train
from rnnpaper.models import registry
from rnnpaper.models.seq2seq import Seq2SeqConfig
from rnnpaper.tasks.summarization import TaskSizes
from rnnpaper.text import Vocab

STEM = "07-summarization"
PRODUCER = f"{STEM}.ipynb"
DATASETS = ("gigaword", "aeslc")


@dataclass(frozen=True)
class Profile:
    """Sizes of one run of the whole study."""

    cells: tuple = registry.COMPARED
    seeds: tuple = (1, 2, 3)
    gigaword: TaskSizes = TaskSizes(src_len=50, tgt_len=20, max_decode=20, epochs=4)
    aeslc: TaskSizes = TaskSizes(src_len=60, tgt_len=15, max_decode=15, epochs=3)
    vocab_size: int = 5000  # words besides the 4 specials
    min_freq: int = 2
    embed_dim: int = 64
    hidden_size: int = 96
    attn_dim: int = 96
    copy: bool = True
    batch_size: int = 64
    lr: float = 2e-3
    beam: int = 4
    alpha: float = 1.0  # length normalisation exponent
    n_examples: int = 3  # rows of the examples table per dataset
    ablation_dataset: str = "gigaword"  # where every cell is also trained without copying
    ablation_seeds: tuple = (1,)


PROFILES = {
    "smoke": Profile(
        seeds=(1,),
        gigaword=TaskSizes(src_len=30, tgt_len=10, max_decode=10, epochs=1, n_train=128, n_eval=48),
        aeslc=TaskSizes(src_len=30, tgt_len=8, max_decode=8, epochs=1, n_train=128, n_eval=48),
        vocab_size=1000,
        embed_dim=16,
        hidden_size=24,
        attn_dim=24,
        beam=2,
        n_examples=2,
        ablation_seeds=(1,),
    ),
    "paper": Profile(),
}


def sizes(profile: Profile, dataset: str) -> TaskSizes:
    """The truncation and budget of ``dataset`` in ``profile``."""
    return getattr(profile, dataset)


def model_config(profile: Profile, kind: str, vocab: Vocab) -> Seq2SeqConfig:
    """The encoder-decoder of cell ``kind`` at the profile's sizes."""
    return Seq2SeqConfig(
        kind=kind,
        vocab_size=len(vocab),
        embed_dim=profile.embed_dim,
        hidden_size=profile.hidden_size,
        attn_dim=profile.attn_dim,
        copy=profile.copy,
    )


def train_config(profile: Profile, dataset: str, seed: int, progress: bool = False):
    """AdamW with clipping and a cosine schedule; the best epoch by validation loss is kept."""
    return train.TrainConfig(
        epochs=sizes(profile, dataset).epochs,
        lr=profile.lr,
        weight_decay=0.0,
        clip_norm=2.0,
        patience=0,
        schedule="cosine",
        seed=seed,
        progress=progress,
    )
