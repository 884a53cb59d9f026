"""Where the store is when nobody says: ``$LIVEBOARD_STORE``, else ``./data/store``.

Light on purpose (no pandas, no store code): the command line reads it before it loads anything else, so that
``liveboard report`` can start its kernel first.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The environment variable that names the store (the dashboards' kernels find it there too).
STORE_ENV = "LIVEBOARD_STORE"
DEFAULT_STORE = Path("data/store")


def default_store_path() -> Path:
    """The store folder: ``$LIVEBOARD_STORE`` when set and not empty, else ``data/store`` under the current folder."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)
