"""liveboard/export_reader.py: Seller Center exports read into tables, through ``liveboard import`` and
without a store: what is refused as a whole (per-day, unknown, no zone, two currencies, no account)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from seller_center_helpers import KL, ROW_A, ROW_B, imp, sessions, write_csv, write_xlsx

from liveboard import seller_center


def test_thai_per_day_export_is_refused(tmp_path, capsys):
    header = ["วันที่", "GMV ที่มาจาก LIVE (฿)", "GMV จาก LIVE (฿)", "GMV โดยอ้อมจาก LIVE (฿)", "ยอดการดูไลฟ์"]
    f = write_xlsx(tmp_path / "th.xlsx", {"Sheet1": [header, ["2026-04-18", "100", "80", "20", "1000"]]})
    rc, _, err = imp(capsys, tmp_path / "st", f)
    assert rc == 2
    assert "a per-day export (one row per date, no 'Launched Time' per session)" in err
    assert sessions(tmp_path / "st").empty


def test_english_per_day_export_is_refused(tmp_path, capsys):
    f = tmp_path / "days.csv"
    f.write_text("Date,LIVE attributed GMV ($),Views,Viewers\n2026-04-18,10.00,100,50\n")
    rc, _, err = imp(capsys, tmp_path / "st", f)
    assert rc == 2 and "per-day export" in err


def test_unknown_layout_names_expected_and_found_columns(tmp_path, capsys):
    f = tmp_path / "orders.csv"
    f.write_text("Order ID,SKU,Quantity\n1,abc,2\n")
    rc, _, err = imp(capsys, tmp_path / "st", f)
    assert rc == 2
    assert "not a Seller Center LIVE export" in err
    assert "expected columns: Creator ID, Creator, Nickname, Launched Time" in err
    assert "found: Order ID, SKU, Quantity" in err
    assert err.count("\n") == 1


def test_missing_and_unknown_time_zone(tmp_path, capsys):
    f = write_csv(tmp_path / "live.csv", [ROW_A])
    rc, _, err = imp(capsys, tmp_path / "st", f, tz=None)
    assert rc == 2
    assert "pass --tz with the shop's time zone, e.g. --tz Asia/Kuala_Lumpur (the amounts are in MYR)" in err
    rc, _, err = imp(capsys, tmp_path / "st", f, tz="Mars/Olympus_Mons")
    assert rc == 2 and "--tz 'Mars/Olympus_Mons': not a time zone" in err
    assert sessions(tmp_path / "st").empty


def test_two_currencies_are_refused(tmp_path, capsys):
    f = tmp_path / "mixed.csv"
    f.write_text(
        "Nickname,Launched Time,LIVE attributed GMV (RM),Average Price ($)\nannb,2026/04/18/ 22:14,1.00,1.00\n"
    )
    rc, _, err = imp(capsys, tmp_path / "st", f)
    assert rc == 2 and "2 currencies (MYR, USD" in err


def test_no_nickname_column_needs_account(tmp_path, capsys):
    f = tmp_path / "live.csv"
    f.write_text("Launched Time,Duration,LIVE attributed GMV (RM),Views\n2026/04/18/ 22:14,2h,10.00,100\n")
    rc, _, err = imp(capsys, tmp_path / "st", f)
    assert rc == 2 and "no 'Nickname' column" in err and "--account" in err
    rc, _, err = imp(capsys, tmp_path / "st", f, extra=["--account", "@AnnB"])
    assert rc == 0, err
    assert list(sessions(tmp_path / "st").index) == ["annb-20260418T1414Z"]


def test_parser_tables_without_a_store(tmp_path):
    p = seller_center.parse_export(write_csv(tmp_path / "l.csv", [ROW_A, ROW_B]), tz=ZoneInfo(KL))
    assert p.kind == "sessions" and p.currency == "MYR"
    t = p.summaries
    assert t.column_names[:4] == ["source_key", "account_id", "start", "end"]
    assert "creator_name" not in t.column_names and "title" not in t.column_names
    assert t["ctor"].to_pylist()[0] == pytest.approx(0.0833) and t["live_ctr"].to_pylist()[0] == pytest.approx(0.0303)
    assert t["sku_orders"].to_pylist() == [36, None]
