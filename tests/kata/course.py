"""The course as objects: each exercise of tests/course.py with the file, line and docstring it has, and each
module's lesson (its module docstring). All read from the files, never by importing learner code, and read even
from a file that does not parse or is not UTF-8."""

import ast
import functools
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

from tests.course import COURSE

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("exercises", "reference")
# The headed parts of a lesson after its opening idea, in order (tests/self_check/test_lessons.py checks them).
LESSON_PARTS = ("By hand", "In torch", "Traps the tests catch", "Read more")
TRIPLE_QUOTED = re.compile(r"[rRuU]?(\"\"\"|''')(.*?)\1", re.DOTALL)


def source(path: Path) -> str:
    """A file's text as it is now: read again only when the file changed, since every status and message asks."""
    try:
        stat = path.stat()
    except OSError:
        return ""
    key = (stat.st_mtime_ns, stat.st_size)
    if SOURCES.get(path, (None, ""))[0] != key:
        try:
            SOURCES[path] = (key, path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return ""
    return SOURCES[path][1]


SOURCES: dict[Path, tuple[tuple[int, int], str]] = {}


def first_docstring(text: str) -> str:
    """The docstring that opens `text` (a module, or a definition's source), tolerating syntax errors around it."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        # A definition's docstring is the first string after its header; a module's is its first statement.
        match = TRIPLE_QUOTED.search(text) if re.match(r"(def|class)\b", text) else TRIPLE_QUOTED.match(text.lstrip())
        return inspect.cleandoc(match.group(2)) if match else ""
    node = tree.body[0] if tree.body else tree
    return (ast.get_docstring(node) if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else None) or (
        ast.get_docstring(tree) or ""
    )


@functools.lru_cache(maxsize=64)
def definitions_in(text: str) -> dict[str, tuple[int, str]]:
    """Each top-level def or class in `text` by name: its line, and its source up to the next top-level statement."""
    found: dict[str, tuple[int, str]] = {}
    for match in DEFINITION.finditer(text):
        end = TOP_LEVEL.search(text, match.end())
        found.setdefault(
            match.group(1),
            (text.count("\n", 0, match.start()) + 1, text[match.start() : end.start() if end else len(text)]),
        )
    return found


DEFINITION = re.compile(r"^(?:def|class)\s+(\w+)", re.MULTILINE)
TOP_LEVEL = re.compile(r"^[^\s#)\]}]", re.MULTILINE)


def lesson(module: str, package: str) -> str:
    """A module's lesson: the docstring it opens with."""
    return first_docstring(source(module_path(package, module)))


def parts(text: str) -> dict[str, str]:
    """A lesson cut at its headings (a line, then a line of dashes as long): {"": the opening, heading: body}."""
    pieces = re.split(r"^(\S[^\n]*)\n-+\n", text, flags=re.MULTILINE)
    return {"": pieces[0], **dict(zip(pieces[1::2], pieces[2::2]))}


@functools.cache
def module_path(package: str, module: str) -> Path:
    return ROOT / package / f"{module}.py"


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
        return module_path(package, self.module)

    def relpath(self, package: str) -> str:
        return f"{package}/{self.module}.py"

    def definition(self, package: str) -> tuple[int, str]:
        """The line of the def or class and its source up to the next top-level statement, found by text so that
        a file with a syntax error still has them."""
        return definitions_in(source(self.path(package))).get(self.name, (1, ""))

    def line(self, package: str) -> int:
        return self.definition(package)[0]

    def defines(self, package: str, path: str, line: int) -> bool:
        """Whether `line` of the file at `path` lies inside this exercise's definition."""
        if path != str(self.path(package)):
            return False
        start, text = self.definition(package)
        return start <= line < start + text.count("\n") + 1

    def location(self, package: str) -> str:
        return f"{self.relpath(package)}:{self.line(package)}"

    def docstring(self, package: str) -> str:
        """The task as the file states it, read without importing the learner's code."""
        return first_docstring(self.definition(package)[1])


def exercise(module: str, name: str, entry: str | dict) -> Exercise:
    """An entry of tests/course.py: its hint, or {"hint": ..., "uses": [ids of earlier exercises]}."""
    if isinstance(entry, str):
        return Exercise(module, name, entry)
    return Exercise(module, name, entry["hint"], tuple(entry.get("uses", ())))


EXERCISES: tuple[Exercise, ...] = tuple(
    exercise(module, name, entry) for module, exercises in COURSE.items() for name, entry in exercises.items()
)
BY_ID: dict[str, Exercise] = {exercise.id: exercise for exercise in EXERCISES}
BY_MODULE: dict[str, list[Exercise]] = {module: [e for e in EXERCISES if e.module == module] for module in COURSE}
ORDER: dict[str, int] = {exercise.id: index for index, exercise in enumerate(EXERCISES)}
