"""The LIVE Analytics page: opens the store, wires the report runner, and hands
:class:`~liveboard.views.analytics.LiveAnalytics` its workbench and callbacks.

What ``notebooks/live_analytics.ipynb`` displays::

    from liveboard.pages.analytics import app
    app(store, session=session, account=account, now=now, tz=tz)

In JupyterLab, ``view(liveboard.open())`` is the same page as an object (``.show()``, ``.open_session(id)``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import ipywidgets as W

import liveboard
from liveboard.errors import InputError
from liveboard.pages import reports
from liveboard.pages.params import (
    Query,
    account_param,
    page_params,
    query_account,
    query_session,
    request_query_string,
    session_param,
    under_voila,
)
from liveboard.store import NoStoreError, OldLayoutError, StoreError, default_store_path
from liveboard.views.analytics import LiveAnalytics
from liveboard.views.widgets import error_html, html, macros, style
from liveboard.workbench import Workbench

__all__ = ["LiveAnalytics", "app", "query_account", "query_session", "request_query_string", "view"]

log = logging.getLogger(__name__)


def view(wb: Workbench, **options: Any) -> LiveAnalytics:
    """LIVE Analytics over ``wb`` with the reports wired: each session's "Generate report" button and the
    Reports tab list the reports beside the store (``$LIVEBOARD_REPORTS`` else ``reports/``)."""
    tz = options.get("tz")
    return LiveAnalytics(
        wb,
        report_button=lambda sid: reports.report_button(wb, sid, timezone=tz or "UTC"),
        report_list=lambda: reports.ReportList(store=wb.store.root),
        **options,
    )


def store_missing_message(path: object) -> str:
    """The page's message when there is no store at ``path``: how to make one (the path escaped)."""
    return macros("analytics/page.html.j2").no_store(str(path))


def _error_page(message_html: str, query: Query) -> W.Widget:
    """A page that says what went wrong (after the request, so a preheated kernel still serves it)."""
    if query is None:
        request_query_string()
    return W.VBox([style(), html(message_html, "lb-error")])


def app(store: str | os.PathLike | None = None, query: Query = None, **params: object) -> W.Widget:
    """The LIVE Analytics page. ``params``: ``session`` (opens that session's board), ``account`` (that
    account's sessions), ``now`` ("today" for the time ranges), ``tz`` (display zone); each may come from the
    query string too (``?session=ID``, ``?account=ID``), read under Voilà when ``query`` is None.

    ``store`` defaults to ``$LIVEBOARD_STORE`` or ``./data/store``. Under a preheated Voilà kernel everything
    up to the request (imports, the sessions catalog, the list) runs before any page is requested; after it
    the catalog is re-read only if the store changed meanwhile, "now" is taken again, and the URL's session
    is opened.
    """
    path = store or default_store_path()
    now, tz = str(params.get("now") or "") or None, str(params.get("tz") or "") or None
    try:
        wb = liveboard.open(path)
    except OldLayoutError as exc:  # says how to upgrade
        return _error_page(error_html(str(exc)), query)
    except NoStoreError:
        return _error_page(store_missing_message(path), query)
    except StoreError as exc:  # names what is damaged and how to repair it
        return _error_page(error_html(str(exc)), query)
    try:
        # a notebook's account is chosen at once (if the store has it); the URL's is opened after the request
        account = str(params.get("account") or "") or None
        page = view(wb, account=account, now=now, tz=tz, session_links=under_voila())
    except StoreError as exc:  # a damaged store: the message names what and how to repair it
        return _error_page(error_html(str(exc)), query)
    except Exception as exc:  # noqa: BLE001 - a page shows a message, never a traceback
        log.exception("reading the store %s failed", path)
        msg = f"The store at {path} could not be read ({type(exc).__name__}). The server log has the details."
        return _error_page(error_html(msg), query)
    problem, sid, account = "", None, None
    try:
        raw = page_params(query if query is not None else request_query_string())  # waits for the request
        from_url, account = session_param(raw.get("session")), account_param(raw.get("account"))
    except InputError as exc:
        from_url, problem = None, str(exc)
    page.refresh_for_request(now=now)
    try:
        sid = session_param(params.get("session")) or from_url
    except InputError as exc:
        problem = str(exc)
    if problem:
        page.nav.value = "detail"
        page.detail_box.children = [html(error_html(problem), "lb-error")]
    elif sid:
        page.open_session(sid)
    elif account:
        page.open_account(account)
    return page.widget
