"""Tests of liveboard/shop_report.py: the lines ``liveboard sync shop`` prints."""

from __future__ import annotations

from liveboard.cli import main


def test_an_empty_range_says_so(shop_env, capsys, tmp_path):
    assert main(["sync", "shop", "--since", "2025-01-01", "--until", "2025-01-31", "--store", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "api: 0 session(s) from 2025-01-01 to 2025-01-31" in out and "no LIVE sessions in this date range" in out
