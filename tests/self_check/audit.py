"""What the self-checks find wrong with the kata's own pieces, each problem one line naming the file, the line or
the exercise, and the fix. Pure functions of the sources and listings, so tests/self_check/test_audit.py can show
that each mistake an instructor makes is caught."""

import ast
import importlib
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from tests.kata.checks import Rejects
from tests.kata.course import Exercise

STUB_BODY = "raise NotImplementedError"
Definition = ast.FunctionDef | ast.ClassDef


def public_definitions(tree: ast.Module) -> dict[str, Definition]:
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
    }


def functions_within(node: Definition) -> list[ast.FunctionDef]:
    return [node] if isinstance(node, ast.FunctionDef) else [n for n in node.body if isinstance(n, ast.FunctionDef)]


def signature(fn: ast.FunctionDef) -> str:
    return f"({ast.unparse(fn.args)}) -> {ast.unparse(fn.returns) if fn.returns else ''}"


def body_after_docstring(fn: ast.FunctionDef) -> str:
    body = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
    return "\n".join(ast.unparse(statement) for statement in body)


def first_difference(first: str, second: str) -> str:
    """Where two texts first differ: the line number and both lines."""
    if first.splitlines() == second.splitlines():
        return "the end: one is missing"
    for number, (a, b) in enumerate(zip(first.splitlines(), second.splitlines()), start=1):
        if a != b:
            return f"line {number}: {a.strip()!r} vs {b.strip()!r}"
    shorter, longer = sorted((first.splitlines(), second.splitlines()), key=len)
    return f"line {len(shorter) + 1}: one ends, the other goes on with {longer[len(shorter)].strip()!r}"


def parsed(path: str, text: str) -> tuple[ast.Module | None, str | None]:
    try:
        return ast.parse(text), None
    except SyntaxError as error:
        return None, f"{path}:{error.lineno}: does not parse ({error.msg}): fix the syntax"


def mirror_problems(module: str, stubs_text: str, solutions_text: str, names: list[str]) -> list[str]:
    """How exercises/<module>.py and reference/<module>.py fail to mirror each other and the course's `names`."""
    stub_path, solution_path = f"exercises/{module}.py", f"reference/{module}.py"
    stubs, stub_error = parsed(stub_path, stubs_text)
    solutions, solution_error = parsed(solution_path, solutions_text)
    if stubs is None or solutions is None:
        return [error for error in (stub_error, solution_error) if error]
    problems = []
    lesson, solution_lesson = ast.get_docstring(stubs), ast.get_docstring(solutions)
    if not lesson or not solution_lesson:
        empty = stub_path if not lesson else solution_path
        problems.append(f"{empty}:1: no module docstring: open the module with its lesson (see README)")
    elif lesson != solution_lesson:
        problems.append(
            f"{stub_path} and {solution_path}: the module docstrings (the lesson) differ at "
            f"{first_difference(lesson, solution_lesson)}: make them identical"
        )
    stub_defs, solution_defs = public_definitions(stubs), public_definitions(solutions)
    for path, defs in ((stub_path, stub_defs), (solution_path, solution_defs)):
        problems += [
            f"{path}: `{name}` is missing; tests/course.py lists it: define it" for name in names if name not in defs
        ]
        problems += [
            f"{path}:{node.lineno}: `{name}` is not in tests/course.py's {module}: list it there (or name it _{name})"
            for name, node in defs.items()
            if name not in names
        ]
        listed = [name for name in defs if name in names]
        if listed != [name for name in names if name in defs]:
            problems.append(
                f"{path} defines {', '.join(listed)} in that order; tests/course.py lists "
                f"{', '.join(names)}: put the definitions in the course's order"
            )
    for name in (name for name in names if name in stub_defs and name in solution_defs):
        problems += definition_problems(stub_path, stub_defs[name], solution_path, solution_defs[name])
    return problems


def definition_problems(stub_path: str, stub: Definition, solution_path: str, solution: Definition) -> list[str]:
    """How a stub fails to mirror its solution (names, signatures, docstrings) or to be only a stub."""
    problems = []
    where = f"{stub_path}:{stub.lineno} `{stub.name}`"
    if ast.get_docstring(stub) != ast.get_docstring(solution):
        problems.append(
            f"{where}: its docstring differs from {solution_path}:{solution.lineno}'s, at "
            f"{first_difference(ast.get_docstring(stub) or '', ast.get_docstring(solution) or '')}: make them identical"
        )
    stub_functions = {fn.name: fn for fn in functions_within(stub)}
    solution_functions = {fn.name: fn for fn in functions_within(solution)}
    if list(stub_functions) != list(solution_functions):
        problems.append(
            f"{where}: its methods {list(stub_functions)} differ from {solution_path}'s {list(solution_functions)}"
        )
    for name in (name for name in stub_functions if name in solution_functions):
        fn, reference = stub_functions[name], solution_functions[name]
        label = f"{stub_path}:{fn.lineno} `{stub.name}{'' if fn is stub else '.' + name}`"
        if signature(fn) != signature(reference):
            problems.append(
                f"{label}: its signature {signature(fn)} differs from {solution_path}:{reference.lineno}'s "
                f"{signature(reference)}: copy the reference's"
            )
        if not ast.get_docstring(fn):
            problems.append(f"{label}: no docstring: state the math, inputs, return and an example")
        if body_after_docstring(fn) != STUB_BODY:
            extra = body_after_docstring(fn).splitlines()[0] if body_after_docstring(fn) else "nothing"
            problems.append(
                f"{label}: a stub's body is `{STUB_BODY}` and nothing else; it has `{extra}`: "
                "move the code to the reference"
            )
    return problems


def course_problems(exercises: Iterable[Exercise]) -> list[str]:
    """Hints and declared dependencies in tests/course.py that do not work."""
    problems = []
    seen: list[str] = []
    for exercise in exercises:
        if len(exercise.hint.split()) < 5:
            problems.append(f"tests/course.py: {exercise.id}'s hint {exercise.hint!r} says nothing: write a real hint")
        for used in exercise.uses:
            if used not in seen:
                problems.append(
                    f"tests/course.py: {exercise.id} uses {used!r}, which is not an earlier exercise of the "
                    "course: name one that comes before it"
                )
        seen.append(exercise.id)
    return problems


def exercise_of(test: Callable[..., Any]) -> str | None:
    return next((mark.args[0] for mark in getattr(test, "pytestmark", []) if mark.name == "exercise"), None)


def near_miss_listing(module: str, namespace: dict[str, Any]) -> tuple[dict[str, Rejects], list[str]]:
    """The near misses a test module lists, by exercise, and what is wrong with the listing."""
    found: dict[str, tuple[str, Rejects]] = {}
    problems = []
    for variable, rejects in ((k, v) for k, v in namespace.items() if isinstance(v, Rejects)):
        where = f"tests/test_{module}.py: {variable}"
        exercise = exercise_of(rejects.check)
        if exercise is None:
            problems.append(
                f"{where}: rejects({rejects.check.__name__}) names a test without @pytest.mark.exercise: mark it"
            )
            continue
        if not rejects.near_misses:
            problems.append(f"{where}: lists no near miss for {exercise}: add NearMiss(...) entries")
        if exercise in found:
            problems.append(
                f"{where}: a second near-miss list for {exercise} (the first is {found[exercise][0]}): "
                "merge them into one rejects(...)"
            )
            continue
        generic = [miss.label for miss in rejects.near_misses if miss.cause.strip() in ("", "expected", "got")]
        if generic:
            problems.append(
                f"{where}: near misses {', '.join(generic)} accept the bare cause; make each cause name the mistake "
                "(a `likely=` entry in the check gives the message words to match)"
            )
        found[exercise] = (variable, rejects)
    return {exercise: rejects for exercise, (_, rejects) in found.items()}, problems


def near_misses(course: dict[str, Any]) -> tuple[dict[str, Rejects], list[str]]:
    found, problems = {}, []
    for module in course:
        listed, wrong = near_miss_listing(module, vars(importlib.import_module(f"tests.test_{module}")))
        found.update(listed)
        problems += wrong
    return found, problems


def checks(course: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    """Each exercise id with the test that checks it."""
    found = {}
    for module in course:
        for value in vars(importlib.import_module(f"tests.test_{module}")).values():
            if inspect.isfunction(value) and exercise_of(value):
                found[exercise_of(value)] = value
    return found


def alternatives(course: dict[str, Any]) -> dict[str, list[tuple[str, Callable[..., Any]]]]:
    """Each exercise id with the correct solutions tests/alternatives/ writes differently from the reference."""
    found = {}
    for module in course:
        listed = importlib.import_module(f"tests.alternatives.{module}").ALTERNATIVES
        found.update({f"{module}.{name}": solutions for name, solutions in listed.items()})
    return found
