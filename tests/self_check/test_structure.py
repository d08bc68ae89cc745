"""The kata's shape: exercises/ and reference/ mirror each other and the course, stubs only raise, hints say
something. Read with ast, never imported, so that this passes in both modes without loading the other side's code.
"""

import pytest

from tests.course import COURSE
from tests.kata.course import EXERCISES, ROOT, source
from tests.kata.plugin import KATA
from tests.self_check.audit import checks, course_problems, mirror_problems


def started(module: str, request: pytest.FixtureRequest) -> int:
    """How many of the module's exercises this learner-mode run found other than todo: the learner's work."""
    results = request.config.stash[KATA].progress.results
    return sum(result.status != "todo" for result in results.values() if result.exercise.module == module)


@pytest.mark.parametrize("module", COURSE)
def test_exercises_mirror_reference(module: str, request: pytest.FixtureRequest) -> None:
    """Same public names, signatures and docstrings on both sides, in course order; stubs only raise."""
    if not request.config.getoption("reference") and started(module, request):
        pytest.skip(f"exercises/{module}.py holds the learner's work now; this checks the pristine kata")
    problems = mirror_problems(
        module,
        source(ROOT / "exercises" / f"{module}.py"),
        source(ROOT / "reference" / f"{module}.py"),
        list(COURSE[module]),
    )
    assert not problems, "\n".join(problems)


def test_every_hint_and_dependency_works() -> None:
    problems = course_problems(EXERCISES)
    assert not problems, "\n".join(problems)


def test_every_exercise_has_tests() -> None:
    """A test marked for an id the course does not list already stops collection (plugin.exercise_of)."""
    marked = checks(COURSE)
    missing = [
        f"{module}.{name}" for module, names in COURSE.items() for name in names if f"{module}.{name}" not in marked
    ]
    assert not missing, f"no test is marked @pytest.mark.exercise(...) for: {', '.join(missing)}"
