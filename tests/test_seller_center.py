"""Seller Center exports (``liveboard import FILE.xlsx|.csv``): one tiny fixture per edge case, end to end
through ``liveboard.cli.main`` into a temporary store, read back with ``liveboard.open``.

End to end, these test liveboard.seller_center (an export's rows into the store, joined to their sessions);
the sheets, the reading of an export and its layouts have their own tests (tests/test_sheets.py,
tests/test_export_reader.py, tests/test_export_layouts.py), the cells theirs in tests/test_cells.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from logbuilder import LogBuilder
from seller_center_helpers import HEADERS, KL, ROW_A, ROW_B, imp, info, run, sessions, write_csv, write_xlsx

import liveboard
from liveboard import seller_center

# ------------------------------------------------------------------ the LIVE analysis export, end to end


def test_csv_with_title_rows_imports_every_figure(tmp_path, capsys):
    st = tmp_path / "st"
    rc, out, err = imp(capsys, st, write_csv(tmp_path / "live.csv", [ROW_A, ROW_B]))
    assert rc == 0, err
    assert "LIVE analysis export (MYR, times in Asia/Kuala_Lumpur): 2 session(s): new 2" in out
    df = sessions(st)
    assert sorted(df.index) == ["annb-20260417T1200Z", "annb-20260418T1414Z"]
    a = df.loc["annb-20260418T1414Z"]
    assert a["account_id"] == "annb"
    assert a["start"] == dt.datetime(2026, 4, 18, 14, 14, tzinfo=dt.UTC)
    assert a["end"] == dt.datetime(2026, 4, 18, 15, 54, tzinfo=dt.UTC)
    assert a["duration_s"] == 6000
    assert Decimal(str(a["gmv"])) == Decimal("512.10")  # LIVE attributed GMV
    assert Decimal(str(a["direct_gmv"])) == Decimal("444.23")  # LIVE gross merchandise value
    assert a["currency"] == "MYR"
    assert (a["sku_orders"], a["items_sold"], a["customers"]) == (36, 41, 30)
    assert (a["viewers"], a["views"], a["comments"], a["shares"], a["likes"]) == (5120, 14254, 321, 12, 4567)
    assert (a["new_followers"], a["product_impressions"], a["product_clicks"]) == (45, 9876, 432)
    assert a["avg_view_duration_s"] == 107
    assert a["source"] == "summary"
    full = info(st, "annb-20260418T1414Z")
    assert full["creator_id"] == "7123456789012345678"
    assert (full["created_sku_orders"], full["products_added"], full["different_products_sold"]) == (40, 12, 5)
    b = df.loc["annb-20260417T1200Z"]
    assert b["avg_view_duration_s"] == 65 and b["views"] == 200
    for col in ("gmv", "direct_gmv", "sku_orders", "items_sold", "comments", "likes", "product_clicks", "ctor"):
        assert pd.isna(b[col]), col  # missing, never 0
    assert pd.isna(b["title"])  # the export has no title: none is invented


def test_reimport_is_a_noop_and_newer_figures_win(tmp_path, capsys):
    st = tmp_path / "st"
    f = write_csv(tmp_path / "live.csv", [ROW_A, ROW_B])
    imp(capsys, st, f)
    version = liveboard.Store(st).snapshot().version
    rc, out, _ = imp(capsys, st, f)
    assert rc == 0 and "new 0 · updated 0 · unchanged 2" in out
    assert liveboard.Store(st).snapshot().version == version
    later = list(ROW_B)
    later[HEADERS.index("Views")] = "250"
    rc, out, _ = imp(capsys, st, write_csv(tmp_path / "later.csv", [ROW_A, later]))
    assert "new 0 · updated 1 · unchanged 1" in out
    assert sessions(st).loc["annb-20260417T1200Z", "views"] == 250


def test_xlsx_numbers_dates_and_dollar_headers(tmp_path, capsys):
    headers = [h.replace("(RM)", "($)") for h in HEADERS]
    row = list(ROW_A)
    row[HEADERS.index("Launched Time")] = dt.datetime(2026, 4, 18, 22, 14)  # a real Excel datetime
    row[HEADERS.index("LIVE gross merchandise value (RM)")] = 444.23
    row[HEADERS.index("Views")] = 14254
    row[HEADERS.index("Click-to-order rate (LIVE)")] = 0.0833
    row[HEADERS.index("LIVE attributed GMV (RM)")] = "$1,234.50"
    row[HEADERS.index("Nickname")] = "@AnnB"
    f = write_xlsx(tmp_path / "live.xlsx", {"Sheet1": [["LIVE analysis"], [], [], [], headers, row]})
    rc, out, err = imp(capsys, tmp_path / "st", f, tz="America/New_York")
    assert rc == 0, err
    assert "(USD, times in America/New_York)" in out
    s = sessions(tmp_path / "st").loc["annb-20260419T0214Z"]
    assert s["currency"] == "USD" and s["views"] == 14254
    assert Decimal(str(s["gmv"])) == Decimal("1234.50") and Decimal(str(s["direct_gmv"])) == Decimal("444.23")
    assert s["ctor"] == pytest.approx(36 / 432)  # recomputed by the store from the same bases: 8.33%


def test_ids_saved_as_numbers_are_left_out_not_stored_wrong(tmp_path, capsys):
    """Excel turns a 19-digit id into a number (7.12346E+18): the digits are gone, so no id is stored."""
    row = list(ROW_A)
    row[0] = 7123456789012345678
    other = list(ROW_B)
    other[0] = "7.12346E+18"
    st = tmp_path / "st"
    rc, _, err = imp(capsys, st, write_xlsx(tmp_path / "live.xlsx", {"S": [HEADERS, row, other]}))
    assert rc == 0, err
    assert "'Creator ID' was saved as numbers by a spreadsheet and lost digits: not stored" in err
    assert pd.isna(info(st, "annb-20260418T1414Z")["creator_id"])
    assert pd.isna(info(st, "annb-20260417T1200Z")["creator_id"])


def test_bom_semicolons_and_decimal_commas(tmp_path, capsys):
    row = list(ROW_A)
    row[HEADERS.index("LIVE gross merchandise value (RM)")] = "1.444,23"
    row[HEADERS.index("Click-to-order rate (LIVE)")] = "8,33%"
    f = write_csv(tmp_path / "live.csv", [row], sep=";", bom=True)
    rc, _, err = imp(capsys, tmp_path / "st", f)
    assert rc == 0, err
    s = sessions(tmp_path / "st").loc["annb-20260418T1414Z"]
    assert Decimal(str(s["direct_gmv"])) == Decimal("1444.23")
    assert seller_center.parse_export(f, tz=ZoneInfo(KL)).summaries["ctor"][0].as_py() == pytest.approx(0.0833)


def test_quoted_dollar_amounts_in_csv(tmp_path, capsys):
    row = list(ROW_A)
    row[HEADERS.index("LIVE attributed GMV (RM)")] = "RM1,234.50"
    f = write_csv(tmp_path / "live.csv", [row])
    assert '"RM1,234.50"' in f.read_text()
    rc, _, _ = imp(capsys, tmp_path / "st", f)
    assert rc == 0
    assert Decimal(str(sessions(tmp_path / "st").iloc[0]["gmv"])) == Decimal("1234.50")


def test_bad_rows_are_reported_quarantined_and_the_good_rows_kept(tmp_path, capsys):
    def bad(col: str, value: str, launched: str) -> list[str]:
        r = list(ROW_A)
        r[HEADERS.index("Launched Time")] = launched
        r[HEADERS.index(col)] = value
        return r

    rows = [
        ROW_A,
        bad("LIVE SKU orders", "-3", "2026/04/16/ 20:00"),
        bad("LIVE attributed GMV (RM)", "lots", "2026/04/15/ 20:00"),
        bad("Launched Time", "18/04/2026 22:14", ""),
        bad("Duration", "99h", "2026/04/14/ 20:00"),
    ]
    f = write_csv(tmp_path / "live.csv", rows)
    st = tmp_path / "st"
    rc, out, err = imp(capsys, st, f)
    assert rc == 1
    assert f"{f}:row 5: field 'LIVE SKU orders': negative count ('-3')" in err
    assert f"{f}:row 6: field 'LIVE attributed GMV (RM)': not an amount ('lots')" in err
    assert f"{f}:row 7: field 'Launched Time': not a date and time ('18/04/2026 22:14'" in err
    assert f"{f}:row 8: field 'Duration': absurd duration ('99h'" in err
    assert "1 session(s): new 1" in out and "bad 4" in out
    assert list(sessions(st).index) == ["annb-20260418T1414Z"]
    q = liveboard.open(st).quarantine()
    assert sorted(q["line"]) == [5, 6, 7, 8]
    assert q.set_index("line").loc[6, "raw"] == ",".join(rows[2])  # the row's own text, kept
    rc, out, _ = imp(capsys, st, f)  # again: nothing new stored, the same rows still reported
    assert rc == 1 and len(liveboard.open(st).quarantine()) == 4


def test_formula_looking_cells_stay_text(tmp_path, capsys):
    evil = '=HYPERLINK("http://evil.example","click")'
    row_nick = list(ROW_A)
    row_nick[HEADERS.index("Nickname")] = evil
    row_creator = list(ROW_B)
    row_creator[HEADERS.index("Creator")] = evil
    f = write_xlsx(tmp_path / "live.xlsx", {"S": [HEADERS, row_nick, row_creator]})
    st = tmp_path / "st"
    rc, _, err = imp(capsys, st, f)
    assert rc == 1
    assert "row 2: field 'Nickname': not a TikTok handle" in err
    assert list(sessions(st).index) == ["annb-20260417T1200Z"]  # a display name may be anything
    raw = liveboard.open(st).quarantine()["raw"].iloc[0]
    assert 'HYPERLINK(""http://evil.example""' in raw  # kept as the text it was, never evaluated


def test_duplicates_and_totals_rows(tmp_path, capsys):
    other = list(ROW_A)
    other[HEADERS.index("Views")] = "1"
    total = ["Total"] + [""] * 4 + ["999.00"] + [""] * 19
    f = write_csv(tmp_path / "live.csv", [ROW_A, ROW_A, other, total])
    rc, out, err = imp(capsys, tmp_path / "st", f)
    assert rc == 1
    assert "row 6: same account and launch time as row 4, with other figures" in err
    assert "row 7 is a totals row" in err
    assert "duplicate rows 1" in out and "1 session(s)" in out


def test_folder_with_event_logs_and_exports(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    b = LogBuilder("s1")
    b.start(0, account_id="zed", title="evening")
    b.end(60)
    b.write(folder / "s1.jsonl")
    write_csv(folder / "live.csv", [ROW_A])
    (folder / "notes.csv").write_text("a,b\n1,2\n")  # not an export: skipped in a folder
    rc, out, err = imp(capsys, tmp_path / "st", folder)
    assert rc == 0, err
    assert "skipped" in err and "notes.csv" in err
    assert "imported 2 " in out and "1 session(s): new 1" in out
    assert sorted(sessions(tmp_path / "st").index) == ["annb-20260418T1414Z", "s1"]


def test_export_row_joins_the_session_of_its_event_log(tmp_path, capsys):
    """One LIVE, one session: the export's figures land on the recorded session (same account, ±30 min)."""
    st = tmp_path / "st"
    b = LogBuilder("rec-1")
    start = dt.datetime(2026, 4, 18, 14, 10, 30, tzinfo=dt.UTC)  # 4.5 minutes before the export's 22:14 +08
    seconds = (start - dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)).total_seconds()
    b.start(seconds, account_id="annb", title="Sunday sale")
    b.end(seconds + 600)
    rc, _, _ = run(capsys, "import", b.write(tmp_path / "rec.jsonl"), "--store", st)
    assert rc == 0
    rc, out, _ = imp(capsys, st, write_csv(tmp_path / "live.csv", [ROW_A]))
    assert rc == 0 and "new 1" in out
    df = sessions(st)
    assert list(df.index) == ["rec-1"]
    assert df.loc["rec-1", "title"] == "Sunday sale"  # the real title is kept: the export has none
    assert Decimal(str(df.loc["rec-1", "gmv"])) == Decimal("512.10")


# ------------------------------------------------------------------ LIVE Board 5-minute export

TREND_HEADERS = [
    "Datetime",
    "LIVE impression",
    "Views",
    "Viewers",
    "Viewers entering",
    "Comments",
    "Likes",
    "Shares",
    "New followers",
    "Product Impressions",
    "Product Clicks",
    "Attributed orders",
    "Attributed GMV (RM)",
]


def trend_file(path: Path, *, title: str | None = None, bad_row: bool = False, products: bool = True) -> Path:
    rows = [[title]] if title else []
    rows.append(TREND_HEADERS)
    for k in range(3):
        t = f"2026-04-18 22:{10 + 5 * k:02d}"
        rows.append([t, 100 + k, 50 + k, 40 + k, 30, 5, 60, 1, 2, 80, 9, k, f"{10 * k}.50"])
    if bad_row:
        rows.append(["2026-04-18 22:25", -1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "1.00"])
    sheets_rows = {"All": rows}
    if products:
        sheets_rows["Product"] = [
            [
                "Product ID",
                "Product name",
                "Product Impressions",
                "Product Clicks",
                "Attributed orders",
                "Attributed GMV (RM)",
            ],
            ["1729000000000000001", "Chili oil", 500, 40, 3, "30.00"],
            ["1729000000000000002", '=HYPERLINK("x")', 200, 10, 0, "0"],
        ]
    return write_xlsx(path, sheets_rows)


def test_five_minute_export_becomes_the_trend_of_the_exported_session(tmp_path, capsys):
    st = tmp_path / "st"
    imp(capsys, st, write_csv(tmp_path / "live.csv", [ROW_A]))
    f = trend_file(tmp_path / "board.xlsx", bad_row=True)
    rc, out, err = imp(capsys, st, f, extra=["--account", "annb"])
    assert rc == 1
    assert "row 5: field 'LIVE impression': negative count ('-1')" in err
    assert "3 interval(s) of 300 s, 2 product(s) for @annb, session annb-20260418T1414Z" in out
    assert "Viewers entering" in err  # said to be not stored
    s = liveboard.open(st).session("annb-20260418T1414Z")
    trend = s.trend()
    assert len(trend) == 3 and set(trend["interval_s"]) == {300}
    assert list(trend["views"]) == [50, 51, 52] and list(trend["impressions"]) == [100, 101, 102]
    assert [float(x) for x in trend["gmv"]] == [0.5, 10.5, 20.5]
    products = s.products().set_index("product_id")
    assert products.loc["1729000000000000001", "clicks"] == 40
    assert products.loc["1729000000000000002", "name"] == '=HYPERLINK("x")'
    assert Decimal(str(sessions(st).loc["annb-20260418T1414Z", "gmv"])) == Decimal("512.10")  # figures untouched
    rc, out, _ = imp(capsys, st, f, extra=["--account", "annb"])
    assert "(unchanged)" in out


def test_five_minute_export_first_then_the_session_export(tmp_path, capsys):
    st = tmp_path / "st"
    rc, out, err = imp(capsys, st, trend_file(tmp_path / "board.xlsx", title="LIVE Board @annb 2026-04-18"))
    assert rc == 0, err
    assert "stored as a new session" in err
    rc, out, err = imp(capsys, st, write_csv(tmp_path / "live.csv", [ROW_A]))
    assert rc == 0, err
    df = sessions(st)
    assert len(df) == 1  # one LIVE, one session
    sid = df.index[0]
    assert df.loc[sid, "start"] == dt.datetime(2026, 4, 18, 14, 14, tzinfo=dt.UTC)
    assert Decimal(str(df.loc[sid, "gmv"])) == Decimal("512.10")
    assert len(liveboard.open(st).session(sid).trend()) == 3
    version = liveboard.Store(st).snapshot().version
    rc, out, _ = imp(capsys, st, write_csv(tmp_path / "live.csv", [ROW_A]))  # again: still one session
    assert rc == 0 and "new 0 · updated 0 · unchanged 1" in out
    assert liveboard.Store(st).snapshot().version == version and len(sessions(st)) == 1


def test_a_launch_time_corrected_by_a_minute_updates_the_same_session(tmp_path, capsys):
    st = tmp_path / "st"
    imp(capsys, st, write_csv(tmp_path / "a.csv", [ROW_A]))
    moved = list(ROW_A)
    moved[HEADERS.index("Launched Time")] = "2026/04/18/ 22:15"
    moved[HEADERS.index("Views")] = "15000"
    rc, out, _ = imp(capsys, st, write_csv(tmp_path / "b.csv", [moved]))
    assert rc == 0 and "new 0 · updated 1" in out
    df = sessions(st)
    assert len(df) == 1 and df.iloc[0]["views"] == 15000
    assert df.iloc[0]["start"] == dt.datetime(2026, 4, 18, 14, 15, tzinfo=dt.UTC)


def test_five_minute_export_needs_an_account(tmp_path, capsys):
    rc, _, err = imp(capsys, tmp_path / "st", trend_file(tmp_path / "board.xlsx", products=False))
    assert rc == 2 and "does not say whose LIVE it is: pass --account HANDLE" in err


def test_a_missing_export_leaves_no_store_behind(tmp_path, capsys):
    rc, _, err = imp(capsys, tmp_path / "st", tmp_path / "nope.xlsx")
    assert rc == 2 and "nope.xlsx: no such file" in err
    assert not (tmp_path / "st").exists()
