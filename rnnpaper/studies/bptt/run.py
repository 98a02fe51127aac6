"""Notebook 01's compute: hand BPTT against autograd and finite differences, the truncation
sweep, and the errata verdicts, into results/01-bptt/.

``checks.json`` holds float64 differences at rounding level, which differ in their last
digits between machines: it is reused when present. The errata verdicts are recomputed every
run (seconds) and ``errata.json`` is rewritten only when a verdict changed.
"""

from rnnpaper import paths, profiles, results
from rnnpaper.models import bptt

from .config import PROFILES, STEM, Sizes
from .errata import verdicts


def checks(sizes: Sizes) -> dict:
    """Largest differences of the BPTT checks, and the truncation errors per scale and N."""
    T = sizes.truncation_T
    trunc = {str(s): bptt.truncation_errors(range(T), T=T, scale=s) for s in sizes.scales}
    return {"max_abs_diff": bptt.checks(seed=0), "truncation": trunc}


def _fits(stored: dict, sizes: Sizes) -> bool:
    """Whether stored checks cover the truncation sweep of ``sizes``."""
    trunc = stored["truncation"]
    return set(trunc) == {str(s) for s in sizes.scales} and all(
        len(errors) == sizes.truncation_T for errors in trunc.values()
    )


def run(profile: str) -> dict:
    """Write results/01-bptt/{checks,errata}.json -> {"checks": ..., "errata": ...}."""
    sizes = profiles.resolve(PROFILES, profile)
    res_dir = paths.outputs(profile).results / STEM
    path = res_dir / "checks.json"
    if not path.exists() or not _fits(results.read_json(path), sizes):
        results.write_json(path, checks(sizes) | results.provenance())
    errata = {"rows": verdicts(), **results.provenance()}
    if not results.unchanged(res_dir / "errata.json", errata):
        results.write_json(res_dir / "errata.json", errata)
    return {"checks": results.read_json(path), "errata": results.read_json(res_dir / "errata.json")}
