"""Which Seller Center file a grid of cells is, told by its headers (a translation table, never positions).

Layouts: the "LIVE analysis" export (one row per session, keyed by ``Launched Time``), the LIVE Board
per-session 5-minute export (``Datetime`` rows; sheets "All" and "Product"), and the per-day export, which
is recognised only to be refused (its rows are days, not sessions).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from liveboard import cells

# field → kind; kinds name a parser in liveboard.cells
KINDS: dict[str, str] = {
    "creator_id": "numeric_id",
    "creator_name": "text",
    "account_id": "handle",
    "start": "local_time",
    "t": "local_time",
    "date": "text",
    "duration_s": "duration",
    "avg_view_duration_s": "duration",
    "gmv": "money",
    "direct_gmv": "money",
    "indirect_gmv": "money",
    "avg_price": "money",
    "ctor": "rate",
    "live_ctr": "rate",
    "product_id": "numeric_id",
    "name": "text",
    "ignored": "text",
}
MONEY = frozenset(f for f, k in KINDS.items() if k == "money")

#: "LIVE analysis" export, one row per session: header (normalised, currency removed) → field.
SESSION_HEADERS: dict[str, str] = {
    "creator id": "creator_id",
    "creator": "creator_name",
    "nickname": "account_id",
    "launched time": "start",
    "duration": "duration_s",
    "live gross merchandise value": "direct_gmv",
    "products added": "products_added",
    "different products sold": "different_products_sold",
    "created sku orders": "created_sku_orders",
    "live sku orders": "sku_orders",
    "live items sold": "items_sold",
    "unique customers": "customers",
    "average price": "avg_price",
    "click-to-order rate (live)": "ctor",
    "click-to-order rate": "ctor",
    "live attributed gmv": "gmv",
    "viewers": "viewers",
    "views": "views",
    "average viewing duration (live streams)": "avg_view_duration_s",
    "average viewing duration": "avg_view_duration_s",
    "comments": "comments",
    "shares": "shares",
    "live likes": "likes",
    "new followers (creator video)": "new_followers",
    "new followers": "new_followers",
    "product impressions": "product_impressions",
    "product clicks": "product_clicks",
    "ctr": "live_ctr",
    # Thai export (seen per day): attributed, direct and indirect GMV, LIVE views
    "gmv ที่มาจาก live": "gmv",
    "gmv จาก live": "direct_gmv",
    "gmv โดยอ้อมจาก live": "indirect_gmv",
    "ยอดการดูไลฟ์": "views",
}
#: Headers of a date column: a file with LIVE figures per date and no ``Launched Time`` is per day.
DATE_HEADERS: dict[str, str] = {"date": "date", "day": "date", "วันที่": "date", "日期": "date"}

#: LIVE Board per-session 5-minute export, sheet "All" (unverified layout: only these headers are read).
TREND_HEADERS: dict[str, str] = {
    "datetime": "t",
    "live impression": "impressions",
    "live impressions": "impressions",
    "views": "views",
    "viewers": "viewers",
    "viewers entering": "ignored",
    "comments": "comments",
    "likes": "likes",
    "shares": "shares",
    "new followers": "new_followers",
    "product impressions": "product_impressions",
    "product clicks": "product_clicks",
    "attributed orders": "sku_orders",
    "attributed gmv": "gmv",
}
#: Headers only the 5-minute export has (a session export has "Views", "Comments" too).
TREND_ONLY = frozenset(
    {"live impression", "live impressions", "viewers entering", "attributed orders", "attributed gmv"}
)

#: LIVE Board export, sheet "Product": one row per product, if it has these columns.
PRODUCT_HEADERS: dict[str, str] = {
    "product id": "product_id",
    "product_id": "product_id",
    "id": "product_id",
    "product name": "name",
    "product": "name",
    "product title": "name",
    "name": "name",
    "product impressions": "impressions",
    "impressions": "impressions",
    "product clicks": "clicks",
    "clicks": "clicks",
    "attributed orders": "sku_orders",
    "sku orders": "sku_orders",
    "live sku orders": "sku_orders",
    "orders": "sku_orders",
    "items sold": "items_sold",
    "live items sold": "items_sold",
    "attributed gmv": "gmv",
    "gmv": "gmv",
    "customers": "customers",
    "unique customers": "customers",
    "created sku orders": "created_sku_orders",
}

#: What the unknown-layout message lists as expected.
EXPECTED = (
    "Creator ID, Creator, Nickname, Launched Time, Duration, LIVE gross merchandise value (…), LIVE SKU orders, "
    "LIVE items sold, Unique customers, LIVE attributed GMV (…), Viewers, Views, … (the LIVE analysis export); "
    "or Datetime, LIVE impression, Views, Viewers, …, Attributed orders, Attributed GMV (the LIVE Board 5-minute export)"
)

_PAREN = re.compile(r"^(.*?)\s*[(（]([^()（）]*)[)）]\s*$")


def normalise(header: object) -> tuple[str, str | None]:
    """(header in lower case with single spaces and its currency mark removed, ISO currency or None)."""
    if not isinstance(header, str):
        return "", None
    text = " ".join(unicodedata.normalize("NFKC", header).split()).strip().rstrip(":").strip()
    m = _PAREN.match(text)
    code = cells.currency_code(m.group(2)) if m else None
    if m and code:
        return m.group(1).strip().casefold(), code
    return text.casefold(), None


@dataclass
class Columns:
    """The recognised columns of a header row: field → column index, the file's header text, the currency."""

    fields: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    currencies: dict[str, str] = field(default_factory=dict)  # header text → ISO code
    unknown: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return len(self.fields)


def match(row: Sequence[object], table: dict[str, str]) -> Columns:
    """Map a header row through ``table``; the first of two columns with one meaning wins."""
    out = Columns()
    for i, cell in enumerate(row):
        key, code = normalise(cell)
        if not key:
            continue
        name = table.get(key)
        label = " ".join(str(cell).split())
        if name is None:
            out.unknown.append(label)
            continue
        if name in out.fields:
            out.repeated.append(label)
            continue
        out.fields[name] = i
        out.labels[name] = label
        if code:
            out.currencies[label] = code
    return out


def header_score(row: Sequence[object]) -> int:
    """How much a row looks like the header of a known layout (used to pick the csv delimiter)."""
    return max(match(row, t).score for t in (SESSION_HEADERS, TREND_HEADERS, DATE_HEADERS | SESSION_HEADERS))


@dataclass
class Layout:
    """What a sheet is: ``kind`` is "sessions", "trend", "per-day" or "unknown"; ``header`` is a row index."""

    kind: str
    header: int
    columns: Columns


def detect(rows: list[list[object]], header_rows: int = 20) -> Layout:
    """The layout of a sheet, from the best header row among its first ``header_rows`` rows."""
    best: Layout | None = None
    for i, row in enumerate(rows[:header_rows]):
        session = match(row, SESSION_HEADERS)
        trend = match(row, TREND_HEADERS)
        dates = match(row, DATE_HEADERS)
        keys = {normalise(c)[0] for c in row}
        if "start" in session.fields:
            cand = Layout("sessions", i, session)
        elif "t" in trend.fields and keys & TREND_ONLY:
            cand = Layout("trend", i, trend)
        elif session.score >= 2 and (dates.score or "t" in trend.fields):
            cand = Layout("per-day", i, session)
        elif session.score >= 3:
            cand = Layout("no-start", i, session)
        else:
            cand = Layout("unknown", i, session if session.score >= trend.score else trend)
        rank = (cand.kind != "unknown", cand.columns.score)
        if best is None or rank > (best.kind != "unknown", best.columns.score):
            best = cand
    if best is None:
        return Layout("unknown", 0, Columns())
    return best


def found_headers(rows: list[list[object]], layout: Layout, limit: int = 30) -> str:
    """The headers of the row taken as the header (or the first non-blank row), for messages."""
    row: list[object] = []
    if layout.header < len(rows) and any(isinstance(c, str) and c.strip() for c in rows[layout.header]):
        row = rows[layout.header]
    else:
        row = next((r for r in rows[:20] if any(not cells.is_missing(c) for c in r)), [])
    names = [" ".join(cells.cell_text(c).split()) for c in row if not cells.is_missing(c)]
    names = [n if len(n) <= 40 else n[:37] + "…" for n in names]
    if not names:
        return "nothing (the first 20 rows are blank)"
    more = f", … ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
