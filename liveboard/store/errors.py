"""The store's errors: each is shown to the user as one line."""

from __future__ import annotations

from liveboard.errors import DataProblem


class StoreError(DataProblem):
    """A user-facing problem with the store (locked, unreadable, damaged, refused write)."""


class NoStoreError(StoreError):
    """There is no store at the path (a page offers to create one; a damaged store is another StoreError)."""


class OldLayoutError(StoreError):
    """A store written by liveboard before the Delta Lake layout."""
