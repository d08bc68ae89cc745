"""The kata's shape: exercises/ and reference/ mirror each other and the course, and stubs only raise.

Read with ast, never imported, so that this passes in both modes without loading the other side's code.
"""

import ast
import re
from pathlib import Path

import pytest

from tests.course import COURSE
from tests.kata.course import ROOT

STUB_BODY = "raise NotImplementedError"


def public_definitions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.ClassDef]:
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
    }


def functions_within(node: ast.FunctionDef | ast.ClassDef) -> list[ast.FunctionDef]:
    return [node] if isinstance(node, ast.FunctionDef) else [n for n in node.body if isinstance(n, ast.FunctionDef)]


def shape(node: ast.FunctionDef | ast.ClassDef) -> list[tuple[str, str, str | None]]:
    """What must match between stub and solution: names, signatures and docstrings, of a function or class."""
    return [(node.name, "", ast.get_docstring(node))] + [
        (
            fn.name,
            ast.unparse(fn.args) + " -> " + (ast.unparse(fn.returns) if fn.returns else ""),
            ast.get_docstring(fn),
        )
        for fn in functions_within(node)
    ]


def body_after_docstring(fn: ast.FunctionDef) -> str:
    body = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
    return "\n".join(ast.unparse(statement) for statement in body)


def parsed(package: str, module: str) -> ast.Module | None:
    try:
        return ast.parse((ROOT / package / f"{module}.py").read_text(encoding="utf-8"))
    except SyntaxError:
        return None


def is_stub(node: ast.FunctionDef | ast.ClassDef) -> bool:
    return all(body_after_docstring(fn) == STUB_BODY for fn in functions_within(node))


@pytest.mark.parametrize("module", COURSE)
def test_exercises_mirror_reference(module, request):
    """Same public names, signatures and docstrings on both sides, in course order; stubs only raise."""
    stubs, solutions = parsed("exercises", module), parsed("reference", module)
    if not request.config.getoption("reference") and not (
        stubs and all(map(is_stub, public_definitions(stubs).values()))
    ):
        pytest.skip(f"exercises/{module}.py holds the learner's work now; this checks the pristine kata")
    assert stubs is not None and solutions is not None, f"{module}: a side does not parse"
    assert ast.get_docstring(stubs) and ast.get_docstring(stubs) == ast.get_docstring(solutions), (
        f"{module}: module docstrings differ or are missing"
    )
    stub_defs, solution_defs = public_definitions(stubs), public_definitions(solutions)
    assert list(stub_defs) == list(solution_defs) == list(COURSE[module]), "course, exercises/, reference/ disagree"
    for name, stub in stub_defs.items():
        assert shape(stub) == shape(solution_defs[name]), f"{module}.{name}: signature or docstring differs"
        assert all(ast.get_docstring(fn) for fn in functions_within(stub)), f"{module}.{name}: docstring missing"
        assert is_stub(stub), f"{module}.{name}: a stub's body is `{STUB_BODY}` and nothing else"


def test_every_exercise_has_tests():
    marked = re.findall(
        r"exercise\(\"([\w.]+)\"\)", "".join(p.read_text() for p in Path(ROOT, "tests").glob("test_*.py"))
    )
    course_ids = [f"{module}.{name}" for module, names in COURSE.items() for name in names]
    assert sorted(set(marked)) == sorted(course_ids), "each exercise in tests/course.py needs a marked test"
