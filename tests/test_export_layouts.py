"""liveboard/export_layouts.py: which Seller Center file a grid of cells is, told by its headers alone."""

from __future__ import annotations

from liveboard import export_layouts as layouts

SESSION_ROW = ["Creator ID", "Nickname", "Launched Time", "Duration", "LIVE attributed GMV (RM)", "Views"]
TREND_ROW = ["Datetime", "LIVE impression", "Views", "Viewers", "Attributed orders", "Attributed GMV ($)"]


def test_headers_are_read_without_case_spacing_or_their_currency_mark():
    assert layouts.normalise("  LIVE   attributed GMV (RM) ") == ("live attributed gmv", "MYR")
    assert layouts.normalise("Average Price ($)") == ("average price", "USD")
    assert layouts.normalise("Click-to-order rate (LIVE)") == ("click-to-order rate (live)", None)
    assert layouts.normalise(None) == ("", None)


def test_match_maps_headers_to_fields_and_keeps_the_first_of_two():
    cols = layouts.match([*SESSION_ROW, "Order ID", "views"], layouts.SESSION_HEADERS)
    assert cols.fields == {"creator_id": 0, "account_id": 1, "start": 2, "duration_s": 3, "gmv": 4, "views": 5}
    assert cols.currencies == {"LIVE attributed GMV (RM)": "MYR"}
    assert cols.unknown == ["Order ID"] and cols.repeated == ["views"]


def test_detect_finds_the_header_below_title_rows_and_tells_the_layouts_apart():
    rows = [["Date Range: 2026-04-12 ~ 2026-04-18"], [], SESSION_ROW, ["1", "annb", "2026/04/18/ 22:14"]]
    found = layouts.detect(rows)
    assert (found.kind, found.header) == ("sessions", 2)
    assert layouts.detect([TREND_ROW]).kind == "trend"
    assert layouts.detect([["Date", "LIVE attributed GMV ($)", "Views", "Viewers"]]).kind == "per-day"
    thai = ["วันที่", "GMV ที่มาจาก LIVE (฿)", "GMV จาก LIVE (฿)", "ยอดการดูไลฟ์"]
    assert layouts.detect([thai]).kind == "per-day"
    orders = [["Order ID", "SKU", "Quantity"], ["1", "abc", "2"]]
    unknown = layouts.detect(orders)
    assert unknown.kind == "unknown"
    assert layouts.found_headers(orders, unknown) == "Order ID, SKU, Quantity"
    assert layouts.found_headers([[], []], layouts.detect([[], []])) == "nothing (the first 20 rows are blank)"


def test_a_session_export_scores_higher_than_a_stray_row():
    assert layouts.header_score(SESSION_ROW) == len(SESSION_ROW)
    assert layouts.header_score(TREND_ROW) == len(TREND_ROW)
    assert layouts.header_score(["annb", "2026/04/18/ 22:14", "1h 40min"]) == 0
