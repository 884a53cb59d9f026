"""One LIVE, one session, as the store keeps it: the reads (trend, products) of sessions known by their sources,
the source tables kept through pruning and beside stray files, the CLI's formats of summary-only sessions, the
session-id rule of the workbench, and an unreadable commit log.

How ``Store.put_source`` links a source's rows to sessions and merges their figures (matching, precedence,
derived metrics, missing stays missing, idempotency, what a change reports, the cells read) is the rule of
liveboard.provenance, tested in tests/test_provenance.py; the helpers both use are in tests/sources_helpers.py.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from logbuilder import LogBuilder, import_files
from sources_helpers import _trend, api_row, events_session, sessions, store, summaries

import liveboard
from liveboard.cli import main
from liveboard.listings import sessions_csv_frame
from liveboard.store import Store

# ------------------------------------------------------------------ reads


def test_trend_of_a_session_without_events_prefers_the_api(tmp_path):
    s = store(tmp_path)
    s.put_source("export", summaries([api_row("x", start=0)]), trends=_trend("x", 300, 2, views=50))
    trend = liveboard.open(tmp_path / "s").session("x").trend()
    assert trend["interval_s"].tolist() == [300, 300] and trend["source"].tolist() == ["export", "export"]
    assert trend["minute"].tolist() == [0, 5]
    s.put_source("api", summaries([api_row("1", start=0)]), trends=_trend("1", 60, 3, views=10, gmv="1.00"))
    trend = liveboard.open(tmp_path / "s").session("x").trend()
    assert trend["source"].tolist() == ["api"] * 3 and trend["views"].tolist() == [10, 10, 10]
    assert {"ts", "gmv", "sku_orders", "views", "online", "interval_s", "source"} <= set(trend.columns)
    assert trend["sku_orders"].isna().all()  # not given: missing, not 0


def test_trend_of_a_session_with_events_comes_from_its_events(tmp_path):
    events_session(tmp_path, "room42", t0_min=0)
    store(tmp_path).put_source("api", summaries([api_row("1", start=0)]), trends=_trend("1", 60, 3, views=99))
    trend = liveboard.open(tmp_path / "s").session("room42").trend()
    assert "source" not in trend.columns and int(trend["views"].sum()) == 1


def test_products_fall_back_to_the_source_and_fill_names(tmp_path):
    products = pa.table(
        {
            "source_key": ["x", "x"],
            "product_id": ["p1", "p2"],
            "name": ["Lipstick", "Serum"],
            "clicks": [10, 4],
            "impressions": [100, None],
            "gmv": ["20.00", "5.00"],
        }
    )
    s = store(tmp_path)
    s.put_source("export", summaries([api_row("x", start=0)]), products=products)
    df = liveboard.open(tmp_path / "s").session("x").products()
    assert df["product_id"].tolist() == ["p1", "p2"] and df["name"].tolist() == ["Lipstick", "Serum"]
    assert df.loc[0, "ctr"] == pytest.approx(0.1) and pd.isna(df.loc[1, "ctr"]) and pd.isna(df.loc[0, "price"])
    assert df["source"].tolist() == ["export", "export"]
    # events that lack a product's name get it from a source of the same LIVE
    log = LogBuilder("room42")
    log.start(0, account_id="acct1", id="s0")
    log.click(10, "u1", "p1", id="c1")
    log.end(60, id="e0")
    import_files(tmp_path / "s", [log.write(tmp_path / "room42.jsonl")])
    df = liveboard.open(tmp_path / "s").session("room42").products()
    assert df["name"].tolist() == ["Lipstick"] and int(df["clicks"].iloc[0]) == 1


def test_source_tables_outlive_pruning(tmp_path):
    s = store(tmp_path)
    s.put_source("api", summaries([api_row("1", start=0)]), trends=_trend("1", 60, 2, views=1))
    events_session(tmp_path, "other", account="acct9", t0_min=0)
    named = s.snapshot().of("source_summaries")
    for _ in range(25):  # commits that do not touch the source tables (more than a checkpoint interval)
        s.summarize(["other"])
    assert s.snapshot().of("source_summaries") == named
    session = liveboard.open(tmp_path / "s").session("1")
    assert session.trend()["views"].tolist() == [1, 1] and session.sources() == ["api"]
    assert s.put_source("api", summaries([api_row("1", start=0)])).unchanged == ["1"]


def test_sessions_cli_formats_work_with_summary_sessions(tmp_path, capsys):
    events_session(tmp_path, "room42", t0_min=0)
    store(tmp_path).put_source("export", summaries([api_row("far", start=600, gmv="3.00")]))
    frame = sessions_csv_frame(liveboard.open(tmp_path / "s").sessions())
    assert frame.set_index("session_id").loc["far", "gmv"] == "3.00"
    assert pd.isna(frame.set_index("session_id").loc["far", "viewers"])
    capsys.readouterr()
    assert main(["sessions", "--store", str(tmp_path / "s"), "--format", "csv"]) == 0
    far = [r for r in csv.DictReader(io.StringIO(capsys.readouterr().out)) if r["session_id"] == "far"]
    assert far[0]["gmv"] == "3.00" and far[0]["viewers"] == ""
    assert main(["sessions", "--store", str(tmp_path / "s"), "--format", "json"]) == 0
    records = {r["session_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["far"]["gmv"] == "3.00" and records["far"]["viewers"] is None


# ------------------------------------------------------------------ atomicity


def test_files_no_commit_names_are_ignored_and_kept(tmp_path):
    from liveboard import tables

    s = store(tmp_path)
    s.put_source("api", summaries([api_row("1", start=0, gmv=1)]))
    # what a put killed before its commit leaves behind: a data file in the table's folder, in no version
    stray = tables.write_file(tmp_path / "s" / "source_summaries", pa.table({"source": ["api"]}), prefix="stray")
    stray_path = tmp_path / "s" / "source_summaries" / stray.path
    assert liveboard.open(tmp_path / "s").session("1").sources() == ["api"]
    assert float(sessions(tmp_path).loc["1", "gmv"]) == 1.0
    s.put_source("api", summaries([api_row("1", start=0, gmv=2)]))
    assert float(sessions(tmp_path).loc["1", "gmv"]) == 2.0
    assert pq.read_table(stray_path).num_rows == 1  # nothing deletes a file it did not write


# ------------------------------------------------------------------ ids and an unreadable store


def test_the_session_id_rule_applies_to_workbench_session(tmp_path):
    store(tmp_path).put_source("api", summaries([api_row("7300000000000000001", start=0)]))
    wb = liveboard.open(tmp_path / "s")
    assert wb.session("7300000000000000001").sources() == ["api"]
    with pytest.raises(liveboard.InputError, match=re.escape("session: a session id cannot contain '..'")):
        wb.session("../7300000000000000001")
    with pytest.raises(liveboard.InputError, match="session: a session id cannot contain ' '"):
        wb.session("a b")
    with pytest.raises(liveboard.InputError, match="session: no session id given"):
        wb.session("")


def test_an_unreadable_commit_log_is_an_error_not_an_empty_store(tmp_path):
    """EACCES on ``_log`` (which ``Path.glob`` would read as an empty folder) names the folder in one line.
    Root ignores file modes, so the read runs in a child without CAP_DAC_OVERRIDE (as the environment
    tests do)."""
    import subprocess
    import sys

    from test_environment_errors import no_dac_override

    prefix = no_dac_override()
    store(tmp_path).put_source("api", summaries([api_row("1", start=0)]))
    log = tmp_path / "s" / "commits" / "_delta_log"
    code = (
        "import sys\nfrom liveboard.store import Store, StoreError\n"
        "try:\n    Store(sys.argv[1]).snapshot()\n"
        "except StoreError as e:\n    print(e)\n    sys.exit(3)\n"
        "print('read as version', Store(sys.argv[1]).snapshot().version)\n"
    )
    log.chmod(0)
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-c", code, str(tmp_path / "s")], capture_output=True, text=True
        )
    finally:
        log.chmod(0o755)
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and str(log) in lines[0] and "permission denied" in lines[0], lines
    assert Store(tmp_path / "s").snapshot().version == 1  # readable again: the store is intact
