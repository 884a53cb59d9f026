"""liveboard/defaults.py: where the store is when nobody says, defined once for the command line, the store and
the dashboards' server."""

from __future__ import annotations

from pathlib import Path

from liveboard import defaults, serve, store


def test_the_store_is_the_environments_or_data_store(monkeypatch):
    monkeypatch.delenv(defaults.STORE_ENV, raising=False)
    assert defaults.default_store_path() == Path("data/store") == defaults.DEFAULT_STORE
    monkeypatch.setenv(defaults.STORE_ENV, "/srv/shop/store")
    assert defaults.default_store_path() == Path("/srv/shop/store")
    monkeypatch.setenv(defaults.STORE_ENV, "")  # set but empty: as if unset
    assert defaults.default_store_path() == Path("data/store")


def test_one_definition_serves_the_store_and_the_server(monkeypatch, tmp_path):
    assert store.default_store_path is defaults.default_store_path and store.DEFAULT_STORE is defaults.DEFAULT_STORE
    assert serve.STORE_ENV == defaults.STORE_ENV == "LIVEBOARD_STORE"
    monkeypatch.setenv(defaults.STORE_ENV, str(tmp_path / "s"))
    assert store.Store(create=True).root == tmp_path / "s"  # a Store with no root opens the environment's
