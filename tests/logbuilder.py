"""Build event-log-v1 lines and files by hand in tests.

Times are given in seconds after :data:`BASE` (2026-03-01 12:00:00 UTC); ``fmt`` picks how ``ts`` is
written: ``"z"`` (…Z), ``"utc"`` (+00:00), ``"+08"`` / ``"-05"`` (the same instant in another offset) or
``"ms"`` (integer epoch milliseconds). Every format names the same instant, so expected answers can be
computed from the seconds alone.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

import liveboard
from liveboard.eventlog import read_event_logs
from liveboard.events import EVENT_SCHEMA
from liveboard.store import Store

BASE = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
FORMATS = ("z", "utc", "+08", "-05", "ms")


def ts(seconds: float, fmt: str = "utc") -> str | int:
    """The instant BASE + seconds, written in one of :data:`FORMATS`."""
    t = BASE + dt.timedelta(seconds=seconds)
    if fmt == "ms":
        return int(round(t.timestamp() * 1000))
    if fmt == "z":
        return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if fmt == "utc":
        return t.isoformat(timespec="milliseconds")
    hours = {"+08": 8, "-05": -5}[fmt]
    return t.astimezone(dt.timezone(dt.timedelta(hours=hours))).isoformat(timespec="milliseconds")


def at(seconds: float) -> dt.datetime:
    return BASE + dt.timedelta(seconds=seconds)


class LogBuilder:
    """Events of one or more sessions, appended in read order; ids are ``e1``, ``e2``, … unless given."""

    def __init__(self, session_id: str = "s1", fmt: str = "utc"):
        self.session_id = session_id
        self.fmt = fmt
        self.events: list[dict] = []
        self._n = 0

    def ev(self, type: str, t: float, *, id: str | None = None, session_id: str | None = None, fmt=None, **fields):
        self._n += 1
        e = {
            "id": id or f"e{self._n}",
            "type": type,
            "session_id": session_id or self.session_id,
            "ts": ts(t, fmt or self.fmt),
        }
        e.update({k: v for k, v in fields.items() if v is not None})
        self.events.append(e)
        return e

    # -- shorthands ---------------------------------------------------------------------------
    def start(self, t: float = 0, account_id: str = "acct1", title: str = "Test LIVE", **kw):
        return self.ev("session_start", t, account_id=account_id, title=title, **kw)

    def end(self, t: float, **kw):
        return self.ev("session_end", t, **kw)

    def impression(self, t: float, channel: str = "feed", user_id: str | None = None, **kw):
        return self.ev("impression", t, channel=channel, user_id=user_id, **kw)

    def enter(self, t: float, user_id: str, channel: str = "feed", is_follower: bool = False, **kw):
        return self.ev("viewer_enter", t, user_id=user_id, channel=channel, is_follower=is_follower, **kw)

    def leave(self, t: float, user_id: str, **kw):
        return self.ev("viewer_leave", t, user_id=user_id, **kw)

    def order(
        self,
        t: float,
        order_id: str,
        user_id: str = "u1",
        product_id: str = "p1",
        amount="10.00",
        status: str = "paid",
        quantity: int = 1,
        attribution: str = "direct",
        **kw,
    ):
        return self.ev(
            "order",
            t,
            order_id=order_id,
            user_id=user_id,
            product_id=product_id,
            quantity=quantity,
            amount=amount,
            status=status,
            attribution=attribution,
            **kw,
        )

    def pin(self, t: float, product_id: str, **kw):
        return self.ev("product_pin", t, product_id=product_id, **kw)

    def unpin(self, t: float, product_id: str, **kw):
        return self.ev("product_unpin", t, product_id=product_id, **kw)

    def click(self, t: float, user_id: str, product_id: str = "p1", **kw):
        return self.ev("product_click", t, user_id=user_id, product_id=product_id, **kw)

    def pimpression(self, t: float, user_id: str, product_id: str = "p1", **kw):
        return self.ev("product_impression", t, user_id=user_id, product_id=product_id, **kw)

    # -- output -------------------------------------------------------------------------------
    def lines(self) -> list[str]:
        return [json.dumps(e) for e in self.events]

    def write(self, path: Path, events: list[dict] | None = None) -> Path:
        evs = self.events if events is None else events
        write_lines(path, [json.dumps(e) for e in evs])
        return path


def write_lines(path: Path, lines: list[str]) -> Path:
    text = "".join(line + "\n" for line in lines)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def import_files(store_root: Path, paths: list[Path]):
    """Read the files as one batch and append them in one commit (what ``liveboard import`` does)."""
    result = read_event_logs(list(paths))
    report = Store(store_root, create=True).append(result.events, result.bad, origin=result.locate)
    return result, report


def load(tmp_path: Path, log: LogBuilder, name: str = "log.jsonl"):
    """Write the log, import it into a fresh store under ``tmp_path``, return the Workbench."""
    path = log.write(tmp_path / name)
    import_files(tmp_path / "store", [path])
    return liveboard.open(tmp_path / "store")


def session(tmp_path: Path, log: LogBuilder, session_id: str | None = None):
    wb = load(tmp_path, log)
    return wb.session(session_id or log.session_id)


def hostile_sum_rows(session_id: str, start: dt.datetime) -> pa.Table:
    """Events past the reader's bounds (as another writer could store them): their sums overflow BIGINT, so
    gift diamonds, likes and items sold are missing (null); 2 SKU orders, GMV 2.00."""
    base = {name: None for name in EVENT_SCHEMA.names}
    rows = [
        base | {"type": "session_start", "id": "a", "account_id": "x", "title": "t"},
        base | {"type": "gift", "id": "g", "user_id": "u", "gift_name": "rose", "diamonds": 2**62, "count": 4},
        base | {"type": "like", "id": "l1", "user_id": "u", "count": 2**63 - 1},
        base | {"type": "like", "id": "l2", "user_id": "u", "count": 2**63 - 1},
    ]
    for i in (1, 2):
        rows.append(
            base
            | {"type": "order", "id": f"o{i}", "order_id": f"o{i}", "user_id": "u", "product_id": "p"}
            | {"quantity": 2**63 - 1, "amount": Decimal("1"), "status": "paid", "attribution": "direct"}
        )
    for i, r in enumerate(rows):
        r |= {"session_id": session_id, "ts": start + dt.timedelta(seconds=i), "seq": i}
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)


#: Types of the figures a summary-only session may have (see :func:`summary_table`); other columns are text.
SUMMARY_TYPES = {"start": pa.timestamp("us", tz="UTC"), "duration_s": pa.float64(), "gmv": pa.decimal128(38, 2)} | {
    c: pa.int64() for c in ("items_sold", "views", "viewers", "product_clicks", "sku_orders")
}


def summary_table(rows: list[dict], columns: list[str] | None = None) -> pa.Table:
    """Summary-only sessions (figures a source gave, no events) for ``Store.put_summaries``: ``columns``
    (default: every key of the rows); a figure left out of a row stays missing."""
    cols = columns or list(dict.fromkeys(c for r in rows for c in r))
    arrays = {}
    for c in cols:
        values = [r.get(c) for r in rows]
        if c == "gmv":
            values = [None if v is None else Decimal(str(v)) for v in values]
        arrays[c] = pa.array(values, SUMMARY_TYPES.get(c, pa.string()))
    return pa.table(arrays)
