"""Errors shown to users as one line (never a traceback)."""

from __future__ import annotations


class InputError(ValueError):
    """A parameter from outside (CLI, URL, widget) that cannot be used; the message says which and why."""
