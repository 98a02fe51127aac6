"""Profile names shared by every study, and the one lookup that resolves them.

Each study module defines its own frozen dataclass of sizes and a dict ``PROFILES`` with
one entry per name below; notebooks take the name as a papermill parameter.
"""

NAMES = ("smoke", "paper")
DEFAULT = "smoke"


def resolve(profiles: dict, name: str):
    """Return ``profiles[name]`` or fail naming the valid choices."""
    try:
        return profiles[name]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r}; choose one of {sorted(profiles)} "
            "(set the notebook parameter 'profile')"
        ) from None
