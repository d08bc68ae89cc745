"""Correct solutions written differently from the reference must pass: the checks turn away no honest learner.

tests/alternatives/ holds them, written from the docstrings in exercises/ alone: forward mode where the task names
no mode, torch.autograd.grad beside backward(), torch.func, clones, other ways to make a leaf.
"""

import importlib
import inspect
import warnings

import pytest

from tests.course import COURSE
from tests.kata.solution import Solution
from tests.self_check.audit import alternatives, checks

CHECKS = checks(COURSE)


@pytest.mark.parametrize(
    ("exercise", "solution"),
    [
        pytest.param(exercise, solution, id=f"{exercise}-{label}")
        for exercise, listed in alternatives(COURSE).items()
        for label, solution in listed
    ],
)
def test_alternative_is_accepted(exercise: str, solution) -> None:
    check = CHECKS[exercise]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a correct solution may still make torch warn (a deprecation, say)
        check(Solution(solution, name=check.__name__.removeprefix("test_")))


def test_every_exercise_has_alternatives() -> None:
    listed = alternatives(COURSE)
    missing = [
        f"{module}.{name}" for module, names in COURSE.items() for name in names if not listed.get(f"{module}.{name}")
    ]
    assert missing == [], "these exercises list no alternative solutions in tests/alternatives/"


def test_every_alternative_written_is_listed() -> None:
    listed = {id(solution) for solutions in alternatives(COURSE).values() for _, solution in solutions}
    unlisted = [
        f"tests/alternatives/{module}.py: {name}"
        for module in COURSE
        for name, value in vars(importlib.import_module(f"tests.alternatives.{module}")).items()
        if "__" in name.strip("_") and inspect.isfunction(value) and id(value) not in listed
    ]
    assert unlisted == [], "these alternatives are written but not in their module's ALTERNATIVES, so never run"
