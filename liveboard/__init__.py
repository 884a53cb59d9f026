"""liveboard: analytics for TikTok Shop LIVE sessions — live board, LIVE Analytics, post-LIVE reports.

The names of ``__init__.pyi`` are imported on first use (``lazy_loader``, scientific Python's SPEC 1), not with
the package: ``liveboard report`` starts its kernel before pandas, DuckDB and the store are loaded, and every
command starts sooner.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
__version__ = "0.1.0"
