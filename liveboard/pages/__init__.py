"""The pages: the one layer that opens the store, builds live sources and the writer, wires the report runner,
and hands the views their data and callbacks.

Every page has the same entry point, ``app(store=None, query=None, **params) -> widget``: ``query`` is the
page's query string (read from Voilà's request when None), ``params`` the notebook's parameters; both are read
by :mod:`liveboard.pages.params`, the one parser, with the one session-id rule of :mod:`liveboard.ids`.
"""
