"""Alternatives for exercises/forward_mode.py, written from its docstrings alone (by a later helper)."""

ALTERNATIVES = {}
