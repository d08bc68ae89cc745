"""Every near miss the exercise test modules list must be rejected by its exercise's own check, naming the cause.

An exception the near miss raises itself counts as rejected too: the learner would see it as the cause.
"""

import warnings

import pytest

from tests.course import COURSE
from tests.kata.checks import NearMiss, Rejects
from tests.kata.solution import Solution
from tests.self_check.audit import near_misses

LISTED, PROBLEMS = near_misses(COURSE)


@pytest.mark.parametrize(
    ("rejects", "near_miss"),
    [
        pytest.param(rejects, near_miss, id=f"{exercise}-{near_miss.label}")
        for exercise, rejects in LISTED.items()
        for near_miss in rejects.near_misses
    ],
)
def test_near_miss_is_rejected(rejects: Rejects, near_miss: NearMiss) -> None:
    with warnings.catch_warnings(), pytest.raises((pytest.fail.Exception, Exception), match=near_miss.cause):
        warnings.simplefilter("ignore")  # near misses do odd things on purpose; torch may warn about them
        rejects.check(Solution(near_miss.fn, name=rejects.check.__name__.removeprefix("test_")))


def test_the_near_miss_lists_are_sound() -> None:
    assert not PROBLEMS, "\n".join(PROBLEMS)


def test_every_exercise_has_near_misses() -> None:
    missing = [
        f"{module}.{name}" for module, names in COURSE.items() for name in names if f"{module}.{name}" not in LISTED
    ]
    assert not missing, f"these exercises list no near misses beside their tests: {', '.join(missing)}"
