"""The README's course table and counts, made from tests/course.py and the lessons, so the README cannot drift.

    python -m tests.kata.readme          rewrite README.md where it is stale
    python -m tests.kata.readme --check  exit 1 if README.md is stale (CI runs this)

It rewrites the table between the markers below, and in the sample outputs every `autograd-kata: K/T solved`
total T.
"""

import argparse
import re
import sys

from tests.course import COURSE
from tests.kata.course import EXERCISES, ROOT, lesson

README = ROOT / "README.md"
BEGIN = "<!-- course table: made by `python -m tests.kata.readme`; edit tests/course.py and the lessons -->"
END = "<!-- end of course table -->"


def course_table() -> str:
    rows = [
        f"| `{module}` | {lesson(module, 'exercises').splitlines()[0].partition(': ')[2]} | {', '.join(exercises)} |"
        for module, exercises in COURSE.items()
    ]
    return "\n".join(
        [
            f"{len(COURSE)} modules, {len(EXERCISES)} exercises, in this order:",
            "",
            "| module | what it teaches | exercises |",
            "| --- | --- | --- |",
            *rows,
        ]
    )


def updated(text: str) -> str:
    total = len(EXERCISES)
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    text = f"{text[:start]}\n{course_table()}\n{text[end:]}"
    return re.sub(r"autograd-kata: (\d+)/\d+ solved", rf"autograd-kata: \1/{total} solved", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is stale instead of rewriting it")
    check = parser.parse_args().check
    text = README.read_text(encoding="utf-8")
    fresh = updated(text)
    if fresh == text:
        return 0
    if check:
        print("README.md is stale: run `python -m tests.kata.readme` and commit the result", file=sys.stderr)
        return 1
    README.write_text(fresh, encoding="utf-8")
    print("README.md: course table and counts rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
