"""The README's recipe, followed literally in a fresh copy: a new exercise in a module and a new module leave the
two-way check green, and each usual mistake fails --self-check with a message that names the fix."""

import subprocess
import sys
import textwrap

import pytest

LESSON = '''"""Extras: a slope by autograd, the course's newest module.

A slope is what backward() leaves in .grad.

By hand
-------
y = 3x at any x: dy/dx = 3.

In torch
--------
>>> import torch
>>> x = torch.tensor(1.0, requires_grad=True)
>>> (5 * x).backward()
>>> x.grad
tensor(5.)

Traps the tests catch
---------------------
- Typing the answer in: the tests check that autograd made it.

Read more
---------
https://pytorch.org/docs/stable/notes/autograd.html
"""

import torch
'''
QUARTIC_DOC = '''    """dy/dx of y = x⁴ at the point x, by autograd.

    x: the point, a Python float.
    Returns: a 0-dim float32 tensor, not attached to the graph (requires_grad False): dy/dx = 4x³.

    Example: quartic(1.0) -> tensor(4.)
    """
'''
TRIPLE_DOC = '''    """dy/dx of y = 3x at the point x, by autograd.

    x: the point, a Python float.
    Returns: a 0-dim float32 tensor, not attached to the graph (requires_grad False): 3.

    Example: triple_slope(2.0) -> tensor(3.)
    """
'''
QUARTIC = "def quartic(x: float) -> torch.Tensor:\n" + QUARTIC_DOC
TRIPLE = "def triple_slope(x: float) -> torch.Tensor:\n" + TRIPLE_DOC
SOLVED = "    x = torch.tensor(x, requires_grad=True)\n    y.backward()\n    return x.grad\n"


def solution(function: str, y: str) -> str:
    return function + SOLVED.replace("    y.backward()", f"    ({y}).backward()")


def exercise_tests(module: str, name: str, slope: str, near_miss: str) -> str:
    return textwrap.dedent(f'''

        @pytest.mark.exercise("{module}.{name}")
        def test_{name}(solution):
            for x in points(1.5, -2.0, seed=42):
                expect_call(solution, (x,), scalar({slope}))


        {name}_near_misses = rejects(
            test_{name},
            NearMiss("typed-in", lambda x: scalar({slope}), "autograd never ran"),
            NearMiss("sign-flipped", {near_miss}, "the sign is flipped"),
        )
        ''')


QUARTIC_HINT = '        "quartic": "Same recipe as cubic: a leaf, y = x ** 4, y.backward(), then x.grad.",\n'
EXTRAS = (
    '    "extras": {"triple_slope": "Make x a leaf that requires grad, build 3 * x, backward(), return x.grad."},\n'
)


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path}: {old!r} not found"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def cubic_entry(kata) -> str:
    return next(
        line + "\n" for line in (kata.path / "tests" / "course.py").read_text().splitlines() if '"cubic":' in line
    )


def follow_the_recipe(kata) -> None:
    """Steps 1-7 of the README's "Adding an exercise", for derivatives.quartic and a new module `extras`."""
    for package, body in (
        ("reference", solution(QUARTIC, "x**4")),
        ("exercises", QUARTIC + "    raise NotImplementedError\n"),
    ):
        path = kata.path / package / "derivatives.py"
        path.write_text(path.read_text(encoding="utf-8") + "\n\n" + body, encoding="utf-8")
    for package, body in (
        ("reference", solution(TRIPLE, "3 * x")),
        ("exercises", TRIPLE + "    raise NotImplementedError\n"),
    ):
        (kata.path / package / "extras.py").write_text(LESSON + "\n\n" + body, encoding="utf-8")
    course = kata.path / "tests" / "course.py"
    edit(course, cubic_entry(kata), cubic_entry(kata) + QUARTIC_HINT)  # step 3: after cubic, as in the files
    text = course.read_text(encoding="utf-8").rstrip()
    assert text.endswith("}")
    course.write_text(text[:-1] + EXTRAS + "}\n", encoding="utf-8")  # a new module, the last in course order
    tests = kata.path / "tests" / "test_derivatives.py"
    tests.write_text(
        tests.read_text(encoding="utf-8")
        + exercise_tests("derivatives", "quartic", "4 * x**3", "lambda x: scalar(-4 * x**3)"),
        encoding="utf-8",
    )
    header = "import pytest\n\nfrom tests.kata.checks import NearMiss, expect_call, points, rejects, scalar\n"
    (kata.path / "tests" / "test_extras.py").write_text(
        '"""Extras."""\n\n' + header + exercise_tests("extras", "triple_slope", "3.0", "lambda x: scalar(-3.0)"),
        encoding="utf-8",
    )
    alternatives = kata.path / "tests" / "alternatives" / "derivatives.py"
    grad = (
        "def {0}__autograd_grad(x):\n    t = torch.tensor(x, requires_grad=True)\n"
        "    return torch.autograd.grad({1}, t)[0]\n"
    )
    alternatives.write_text(
        alternatives.read_text(encoding="utf-8")
        + "\n\n"
        + grad.format("quartic", "t**4")
        + '\n\nALTERNATIVES["quartic"] = [("autograd-grad", quartic__autograd_grad)]\n',
        encoding="utf-8",
    )
    (kata.path / "tests" / "alternatives" / "extras.py").write_text(
        '"""Alternatives for exercises/extras.py."""\n\nimport torch\n\n\n'
        + grad.format("triple_slope", "3 * t")
        + '\n\nALTERNATIVES = {"triple_slope": [("autograd-grad", triple_slope__autograd_grad)]}\n',
        encoding="utf-8",
    )
    run(kata, "-m", "tests.kata.readme")


def run(kata, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=kata.path, capture_output=True, text=True, timeout=300)


@pytest.fixture
def recipe_followed(kata_copy):
    follow_the_recipe(kata_copy)
    return kata_copy


def test_the_recipe_leaves_the_two_way_check_green(recipe_followed):
    checked = run(recipe_followed, ".github/scripts/two_way_check.py")
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert "0 failed" in checked.stdout
    assert run(recipe_followed, "-m", "tests.kata.readme", "--check").returncode == 0
    readme = (recipe_followed.path / "README.md").read_text(encoding="utf-8")
    assert "| `extras` | a slope by autograd, the course's newest module. | triple_slope |" in readme


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ("empty-hint", "tests/course.py: extras.triple_slope's hint '' says nothing: write a real hint"),
        ("stub-with-code", "exercises/extras.py:"),
        ("out-of-order", "put the definitions in the course's order"),
        ("no-lesson-part", "its headings are"),
    ],
)
def test_each_usual_mistake_fails_the_self_check_with_its_fix(recipe_followed, mistake, message):
    kata = recipe_followed
    if mistake == "empty-hint":
        edit(
            kata.path / "tests" / "course.py",
            '"Make x a leaf that requires grad, build 3 * x, backward(), return x.grad."',
            '""',
        )
    elif mistake == "stub-with-code":
        path = kata.path / "exercises" / "extras.py"
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                "    raise NotImplementedError", "    print(x)\n    raise NotImplementedError"
            ),
            encoding="utf-8",
        )
    elif mistake == "out-of-order":
        course = kata.path / "tests" / "course.py"
        edit(course, cubic_entry(kata) + QUARTIC_HINT, QUARTIC_HINT + cubic_entry(kata))
    else:
        for package in ("exercises", "reference"):
            path = kata.path / package / "extras.py"
            path.write_text(path.read_text(encoding="utf-8").replace("By hand\n-------\n", ""), encoding="utf-8")
    checked = kata.pytest("--self-check", "-m", "not exercise")
    assert checked.returncode == 1, checked.stdout[-2000:]
    assert message in checked.stdout, checked.stdout[-4000:]
