"""The door into the kata's plugin, which lives in tests/kata/plugin.py."""

pytest_plugins = ["tests.kata.plugin", "tests.kata.plots", "tests.kata.watch"]
