# The package's names, for type checkers and for lazy_loader.attach_stub (liveboard/__init__.py), which imports
# each on first use.
from .metrics import REGISTRY as REGISTRY
from .metrics import glossary as glossary
from .store import Store as Store
from .store import StoreError as StoreError
from .workbench import InputError as InputError
from .workbench import SessionData as SessionData
from .workbench import Workbench as Workbench
from .workbench import open as open

__all__ = ["REGISTRY", "InputError", "SessionData", "Store", "StoreError", "Workbench", "glossary", "open"]
__version__: str
