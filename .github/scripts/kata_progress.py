"""Read `pytest --progress-json` output in GitHub Actions: annotate the learner's lines, or check a whole run.

kata_progress.py annotate PATH   learner CI: mark the learner's lines that need work

two_way_check.py, the maintainers' check, uses `unexpected` for the whole run.
"""

import argparse
import json
import sys

ATTEMPTED = ("failed", "error", "timeout")


def escaped(text: str, *, in_property: bool = False) -> str:
    """GitHub's workflow-command escapes, so that a message's own % or newline cannot end it early."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if in_property else text


def annotation(kind: str, exercise: dict, title: str, message: str) -> str:
    """An annotation on the exercise's own line: the run page lists it, a pull request shows it in place."""
    where = {"file": exercise["file"], "line": exercise["line"], "title": title}
    properties = ",".join(f"{key}={escaped(str(value), in_property=True)}" for key, value in where.items())
    return f"::{kind} {properties}::{escaped(message)}"


def annotate(report: dict) -> list[str]:
    """An error on each exercise tried but not solved yet, and a notice on the next one if it is not started.

    Exercises not started yet get nothing beyond that notice: they are the kata's normal state, not mistakes.
    """
    lines = [
        annotation(
            "error",
            exercise,
            f"{exercise['id']}: {exercise['status']}",
            f"{exercise.get('cause') or exercise['status']}. "
            "Locally, `pytest --next` runs it alone and `pytest --hint` gives a hint.",
        )
        for exercise in report["exercises"]
        if exercise["status"] in ATTEMPTED
    ]
    upcoming = next((exercise for exercise in report["exercises"] if exercise["status"] != "solved"), None)
    if upcoming is not None and upcoming["status"] == "todo":
        lines.append(
            annotation(
                "notice",
                upcoming,
                f"Next: {upcoming['id']}",
                f"Next up: {upcoming['id']}, not started yet. `pytest --next` shows its task.",
            )
        )
    lines.append(f"autograd-kata: {report['solved']}/{report['total']} solved")
    return lines


def unexpected(report: dict, wanted: str) -> list[str]:
    """Why the run does not leave every exercise `wanted` (none of the lines when it does)."""
    lines = []
    if len(report["exercises"]) != report["total"]:
        lines.append(f"::error::only {len(report['exercises'])} of {report['total']} exercises ran")
    for exercise in report["exercises"]:
        status = exercise["status"]
        if status == wanted:
            continue
        if wanted == "solved":
            message = f"the reference solution of {exercise['id']} is {status}: the reference must solve it"
        elif status == "solved":
            message = (
                f"{exercise['id']} is solved: solutions don't belong upstream. Keep them in your fork and "
                "send only the stubs (`raise NotImplementedError`) in a pull request to autograd-kata."
            )
        else:
            message = f"{exercise['id']} is {status}, not todo: upstream, exercises/ holds only the stubs"
        lines.append(annotation("error", exercise, f"{exercise['id']}: {status}", message))
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("annotate").add_argument("path")
    args = parser.parse_args(argv)
    with open(args.path, encoding="utf-8") as file:
        report = json.load(file)
    print("\n".join(annotate(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
