"""Fixtures for driving the kata as a learner would: a fresh pytest process on a temporary copy of the repo.

These tests take seconds each (every process imports torch), so tests/tooling runs only when named:
`pytest tests/tooling`, as .ci/run does.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kata.course import BY_ID, ROOT

COPIED = ("exercises", "reference", "tests", "conftest.py", "pyproject.toml", "README.md", ".github")


class KataCopy:
    """A throwaway copy of the kata that a test can solve exercises in and run pytest on."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def replace_body(self, exercise_id: str, body: str) -> None:
        """Give one stub another body, as a learner mid-way would."""
        exercise = BY_ID[exercise_id]
        stub_file = self.path / exercise.relpath("exercises")
        text = stub_file.read_text(encoding="utf-8")
        stub = definition_source(stub_file, exercise.name)
        stub_file.write_text(text.replace(stub, stub.replace("raise NotImplementedError", body)), encoding="utf-8")

    def solve(self, exercise_id: str) -> None:
        """Replace one stub with its reference solution, as a learner who got it right would."""
        exercise = BY_ID[exercise_id]
        solution = definition_source(exercise.path("reference"), exercise.name)
        stub_file = self.path / exercise.relpath("exercises")
        stub = definition_source(stub_file, exercise.name)
        stub_file.write_text(stub_file.read_text(encoding="utf-8").replace(stub, solution), encoding="utf-8")

    def line(self, exercise_id: str) -> int:
        """The line of an exercise's def or class in this copy, as the learner's edits left it."""
        exercise = BY_ID[exercise_id]
        text = (self.path / exercise.relpath("exercises")).read_text(encoding="utf-8")
        return definition_line(text, exercise.name)

    def solve_all(self) -> None:
        """Every exercise solved, as by a learner who finished the course: exercises/ becomes reference/."""
        for solution in (self.path / "reference").glob("*.py"):
            shutil.copy(solution, self.path / "exercises" / solution.name)

    def prepend_to_body(self, exercise_id: str, code: str) -> None:
        """Put `code` first in an exercise's function body, after its docstring (a method's, for a class)."""
        exercise = BY_ID[exercise_id]
        path = self.path / exercise.relpath("exercises")
        text = path.read_text(encoding="utf-8")
        node = next(n for n in ast.parse(text).body if getattr(n, "name", None) == exercise.name)
        function = node if isinstance(node, ast.FunctionDef) else next(n for n in node.body if n.name == "forward")
        first = function.body[1] if ast.get_docstring(function) else function.body[0]
        lines = text.splitlines(keepends=True)
        indent = " " * first.col_offset
        lines.insert(first.lineno - 1, "".join(f"{indent}{line}\n" for line in code.splitlines()))
        path.write_text("".join(lines), encoding="utf-8")

    def append_to_module(self, module: str, code: str) -> None:
        """Top-level code at the end of a learner module: it runs when the kata imports the module."""
        path = self.path / "exercises" / f"{module}.py"
        path.write_text(path.read_text(encoding="utf-8") + "\n" + code + "\n", encoding="utf-8")

    def pytest(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pytest", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def definition_line(text: str, name: str) -> int:
    return next(n.lineno for n in ast.parse(text).body if getattr(n, "name", None) == name)


def definition_source(path: Path, name: str) -> str:
    text = path.read_text(encoding="utf-8")
    node = next(n for n in ast.parse(text).body if getattr(n, "name", None) == name)
    return ast.get_source_segment(text, node)


def copy_kata(path: Path) -> KataCopy:
    """Copy what a learner's clone holds (without tests/tooling) into path."""
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=shutil.ignore_patterns("__pycache__", "tooling"))
        else:
            shutil.copy(source, path / name)
    return KataCopy(path)


@pytest.fixture
def kata_copy(tmp_path: Path) -> KataCopy:
    return copy_kata(tmp_path)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A fresh process per test pays torch's import: give these more than the exercises' few seconds."""
    for item in items:
        if Path(__file__).parent in item.path.parents:
            item.add_marker(pytest.mark.timeout(180))
