"""What the course's test modules and tests/alternatives/ list for each exercise, for the self-checks to run."""

import importlib
from collections.abc import Callable
from typing import Any

from tests.course import COURSE
from tests.kata.checks import Rejects


def exercise_of(test: Callable[..., Any]) -> str | None:
    return next((mark.args[0] for mark in getattr(test, "pytestmark", []) if mark.name == "exercise"), None)


def checks() -> dict[str, Callable[..., Any]]:
    """Each exercise id with the test that checks it."""
    found = {}
    for module in COURSE:
        for value in vars(importlib.import_module(f"tests.test_{module}")).values():
            if callable(value) and exercise_of(value):
                found[exercise_of(value)] = value
    return found


def near_misses() -> dict[str, Rejects]:
    """Each exercise id with the near misses its test module lists for it."""
    found = {}
    for module in COURSE:
        tests = importlib.import_module(f"tests.test_{module}")
        for rejects in (value for value in vars(tests).values() if isinstance(value, Rejects)):
            found[exercise_of(rejects.check)] = rejects
    return found


def alternatives() -> dict[str, list[tuple[str, Callable[..., Any]]]]:
    """Each exercise id with the correct solutions tests/alternatives/ writes differently from the reference."""
    found = {}
    for module in COURSE:
        listed = importlib.import_module(f"tests.alternatives.{module}").ALTERNATIVES
        found.update({f"{module}.{name}": solutions for name, solutions in listed.items()})
    return found
