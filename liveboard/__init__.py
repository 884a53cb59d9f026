"""liveboard: analytics for TikTok Shop LIVE sessions — live board, LIVE Analytics, post-LIVE reports."""

from liveboard.metrics import REGISTRY, glossary
from liveboard.store import Store, StoreError
from liveboard.workbench import InputError, SessionData, Workbench, open

__all__ = ["REGISTRY", "InputError", "SessionData", "Store", "StoreError", "Workbench", "glossary", "open"]
__version__ = "0.1.0"
