"""liveboard/store_admin.py: the ``liveboard store info | check | repair`` command group on a small store."""

from __future__ import annotations

import datetime as dt
import json

from logbuilder import BASE

from liveboard import store_admin
from liveboard.cli import main
from liveboard.simulator import simulate_session
from liveboard.store import Store


def small_store(tmp_path):
    root = tmp_path / "store"
    events = simulate_session("a1", "glow.lab", BASE + dt.timedelta(hours=1), 300, seed=4, scale=0.05)
    Store(root, create=True).append(events)
    return root, events.num_rows


def test_check_info_and_repair_through_the_command_line(tmp_path, capsys):
    root, rows = small_store(tmp_path)
    result = store_admin.check(root)
    assert result.ok and result.version == 1 and result.files >= 1
    capsys.readouterr()
    assert main(["store", "check", "--store", str(root)]) == 0
    assert capsys.readouterr().out.startswith(f"{root}: OK — version 1")
    assert main(["store", "info", "--format", "json", "--store", str(root)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sessions"]["count"] == 1
    assert next(t for t in data["tables"] if t["table"] == "events")["rows"] == rows
    assert main(["store", "repair", "--store", str(root)]) == 0
    assert "nothing to repair" in capsys.readouterr().out
