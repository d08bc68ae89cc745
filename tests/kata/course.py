"""The course as objects: each exercise of tests/course.py with the file, line and docstring it has."""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from tests.course import COURSE

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("exercises", "reference")


@dataclass(frozen=True)
class Exercise:
    module: str
    name: str
    hint: str
    uses: tuple[str, ...] = ()  # ids of earlier exercises whose learner code this one calls

    @property
    def id(self) -> str:
        return f"{self.module}.{self.name}"

    def path(self, package: str) -> Path:
        return ROOT / package / f"{self.module}.py"

    def relpath(self, package: str) -> str:
        return f"{package}/{self.module}.py"

    def line(self, package: str) -> int:
        """The line of the def or class, found by text so that a file with a syntax error still has one."""
        try:
            text = self.path(package).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return 1
        match = re.search(rf"^(?:def|class)\s+{self.name}\b", text, re.MULTILINE)
        return text.count("\n", 0, match.start()) + 1 if match else 1

    def location(self, package: str) -> str:
        return f"{self.relpath(package)}:{self.line(package)}"

    def docstring(self, package: str) -> str:
        """The task as the file states it, read without importing the learner's code."""
        try:
            tree = ast.parse(self.path(package).read_text(encoding="utf-8", errors="replace"))
        except (OSError, SyntaxError, ValueError):
            return ""
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == self.name:
                return ast.get_docstring(node) or ""
        return ""


def exercise(module: str, name: str, entry: str | dict) -> Exercise:
    """An entry of tests/course.py: its hint, or {"hint": ..., "uses": [ids of earlier exercises]}."""
    if isinstance(entry, str):
        return Exercise(module, name, entry)
    return Exercise(module, name, entry["hint"], tuple(entry.get("uses", ())))


EXERCISES: tuple[Exercise, ...] = tuple(
    exercise(module, name, entry) for module, exercises in COURSE.items() for name, entry in exercises.items()
)
BY_ID: dict[str, Exercise] = {exercise.id: exercise for exercise in EXERCISES}
ORDER: dict[str, int] = {exercise.id: index for index, exercise in enumerate(EXERCISES)}
