"""Each exercise's status from its tests' reports, and the progress views: terminal, JSON and Markdown."""

import json
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from tests.kata.course import BY_ID, EXERCISES, Exercise

# When an exercise's tests disagree, the status that needs the learner's attention most wins.
PRECEDENCE = ("error", "timeout", "todo", "failed", "solved")
ICONS = {"solved": "✅", "todo": "⬜", "failed": "❌", "error": "💥", "timeout": "⏱️"}


@dataclass
class Result:
    exercise: Exercise
    passed: int = 0
    failed: int = 0
    status: str = "solved"
    cause: str = ""

    def add(self, status: str, cause: str) -> None:
        if status == "solved":
            self.passed += 1
            return
        self.failed += 1
        if PRECEDENCE.index(status) < PRECEDENCE.index(self.status):
            self.status, self.cause = status, cause


class Progress:
    def __init__(self, package: str) -> None:
        self.package = package
        self.results: dict[str, Result] = {}

    def add(self, exercise: Exercise, status: str, cause: str = "") -> None:
        self.results.setdefault(exercise.id, Result(exercise)).add(status, cause)

    def ran(self) -> list[Result]:
        return [self.results[exercise.id] for exercise in EXERCISES if exercise.id in self.results]

    def solved(self) -> int:
        return sum(result.status == "solved" for result in self.results.values())

    def statuses(self, ids: tuple[str, ...]) -> dict[str, str]:
        return {id_: self.results[id_].status for id_ in ids if id_ in self.results}

    def assume(self, statuses: dict[str, str]) -> None:
        """Take these exercises' statuses as known, as another process saw them."""
        for id_, status in statuses.items():
            self.results[id_] = Result(BY_ID[id_], status=status)

    def blamed_on_dependency(self, exercise: Exercise, cause: str) -> str:
        """A failure's cause, prefixed by the earlier exercises it calls that are not solved yet."""
        unsolved = [
            f"`{BY_ID[used].name}` ({self.results[used].status})"
            for used in exercise.uses
            if used in self.results and self.results[used].status != "solved"
        ]
        if not unsolved:
            return cause
        which = "which is not solved yet: solve that" if len(unsolved) == 1 else "which are not solved yet: solve those"
        return f"uses your {', '.join(unsolved)}, {which} first ({cause})"

    def next_up(self) -> Result | None:
        return next((result for result in self.ran() if result.status != "solved"), None)

    def by_module(self) -> list[tuple[str, list[Result]]]:
        return [(module, list(results)) for module, results in groupby(self.ran(), lambda r: r.exercise.module)]

    def module_lines(self) -> list[str]:
        """A line a module: solved/total, then what needs attention by name and how many are not started. The
        modules after the last one started share a line, so that a fresh clone's run fits on a screen."""
        modules = self.by_module()
        started = [any(r.status != "todo" for r in results) for _, results in modules]
        shown = max((index + 1 for index, yes in enumerate(started) if yes), default=0) + 1
        lines = []
        for module, results in modules[:shown]:
            solved = sum(result.status == "solved" for result in results)
            todo = sum(result.status == "todo" for result in results)
            attention = [f"{r.exercise.name} {r.status}" for r in results if r.status not in ("solved", "todo")]
            detail = ", ".join(attention + ([f"{todo} todo"] if todo else [])) or "solved"
            lines.append(f"{module:<22} {solved}/{len(results)}  {detail}")
        rest = modules[shown:]
        if rest:
            count = sum(len(results) for _, results in rest)
            span = rest[0][0] if len(rest) == 1 else f"{rest[0][0]} … {rest[-1][0]}"
            lines.append(f"{len(rest)} more module{'s' if len(rest) > 1 else ''} ({span}), {count} exercises, all todo")
        return lines

    def as_json(self) -> dict:
        return {
            "mode": self.package,
            "solved": self.solved(),
            "total": len(EXERCISES),
            "exercises": [
                {
                    "id": r.exercise.id,
                    "module": r.exercise.module,
                    "file": r.exercise.relpath(self.package),
                    "line": r.exercise.line(self.package),
                    "status": r.status,
                    "passed": r.passed,
                    "failed": r.failed,
                    "cause": r.cause,
                }
                for r in self.ran()
            ],
        }

    def write_json(self, path: str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as file:
            json.dump(self.as_json(), file, indent=2)
            file.write("\n")

    def as_markdown(self) -> str:
        rows = [
            f"| {module} | {sum(r.status == 'solved' for r in results)}/{len(results)} | "
            + " ".join(f"{ICONS[r.status]} `{r.exercise.name}`" for r in results)
            + " |"
            for module, results in self.by_module()
        ]
        title = f"### autograd-kata: {self.solved()}/{len(EXERCISES)} solved"
        head = f"{title}\n\n| module | solved | exercises |\n|---|---|---|"
        legend = " · ".join(f"{icon} {status}" for status, icon in ICONS.items())
        return "\n".join([head, *rows, "", legend, ""])
