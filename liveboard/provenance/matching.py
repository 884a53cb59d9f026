"""Which session a source row belongs to: the same account, the nearest start within the window.

:func:`_match` links a put_source call's new rows to stored sessions; :func:`relink` runs the same rule the
other way, when a session's events arrive after its summary. Pairs are found in SQL over 30-minute buckets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liveboard.provenance.engine import sql
from liveboard.provenance.schemas import MATCH_WINDOW, TS


def account_key(account: str | None) -> str | None:
    """An account as matching compares it: the handle without '@', lower-case."""
    return account.strip().lstrip("@").lower() if account else None


_WINDOW_US = int(MATCH_WINDOW / dt.timedelta(microseconds=1))


def _account_codes(*columns: pa.Array) -> list[np.ndarray]:
    """One integer per :func:`account_key` of each account (None is a key too), shared across columns."""
    codes: dict[str | None, int] = {}
    out = []
    for col in columns:
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        enc = col.dictionary_encode()
        per_value = np.array(
            [codes.setdefault(account_key(v), len(codes)) for v in enc.dictionary.to_pylist()] + [-1], np.int64
        )
        none = codes.setdefault(None, len(codes))
        idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        out.append(np.where(idx >= 0, per_value[idx], none))
    return out


def _near_pairs(rows: pa.Table, cands: pa.Table) -> list[tuple[int, Any, str]]:
    """``(distance µs, row key (of the type of ``rows["key"]``), candidate id)`` of every row and candidate of the same account code whose
    starts lie within :data:`MATCH_WINDOW`, the nearest start of each candidate (SQL over 30-min buckets)."""
    if not rows.num_rows or not cands.num_rows:
        return []
    return [
        (r["gap"], r["key"], r["sid"])
        for r in sql(
            f"""
            WITH r AS (SELECT key, code, epoch_us(start) AS us, floor(epoch_us(start) / {_WINDOW_US})::BIGINT AS b
                       FROM rows WHERE start IS NOT NULL),
                 rb AS (SELECT key, code, us, b + o AS b FROM r, (VALUES (-1), (0), (1)) AS d(o)),
                 c AS (SELECT sid, code, epoch_us(start) AS us, floor(epoch_us(start) / {_WINDOW_US})::BIGINT AS b
                       FROM cands WHERE start IS NOT NULL)
            SELECT rb.key, c.sid, min(abs(c.us - rb.us)) AS gap
            FROM rb JOIN c ON c.code = rb.code AND c.b = rb.b
            WHERE abs(c.us - rb.us) <= {_WINDOW_US}
            GROUP BY rb.key, c.sid
            """,
            rows=rows,
            cands=cands,
        ).to_pylist()
    ]


def _match(
    inc: pa.Table, old: pa.Table, catalog: pa.Table, source: str, sids: list, pending: list[int]
) -> dict[int, str]:
    """Rows of ``pending`` linked to the session of the same account whose start is nearest (within the
    window), that holds no row of this source; one row per session. Returns {row: session_id}."""
    placed = [i for i in range(len(sids)) if sids[i] is not None]
    placed_rows = inc.take(pa.array(placed, pa.int64())).set_column(
        inc.schema.get_field_index("session_id"), "session_id", pa.array([sids[i] for i in placed], pa.string())
    )
    # a session's account: the catalog's, else the first a source row gives (stored, then this batch)
    linked = pa.concat_tables(
        [
            old.select(["session_id", "account_id", "start", "source"]),
            placed_rows.select(["session_id", "account_id", "start", "source"]),
        ]
    )
    people = pa.table(
        {
            "sid": pa.concat_arrays(
                [catalog["session_id"].combine_chunks().cast(pa.string()), linked["session_id"].combine_chunks()]
            ),
            "account": pa.concat_arrays(
                [catalog["account_id"].combine_chunks().cast(pa.string()), linked["account_id"].combine_chunks()]
            ),
            "ord": pa.array(np.arange(catalog.num_rows + linked.num_rows), pa.int64()),
        }
    )
    sessions = sql(
        "SELECT sid, arg_min(account, ord) FILTER (WHERE account IS NOT NULL) AS account FROM people GROUP BY sid",
        people=people,
    )
    holding = pc.unique(pc.filter(linked["session_id"], pc.equal(linked["source"], source)))
    open_ = sessions.filter(pc.invert(pc.is_in(sessions["sid"], value_set=holding)))
    rows = inc.take(pa.array(pending, pa.int64()))
    row_codes, open_codes = _account_codes(rows["account_id"], open_["account"])
    starts = pa.concat_tables(
        [
            pa.table(
                {
                    "sid": catalog["session_id"].combine_chunks().cast(pa.string()),
                    "start": catalog["start"].combine_chunks().cast(TS),
                }
            ),
            pa.table({"sid": linked["session_id"].combine_chunks(), "start": linked["start"].combine_chunks()}),
        ]
    )
    starts = starts.filter(pc.is_in(starts["sid"], value_set=open_["sid"]))
    codes = pa.array(open_codes, pa.int64()).take(pc.index_in(starts["sid"], value_set=open_["sid"]))
    cands = starts.append_column("code", codes)
    probe = pa.table(
        {
            "key": pa.array(pending, pa.int64()),
            "code": pa.array(row_codes, pa.int64()),
            "start": rows["start"].combine_chunks(),
        }
    )
    key_of = inc["source_key"].to_pylist()
    pairs = sorted((gap, key_of[i], sid, i) for i, sid, gap in ((p[1], p[2], p[0]) for p in _near_pairs(probe, cands)))
    assigned: dict[int, str] = {}
    taken: set[str] = set()
    for _, _, sid, i in pairs:
        if i not in assigned and sid not in taken:
            assigned[i] = sid
            taken.add(sid)
    return assigned


def relink(summaries: pa.Table, arrived: pa.Table, has_events: set[str]) -> tuple[pa.Table, dict[str, str]]:
    """Move the rows of sessions known only by their summaries to a session whose events just arrived.

    ``arrived``: ``session_id``, ``account_id``, ``start`` of sessions with events (just summarised);
    ``has_events``: every session with events. Nearest start wins; a session never gets two rows of one
    source. Returns the summaries with their new session ids, and {old session_id: new}.
    """
    sids = summaries["session_id"]
    alone_mask = pc.invert(pc.is_in(sids, value_set=pa.array(sorted(has_events), pa.string())))
    alone_rows = summaries.filter(alone_mask)
    if not alone_rows.num_rows or not arrived.num_rows:
        return summaries, {}
    alone = set(alone_rows["session_id"].to_pylist())
    targets = arrived.filter(
        pc.and_(
            pc.and_(arrived["account_id"].is_valid(), arrived["start"].is_valid()),
            pc.invert(pc.is_in(arrived["session_id"], value_set=pa.array(sorted(alone), pa.string()))),
        )
    )
    row_codes, target_codes = _account_codes(alone_rows["account_id"], targets["account_id"])
    probe = pa.table(
        {"key": alone_rows["session_id"], "code": pa.array(row_codes, pa.int64()), "start": alone_rows["start"]}
    )
    cands = pa.table(
        {"sid": targets["session_id"], "start": targets["start"].cast(TS), "code": pa.array(target_codes, pa.int64())}
    )
    pairs = sorted(_near_pairs(probe, cands))
    if not pairs:
        return summaries, {}
    src_of: dict[str, set[str]] = {}
    for sid, src in zip(sids.to_pylist(), summaries["source"].to_pylist(), strict=True):
        src_of.setdefault(sid, set()).add(src)
    held = {e: set(src_of.get(e, ())) for e in arrived["session_id"].to_pylist()}
    moves: dict[str, str] = {}
    for _, sid, target in pairs:
        mine = src_of[sid]
        if sid in moves or held[target] & mine:
            continue
        moves[sid] = target
        held[target] |= mine
    if not moves:
        return summaries, {}
    old_ids = pa.array(list(moves), pa.string())
    new_ids = pa.array(list(moves.values()), pa.string())
    moved = pc.coalesce(new_ids.take(pc.index_in(sids, value_set=old_ids)), sids)
    return summaries.set_column(summaries.schema.get_field_index("session_id"), "session_id", moved), moves
