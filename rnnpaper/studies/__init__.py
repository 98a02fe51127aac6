"""One package per notebook, each with the same two entry points.

``run(study, profile)`` computes and writes ``results/<NN-topic>/`` (reusing finished work);
``report(study, profile)`` turns those results, and nothing else, into tables, macros and
figures; ``plan(study, profile)`` (a study with a ``plan`` module) lists the runs a profile
would train and estimates their CPU time. Each package also exports its own ``run`` and
``report``; import other names from the modules (``from rnnpaper.studies.gradients.report
import adding_table``), since the package's ``report`` function hides its ``report`` module.
From a shell:
``python -m rnnpaper.studies <study> run|report|plan --profile paper``.
"""

from importlib import import_module

STUDIES = {  # notebook -> study package
    "00-data": "dataset_stats",
    "01-bptt": "bptt",
    "02-gradients": "gradients",
    "03-lstm-gru": "lstm_gru",
    "04-word2vec": "word2vec",
    "05-hmm": "hmm",
    "06-classification": "classification",
    "07-summarization": "summarization",
    "08-proposed-model": "proposed",
}


def _module(study: str, part: str):
    if study not in STUDIES.values():
        raise ValueError(f"unknown study {study!r}; choose one of {sorted(STUDIES.values())}")
    return import_module(f"rnnpaper.studies.{study}.{part}")


def run(study: str, profile: str = "smoke", **options):
    """Compute the study at ``profile`` (finished work is reused) and write its results."""
    return _module(study, "run").run(profile, **options)


def report(study: str, profile: str = "smoke") -> dict:
    """Write the study's tables, macros and figures from its results files only."""
    return _module(study, "report").report(profile)


def plan(study: str, profile: str = "smoke") -> dict:
    """The runs of the study at ``profile``, finished or not, and their estimated CPU time."""
    return _module(study, "plan").plan(profile)
