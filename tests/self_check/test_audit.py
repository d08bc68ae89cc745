"""The self-checks catch the mistakes an instructor makes, each with a message naming the file, the line or the
exercise, and the fix: shown here on small sources and listings made for the purpose."""

import re

import pytest

from tests.kata.checks import NearMiss, rejects
from tests.kata.course import exercise, parts
from tests.self_check.audit import course_problems, mirror_problems, near_miss_listing

LESSON = '"""Title: what it teaches.\n\nThe idea.\n"""\n'
SOLUTION = (
    LESSON
    + 'def f(x: float) -> float:\n    """The task."""\n    return 2 * x\n\n\ndef g(x):\n    """More."""\n    return x\n'
)
STUB = LESSON + (
    'def f(x: float) -> float:\n    """The task."""\n    raise NotImplementedError\n\n\n'
    'def g(x):\n    """More."""\n    raise NotImplementedError\n'
)


def problems_with(stub: str = STUB, solution: str = SOLUTION, names: tuple[str, ...] = ("f", "g")) -> str:
    return "\n".join(mirror_problems("m", stub, solution, list(names)))


def test_a_pristine_mirror_has_no_problems():
    assert problems_with() == ""


@pytest.mark.parametrize(
    ("stub", "solution", "names", "message"),
    [
        (
            STUB.replace("(x: float)", "(x)"),
            SOLUTION,
            ("f", "g"),
            r"exercises/m.py:\d+ `f`: its signature \(x\) -> float "
            r"differs from reference/m.py:\d+'s \(x: float\) -> float: copy the reference's",
        ),
        (
            STUB.replace("The task.", "The job."),
            SOLUTION,
            ("f", "g"),
            r"`f`: its docstring differs from "
            r"reference/m.py:\d+'s, at line 1: 'The job.' vs 'The task.'",
        ),
        (
            STUB,
            SOLUTION,
            ("g", "f"),
            r"exercises/m.py defines f, g in that order; tests/course.py lists g, f: put the "
            "definitions in the course's order",
        ),
        (STUB, SOLUTION, ("f", "g", "h"), r"exercises/m.py: `h` is missing; tests/course.py lists it: define it"),
        (STUB, SOLUTION, ("f",), r"exercises/m.py:\d+: `g` is not in tests/course.py's m: list it there"),
        (
            STUB.replace(
                "    raise NotImplementedError\n\n\n", "    y = 2 * x\n    raise NotImplementedError\n\n\n", 1
            ),
            SOLUTION,
            ("f", "g"),
            r"`f`: a stub's body is `raise NotImplementedError` and nothing else; it has "
            r"`y = 2 \* x`: move the code to the reference",
        ),
        (
            STUB.replace(LESSON, ""),
            SOLUTION,
            ("f", "g"),
            r"exercises/m.py:1: no module docstring: open the module "
            "with its lesson",
        ),
        (
            STUB.replace("The idea.", "An idea."),
            SOLUTION,
            ("f", "g"),
            r"the module docstrings \(the lesson\) differ at "
            "line 3",
        ),
        (STUB.replace("(x: float)", "(x: float"), SOLUTION, ("f", "g"), r"exercises/m.py:\d+: does not parse"),
        (
            STUB.replace('"""The task."""', '"""The task."""\n    """"""', 1).replace('    """The task."""\n', "", 1),
            SOLUTION.replace('    """The task."""\n', "", 1),
            ("f", "g"),
            r"`f`: no docstring",
        ),
    ],
    ids=[
        "signature",
        "docstring",
        "order",
        "missing",
        "unlisted",
        "stub-with-code",
        "no-lesson",
        "lesson-differs",
        "syntax",
        "no-docstring",
    ],
)
def test_each_mirror_mistake_is_named(stub, solution, names, message):
    assert re.search(message, problems_with(stub, solution, names)), problems_with(stub, solution, names)


def marked(exercise):
    def test_it(solution):
        """A stand-in for an exercise's test."""

    test_it.pytestmark = [pytest.mark.exercise(exercise).mark] if exercise else []
    return test_it


MISS = NearMiss("wrong", lambda x: x, "sign is flipped")


@pytest.mark.parametrize(
    ("namespace", "message"),
    [
        ({"x_near_misses": rejects(marked("m.x"))}, "x_near_misses: lists no near miss for m.x: add NearMiss"),
        (
            {"a": rejects(marked("m.x"), MISS), "b": rejects(marked("m.x"), MISS)},
            r"b: a second near-miss list for m.x \(the first is a\): merge them into one rejects",
        ),
        (
            {"x_near_misses": rejects(marked(None), MISS)},
            r"rejects\(test_it\) names a test without "
            "@pytest.mark.exercise: mark it",
        ),
        (
            {"x_near_misses": rejects(marked("m.x"), NearMiss("vague", lambda x: x, "expected"))},
            "near misses vague accept the bare cause; make each cause name the mistake",
        ),
    ],
    ids=["empty", "second-list", "unmarked", "bare-cause"],
)
def test_each_near_miss_listing_mistake_is_named(namespace, message):
    problems = "\n".join(near_miss_listing("m", namespace)[1])
    assert re.search(message, problems), problems


def test_empty_hints_and_unknown_dependencies_are_named():
    uses_a_later_one = exercise("m", "y", {"hint": "a hint of several words", "uses": ["m.z"]})
    problems = "\n".join(course_problems([exercise("m", "x", ""), uses_a_later_one]))
    assert "tests/course.py: m.x's hint '' says nothing: write a real hint" in problems
    assert "m.y uses 'm.z', which is not an earlier exercise of the course" in problems


def test_a_lesson_is_cut_at_its_headings():
    lesson = "Title\n\nIdea.\n\nBy hand\n-------\nwork\n\nIn torch\n--------\n>>> 1\n1\n"
    assert parts(lesson) == {"": "Title\n\nIdea.\n\n", "By hand": "work\n\n", "In torch": ">>> 1\n1\n"}
