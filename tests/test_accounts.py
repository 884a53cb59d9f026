"""The accounts table (``Workbench.accounts``, ``liveboard accounts``): the SQL against a pandas recomputation
from the sessions catalog, on a simulated multi-account store with summary-only sessions, two currencies in
one account, a session without an account, and a hostile account id."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from logbuilder import summary_table

import liveboard
from liveboard import queries
from liveboard.cli import main
from liveboard.metrics import DERIVED
from liveboard.simulator import simulate
from liveboard.store import Store
from liveboard.workbench import ACCOUNT_COLUMNS, MAX_SERIES_ACCOUNTS, InputError, account_range

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
HOSTILE = "=cmd|evil<img src=x onerror=alert(1)>"


def summaries(rows: list[dict]) -> pa.Table:
    """Summary-only sessions (figures a source gave, no events): a figure left out stays missing."""
    cols = ["session_id", "start", "account_id", "currency", "title", "duration_s", "gmv", "items_sold"]
    return summary_table(rows, cols + ["views", "viewers", "product_clicks", "sku_orders"])


def summary_rows(now: dt.datetime) -> list[dict]:
    return [
        # glowlab: a summary-only session with GMV and views but no duration, items or clicks
        {"session_id": "sum-glow-1", "start": now - dt.timedelta(days=3), "account_id": "glowlab.official"}
        | {"currency": "USD", "title": "API only", "gmv": 100.5, "views": 1000, "viewers": 800},
        # glowlab in a second currency: its own row, never added to the USD one
        {"session_id": "sum-glow-eur", "start": now - dt.timedelta(days=5), "account_id": "glowlab.official"}
        | {"currency": "EUR", "title": "EU shop", "duration_s": 3600.0, "gmv": 50.0, "items_sold": 4, "views": 200}
        | {"viewers": 150, "product_clicks": 20, "sku_orders": 5},
        # techdeals: clicks known, views not: out of CTR, in CTOR
        {"session_id": "sum-tech-1", "start": now - dt.timedelta(days=10), "account_id": "techdeals.us"}
        | {"currency": "USD", "title": "export row", "duration_s": 1800.0, "product_clicks": 40, "sku_orders": 4},
        # a hostile account id (a spreadsheet formula, HTML)
        {"session_id": "sum-hostile", "start": now - dt.timedelta(days=2), "account_id": HOSTILE}
        | {"currency": "USD", "title": "x", "duration_s": 600.0, "gmv": 1.0, "views": 10, "product_clicks": 1}
        | {"sku_orders": 1},
        # an account whose only session has traffic figures and no sales figures
        {"session_id": "sum-views-only", "start": now - dt.timedelta(days=4), "account_id": "viewsonly.shop"}
        | {"currency": "USD", "title": "views only", "duration_s": 900.0, "views": 500, "viewers": 400},
        # no account, no currency
        {"session_id": "sum-nobody", "start": now - dt.timedelta(days=1), "title": "who?", "gmv": 7.0},
        # long ago: only in "all time" and in previous ranges of long ranges
        {"session_id": "sum-old", "start": now - dt.timedelta(days=400), "account_id": "kedai.cantik.my"}
        | {"currency": "MYR", "title": "old", "duration_s": 7200.0, "gmv": 999.0, "items_sold": 9, "views": 90}
        | {"viewers": 80, "product_clicks": 9, "sku_orders": 3},
    ]


SUMMARY_ROWS = summary_rows(NOW)


def build(path, now: dt.datetime = NOW) -> Store:
    store = Store(path, create=True)
    for table in simulate(0, accounts=4, sessions=16, scale=0.01, now=now):
        store.append(table)
    store.put_summaries(summaries(summary_rows(now)))
    return store


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("accounts") / "store"
    build(path)
    return path


@pytest.fixture(scope="module")
def wb(store_path):
    return liveboard.open(store_path)


@pytest.fixture(scope="module")
def catalog(wb) -> pd.DataFrame:
    df = wb.sessions()
    for c in ("duration_s", "gmv", "items_sold", "viewers", "views", "product_clicks", "sku_orders"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df


# ---------------------------------------------------------------------- the pandas recomputation


def _rate(part: pd.DataFrame, num: str, den: str) -> float:
    both = part[part[num].notna() & part[den].notna()]
    d = both[den].sum()
    return float(both[num].sum() / d) if len(both) and d else np.nan


def expected(catalog: pd.DataFrame, lo=None, hi=None) -> pd.DataFrame:
    """What each account did in [lo, hi), computed here with pandas from the sessions catalog."""
    df = catalog
    if lo is not None:
        df = df[df["start"] >= lo]
    if hi is not None:
        df = df[df["start"] < hi]
    rows = []
    keys = df[["account_id", "currency"]].astype(object).where(df[["account_id", "currency"]].notna(), None)
    for (acct, cur), part in df.groupby([keys["account_id"], keys["currency"]], dropna=False):
        hours = part["duration_s"].sum(min_count=1) / 3600
        both = part[part["gmv"].notna() & part["duration_s"].notna()]
        gph = (
            both["gmv"].sum() / (both["duration_s"].sum() / 3600) if len(both) and both["duration_s"].sum() else np.nan
        )
        rows.append(
            {
                "account_id": acct,
                "currency": cur,
                "sessions": len(part),
                "hours_live": hours,
                "gmv": part["gmv"].sum(min_count=1),
                "gmv_per_hour": round(gph, 2) if not np.isnan(gph) else np.nan,
                "items_sold": part["items_sold"].sum(min_count=1),
                "viewers": part["viewers"].sum(min_count=1),
                "live_ctr": _rate(part, "product_clicks", "views"),
                "ctor": _rate(part, "sku_orders", "product_clicks"),
                "gmv_sessions": int(part["gmv"].notna().sum()),
                "hours_live_sessions": int(part["duration_s"].notna().sum()),
                "items_sold_sessions": int(part["items_sold"].notna().sum()),
                "live_ctr_sessions": int((part["product_clicks"].notna() & part["views"].notna()).sum()),
                "first_live": part["start"].min(),
                "last_live": part["start"].max(),
            }
        )
    return pd.DataFrame(rows)


def keyed(df: pd.DataFrame) -> dict:
    return {(r["account_id"], r["currency"]): r for r in df.replace({np.nan: None}).to_dict("records")}


def close(a, b) -> bool:
    if a is None or b is None or (isinstance(a, float) and np.isnan(a)) or (isinstance(b, float) and np.isnan(b)):
        return (a is None or pd.isna(a)) and (b is None or pd.isna(b))
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


FIGURES = ("sessions", "hours_live", "gmv", "gmv_per_hour", "items_sold", "viewers", "live_ctr", "ctor")
FIGURES += ("gmv_sessions", "hours_live_sessions", "items_sold_sessions", "live_ctr_sessions")


def assert_matches(got: pd.DataFrame, want: pd.DataFrame) -> None:
    g, w = keyed(got), keyed(want)
    assert set(g) == set(w)
    for key, row in w.items():
        for col in FIGURES:
            assert close(g[key][col], row[col]), (key, col, g[key][col], row[col])
        assert g[key]["first_live"] == row["first_live"] and g[key]["last_live"] == row["last_live"]


# ---------------------------------------------------------------------- tests


def test_all_time_matches_pandas(wb, catalog):
    got = wb.accounts()
    assert list(got.columns) == list(ACCOUNT_COLUMNS)
    assert_matches(got, expected(catalog))
    assert int(got["sessions"].sum()) == len(catalog) == 16 + len(SUMMARY_ROWS)
    # all time: nothing to compare with
    assert got[[c for c in got.columns if c.endswith(("_prev", "_change"))]].isna().all().all()


@pytest.mark.parametrize(
    ("since", "until"),
    [("2026-09-01", "2026-10-31"), ("2026-10-21", None), ("2026-11-10", "2026-11-19"), (None, "2026-10-01")],
)
def test_ranges_and_previous_range_match_pandas(wb, catalog, since, until):
    got = wb.accounts(since=since, until=until, now=NOW)
    lo, hi, prev = account_range(since, until, NOW)
    assert_matches(got, expected(catalog, lo, hi))
    if since is None:
        assert prev is None and got["gmv_change"].isna().all()
        return
    length = (hi or NOW) - lo
    assert prev == (lo - length, lo)
    before = keyed(expected(catalog, *prev))
    for row in got.replace({np.nan: None}).to_dict("records"):
        old = before.get((row["account_id"], row["currency"]))
        assert row["sessions_prev"] == (old["sessions"] if old else 0)  # a count: 0 when none before
        for m in ("sessions", "hours_live", "gmv", "gmv_per_hour", "items_sold", "viewers", "live_ctr", "ctor"):
            was = old[m] if old else None
            if m != "sessions":
                assert close(row[f"{m}_prev"], was), (row["account_id"], m)
            known = was is not None and not pd.isna(was) and was != 0 and row[m] is not None
            want = (row[m] - was) / was if known else None  # null when the previous range has no such figure
            assert close(row[f"{m}_change"], want), (row["account_id"], m, row[f"{m}_change"], want)


def test_a_range_with_changes_both_ways(wb, catalog):
    """Over 45 days the simulated accounts have sessions in both halves: real changes, up and down."""
    got = wb.accounts(since="2026-10-06", until="2026-11-19", now=NOW)
    changes = got["gmv_change"].dropna()
    assert len(changes) >= 2
    assert got["sessions_prev"].notna().all()


def test_rates_are_recomputed_from_summed_counts(wb, catalog):
    got = keyed(wb.accounts())
    part = catalog[catalog["account_id"] == "baan.snack.th"]
    row = got[("baan.snack.th", "THB")]
    assert close(row["live_ctr"], part["product_clicks"].sum() / part["views"].sum())
    assert close(row["ctor"], part["sku_orders"].sum() / part["product_clicks"].sum())
    # an average of the sessions' rates is another (wrong) number: the test can tell them apart
    assert not close(row["live_ctr"], part["product_clicks"].div(part["views"]).mean())
    # the registry's own definitions are what the SQL evaluates (no second CTR or CTOR)
    assert queries.ACCOUNT_RATES["live_ctr"] == DERIVED["live_ctr"]
    assert queries.ACCOUNT_RATES["ctor"] == DERIVED["ctor"]
    assert queries.rate_bases(DERIVED["live_ctr"]) == ("product_clicks", "views")


def test_missing_figures_are_counted_not_zero(wb, catalog):
    got = keyed(wb.accounts())
    glow = got[("glowlab.official", "USD")]
    sims = catalog[(catalog["account_id"] == "glowlab.official") & (catalog["currency"] == "USD")]
    assert glow["sessions"] == len(sims)
    # the API-only session has GMV but no duration, items or clicks
    assert glow["gmv_sessions"] == glow["sessions"]
    assert glow["hours_live_sessions"] == glow["items_sold_sessions"] == glow["sessions"] - 1
    assert glow["live_ctr_sessions"] == glow["sessions"] - 1  # its views are not in the CTR without its clicks
    assert glow["gmv_per_hour_sessions"] == glow["sessions"] - 1
    tech = got[("techdeals.us", "USD")]
    assert tech["live_ctr_sessions"] == tech["sessions"] - 1 and tech["ctor_sessions"] == tech["sessions"]
    nobody = got[(None, None)]
    assert nobody["sessions"] == 1 and nobody["gmv"] == 7.0
    for col in ("hours_live", "items_sold", "viewers", "live_ctr", "ctor", "gmv_per_hour"):
        assert nobody[col] is None, col  # missing, never 0
    assert nobody["hours_live_sessions"] == 0
    views_only = got[("viewsonly.shop", "USD")]
    assert views_only["viewers"] == 400 and views_only["hours_live"] == 0.25
    assert views_only["gmv"] is None and views_only["gmv_sessions"] == 0 and views_only["items_sold"] is None
    assert (
        views_only["gmv_per_hour"] is None and views_only["live_ctr"] is None and views_only["live_ctr_sessions"] == 0
    )


def test_money_is_never_added_across_currencies(wb):
    got = wb.accounts()
    glow = got[got["account_id"] == "glowlab.official"]
    assert sorted(glow["currency"]) == ["EUR", "USD"]
    eur = glow[glow["currency"] == "EUR"].iloc[0]
    assert eur["sessions"] == 1 and eur["gmv"] == 50.0 and eur["items_sold"] == 4
    # every (account, currency) pair once; each account normally has one currency
    assert not got.duplicated(["account_id", "currency"]).any()


def test_search_is_plain_text(wb):
    assert list(wb.accounts(search="GLOW")["account_id"].unique()) == ["glowlab.official"]
    assert wb.accounts(search="%").empty and wb.accounts(search="_").empty
    assert list(wb.accounts(search="<img")["account_id"]) == [HOSTILE]


def test_validation(wb):
    with pytest.raises(InputError, match="before until"):
        wb.accounts(since="2026-10-02", until="2026-10-01")
    with pytest.raises(InputError, match="not a date"):
        wb.accounts(since="yesterday")
    with pytest.raises(InputError, match="out of range"):
        wb.accounts(until="9999-12-31")
    with pytest.raises(InputError, match="not a date"):
        wb.accounts(since="2026-10-01", now="soon")
    with pytest.raises(InputError, match="day"):
        wb.account_series(["glowlab.official"], every="month")
    with pytest.raises(InputError, match="list"):
        wb.account_series("glowlab.official")
    with pytest.raises(InputError, match="at most"):
        wb.account_series([f"a{i}" for i in range(MAX_SERIES_ACCOUNTS + 1)])
    # a range that begins after "now" has no previous range of its length
    assert account_range("2026-12-01", None, NOW)[2] is None
    assert account_range("0001-01-02", "0001-01-05", NOW)[2] is None  # would begin before year 1


def test_series_adds_up_to_the_table(wb):
    since, until = "2026-08-20", "2026-11-20"
    table = keyed(wb.accounts(since=since, until=until, now=NOW))
    accts = ["glowlab.official", "baan.snack.th", "kedai.cantik.my", "no-such-account"]
    for every in ("day", "week"):
        s = wb.account_series(accts, since=since, until=until, every=every)
        assert set(s["account_id"]) == {"glowlab.official", "baan.snack.th", "kedai.cantik.my"}
        periods = pd.to_datetime(s["period"], utc=True)
        if every == "week":
            assert (periods.dt.day_of_week == 0).all() and (periods.dt.hour == 0).all()
        for (acct, cur), part in s.groupby(["account_id", "currency"]):
            row = table[(acct, cur)]
            assert part["sessions"].sum() == row["sessions"]
            assert close(part["gmv"].sum(), row["gmv"])
            assert close(part["hours_live"].sum(), row["hours_live"])
    assert wb.account_series([]).empty


def test_empty_store(tmp_path):
    Store(tmp_path / "empty", create=True)
    wb = liveboard.open(tmp_path / "empty")
    df = wb.accounts(since="2026-01-01")
    assert df.empty and list(df.columns) == list(ACCOUNT_COLUMNS)
    assert wb.account_series(["x"]).empty


# ---------------------------------------------------------------------- the command line


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_csv_is_the_same_table(store_path, wb, capsys):
    rc, out, _ = run(capsys, "accounts", "--store", store_path, "--since", "2026-10-06", "--format", "csv")
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(ACCOUNT_COLUMNS)
    want = wb.accounts(since="2026-10-06")
    assert len(rows) == len(want)
    by = {(r["account_id"], r["currency"]): r for r in rows}
    for rec in want.replace({np.nan: None}).to_dict("records"):
        acct = rec["account_id"]
        shown = "'" + acct if acct and acct.startswith("=") else (acct or "")
        r = by[(shown, rec["currency"] or "")]
        assert r["sessions"] == str(rec["sessions"])
        assert r["gmv"] == ("" if rec["gmv"] is None else f"{rec['gmv']:.2f}")
        assert r["live_ctr"] == ("" if rec["live_ctr"] is None else repr(rec["live_ctr"]))
        assert r["gmv_change"] == ("" if rec["gmv_change"] is None else repr(rec["gmv_change"]))
    assert ("'" + HOSTILE, "USD") in by  # a formula is neutralised (csvsafe)
    assert not any(r["account_id"].startswith(("=", "+", "-", "@")) for r in rows)


def test_cli_json_and_table(store_path, wb, capsys):
    rc, out, _ = run(capsys, "accounts", "--store", store_path, "--format", "json")
    assert rc == 0
    records = json.loads(out)
    assert len(records) == len(wb.accounts())
    nobody = next(r for r in records if r["account_id"] is None)
    assert nobody["gmv"] == "7.00" and nobody["hours_live"] is None and nobody["sessions"] == 1
    glow = next(r for r in records if r["account_id"] == "glowlab.official" and r["currency"] == "EUR")
    assert glow["items_sold"] == 4 and glow["ctor"] == 0.25
    rc, out, _ = run(capsys, "accounts", "--store", store_path, "--search", "glow")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["account_id", "currency", "sessions"]
    assert sum("glowlab.official" in line for line in lines) == 2  # USD and EUR rows
    assert "*" in out and "only some of the account's sessions" in out
    assert "—" in out  # the API-only session's missing duration is not 0
    rc, out, _ = run(capsys, "accounts", "--store", store_path, "--since", "2030-01-01")
    assert rc == 0 and "no sessions in this range" in out


@pytest.mark.parametrize(
    "args",
    [("--since", "nope"), ("--since", "2026-10-02", "--until", "2026-10-01"), ("--until", "9999-12-31")],
)
def test_cli_bad_dates_exit_2(store_path, capsys, args):
    rc, out, err = run(capsys, "accounts", "--store", store_path, *args)
    assert rc == 2 and err.startswith("liveboard: ") and "Traceback" not in err and out == ""
