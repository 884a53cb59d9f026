"""The store: idempotent imports, sealing, quarantine, snapshots, layout, and leftovers of killed imports."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from logbuilder import LogBuilder, import_files, write_lines

import liveboard
from liveboard.eventlog import read_event_log, write_event_log
from liveboard.store import Store, StoreError


def session_log(session_id: str = "s1", account: str = "acct1", end: bool = True, t0: float = 0) -> LogBuilder:
    b = LogBuilder(session_id)
    b.start(t0, account_id=account, title=f"LIVE {session_id}", id=f"{session_id}-start")
    b.enter(t0 + 10, "u1", id=f"{session_id}-enter")
    b.order(t0 + 20, "o1", "u1", amount="4.20", id=f"{session_id}-order")
    b.ev("comment", t0 + 30, user_id="u1", text="hi", id=f"{session_id}-comment")
    if end:
        b.end(t0 + 60, id=f"{session_id}-end")
    return b


def state(root):
    wb = liveboard.open(root)
    df = wb.sessions().sort_values("session_id").reset_index(drop=True)
    return df.drop(columns=["source"], errors="ignore")


def test_reimport_is_idempotent(tmp_path):
    path = session_log().write(tmp_path / "log.jsonl")
    _, first = import_files(tmp_path / "store", [path])
    assert (first.imported, first.duplicates, first.bad) == (5, 0, 0)
    before = state(tmp_path / "store")
    files_before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "store").rglob("*.parquet"))
    _, again = import_files(tmp_path / "store", [path])
    assert (again.imported, again.duplicates, again.refused, again.bad) == (0, 5, 0, 0)
    assert again.ok
    assert again.version == first.version  # nothing to commit
    after = state(tmp_path / "store")
    assert after.equals(before)
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "store").rglob("*.parquet")) == files_before
    assert Store(tmp_path / "store").events().num_rows == 5


def test_reimport_with_overlap_adds_only_new(tmp_path):
    b = session_log(end=False)
    p1 = b.write(tmp_path / "a.jsonl", b.events[:3])
    p2 = b.write(tmp_path / "b.jsonl", b.events[1:])
    import_files(tmp_path / "store", [p1])
    _, rep = import_files(tmp_path / "store", [p2])
    assert (rep.imported, rep.duplicates) == (1, 2)
    assert Store(tmp_path / "store").events().num_rows == 4


def test_sealed_session_refuses_new_events(tmp_path):
    log = session_log()
    path = log.write(tmp_path / "log.jsonl")
    _, first = import_files(tmp_path / "store", [path])
    assert first.sealed == ["s1"]
    late = LogBuilder("s1")
    late.ev("comment", 90, user_id="u2", text="too late", id="late-1")
    late.order(91, "o9", "u2", amount="100.00", id="late-2")
    other = session_log("s2", end=False)
    late_path = late.write(tmp_path / "late.jsonl", late.events + other.events)
    _, rep = import_files(tmp_path / "store", [late_path, path])
    assert rep.refused == 2
    assert rep.duplicates == 5
    assert rep.imported == len(other.events)
    assert not rep.ok
    assert any("s1" in p and "sealed" in p for p in rep.problems)
    r = state(tmp_path / "store").set_index("session_id")
    assert r.loc["s1", "comments"] == 1 and r.loc["s1", "gmv"] == pytest.approx(4.2)
    assert r.loc["s1", "event_count"] == 5
    assert bool(r.loc["s1", "sealed"]) and not bool(r.loc["s2", "sealed"])
    q = liveboard.open(tmp_path / "store").quarantine()
    refused = q[q["reason"].str.contains("sealed")]
    assert len(refused) == 2
    assert set(refused["reason"].str.extract(r"event (\S+)")[0]) == {"late-1", "late-2"}
    # duplicates of a sealed session are still fine
    _, dup = import_files(tmp_path / "store", [path])
    assert (dup.imported, dup.duplicates, dup.refused) == (0, 5, 0) and dup.ok


def test_session_end_in_a_later_import_seals(tmp_path):
    b = session_log(end=False)
    import_files(tmp_path / "store", [b.write(tmp_path / "a.jsonl")])
    assert not bool(state(tmp_path / "store")["sealed"].iloc[0])
    end = LogBuilder("s1")
    end.end(120)
    _, rep = import_files(tmp_path / "store", [end.write(tmp_path / "b.jsonl")])
    assert rep.sealed == ["s1"] and rep.imported == 1
    r = state(tmp_path / "store").iloc[0]
    assert bool(r["sealed"]) and r["duration_s"] == 120 and r["event_count"] == 5


def test_quarantine_keeps_bad_rows_across_imports(tmp_path):
    a = write_lines(tmp_path / "a.jsonl", [*session_log().lines(), "{broken"])
    b = write_lines(tmp_path / "b.jsonl", ["", '{"id": "x"}'])
    _, r1 = import_files(tmp_path / "store", [a])
    _, r2 = import_files(tmp_path / "store", [b])
    assert r1.bad == 1 and r2.bad == 1
    q = liveboard.open(tmp_path / "store").quarantine().sort_values("file")
    assert q["file"].tolist() == [str(a), str(b)]
    assert q["line"].tolist() == [6, 2]
    assert q["raw"].tolist() == ["{broken", '{"id": "x"}']
    assert all(isinstance(x, str) and x for x in q["reason"])


def test_bad_rows_only_import_still_commits_quarantine(tmp_path):
    p = write_lines(tmp_path / "a.jsonl", ["nope"])
    _, rep = import_files(tmp_path / "store", [p])
    assert rep.imported == 0 and rep.bad == 1
    wb = liveboard.open(tmp_path / "store")
    assert len(wb.quarantine()) == 1
    assert wb.sessions().empty


def test_old_snapshot_keeps_working_while_writer_commits(tmp_path):
    root = tmp_path / "store"
    import_files(root, [session_log("s1").write(tmp_path / "1.jsonl")])
    store = Store(root)
    snap = store.snapshot()
    con, _ = store.connect(snap)
    store.define_events(con, None)
    session = liveboard.open(root).session("s1")
    trend_before = session.trend()
    for i in range(2, 6):
        import_files(root, [session_log(f"s{i}", t0=i * 100).write(tmp_path / f"{i}.jsonl")])
    # the reader's connection and its snapshot still answer with the old state
    assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM ev").fetchone()[0] == 5
    con2, _ = store.connect(snap)
    store.define_events(con2, None)
    assert con2.execute("SELECT count(*) FROM ev").fetchone()[0] == 5
    assert session.trend().equals(trend_before)
    assert len(liveboard.open(root).sessions()) == 5
    assert store.snapshot().version == snap.version + 4


def test_readers_see_whole_commits_during_writes(tmp_path):
    root = tmp_path / "store"
    logs = [session_log(f"s{i}", t0=i * 100) for i in range(6)]
    paths = [b.write(tmp_path / f"{i}.jsonl") for i, b in enumerate(logs)]
    import_files(root, paths[:1])
    seen, errors, done = [], [], threading.Event()

    def reader():
        while not done.is_set():
            try:
                df = liveboard.open(root).sessions()
                seen.append((len(df), int(df["event_count"].sum())))
            except Exception as exc:  # noqa: BLE001 - any error is a failure
                errors.append(exc)

    th = threading.Thread(target=reader)
    th.start()
    try:
        for p in paths[1:]:
            import_files(root, [p])
    finally:
        done.set()
        th.join(30)
    assert not errors
    assert seen
    assert all(events == 5 * n for n, events in seen)  # never half a session
    assert [n for n, _ in seen] == sorted(n for n, _ in seen)


def test_store_env_default(tmp_path, monkeypatch):
    root = tmp_path / "envstore"
    import_files(root, [session_log().write(tmp_path / "log.jsonl")])
    monkeypatch.setenv("LIVEBOARD_STORE", str(root))
    assert Store().root == root
    assert liveboard.open().sessions()["session_id"].tolist() == ["s1"]
    monkeypatch.setenv("LIVEBOARD_STORE", str(tmp_path / "nothing"))
    with pytest.raises(StoreError):
        liveboard.open()


def test_partition_layout(tmp_path):
    a = session_log("s1", account="shopA")  # 2026-03-01 12:00 UTC
    b = LogBuilder("s2", fmt="-05")
    b.start(12 * 3600, account_id="shopB", title="late")  # 2026-03-02 00:00 UTC = 03-01 19:00 -05:00
    b.ev("comment", 13 * 3600, user_id="u", text="x")
    c = LogBuilder("s3", fmt="+08")
    c.start(-13 * 3600, account_id="shopA", title="early")  # 2026-02-28 23:00 UTC = 03-01 07:00 +08:00
    c.ev("comment", -11 * 3600, user_id="u", text="past midnight UTC")  # still in the start's partition
    root = tmp_path / "store"
    import_files(root, [a.write(tmp_path / "a.jsonl"), b.write(tmp_path / "b.jsonl"), c.write(tmp_path / "c.jsonl")])
    by_session = {}
    for f in (root / "events").rglob("*.parquet"):
        rel = f.relative_to(root / "events")
        assert len(rel.parts) == 3, rel
        for sid in set(pq.read_table(f)["session_id"].to_pylist()):
            by_session.setdefault(sid, set()).add(rel.parent.as_posix())
    assert by_session == {
        "s1": {"account=shopA/date=2026-03-01"},
        "s2": {"account=shopB/date=2026-03-02"},
        "s3": {"account=shopA/date=2026-02-28"},
    }
    assert set(state(root)["account_id"]) == {"shopA", "shopB"}


def test_partition_names_are_safe(tmp_path):
    b = LogBuilder("s1")
    b.start(0, account_id="../../etc/x y")
    root = tmp_path / "store"
    import_files(root, [b.write(tmp_path / "a.jsonl")])
    files = list(root.rglob("*.parquet"))
    assert all(root in f.parents for f in files)
    parts = [f.relative_to(root / "events").parts for f in (root / "events").rglob("*.parquet")]
    assert len(parts) == 1 and len(parts[0]) == 3
    assert parts[0][0].startswith("account=") and parts[0][0] not in ("account=..", "account=.")
    assert state(root)["account_id"].tolist() == ["../../etc/x y"]


def test_a_commit_killed_between_tables_is_never_read_and_undone(tmp_path):
    """A writer killed after committing the events table but before the store's head: readers keep the
    version the head names; the next writer restores the table to it, then commits its own version."""
    from liveboard import tables
    from liveboard.store import EVENT_SCHEMA, EVENTS_TABLE_SCHEMA, PARTITIONS

    root = tmp_path / "store"
    import_files(root, [session_log("s1").write(tmp_path / "a.jsonl")])
    v = Store(root).snapshot().version
    ghost = read_event_log(session_log("s1").write(tmp_path / "ghost.jsonl")).events
    ghost = ghost.set_column(1, ghost.schema.field("id"), pa.array([f"g{i}" for i in range(ghost.num_rows)]))
    pending = tables.Pending()
    pending.adds.append(
        tables.write_file(
            root / "events",
            ghost.cast(EVENT_SCHEMA),
            prefix="ghost",
            partition={"account": "ghost", "date": "2026-01-01"},
        )
    )
    tables.commit(root / "events", pending, EVENTS_TABLE_SCHEMA, PARTITIONS)
    part = root / "events" / "account=acct1" / "date=2026-03-01"
    (part / ".c000000009-00001.1.1.tmp").write_bytes(b"half")
    # readers do not see the ghost commit
    wb = liveboard.open(root)
    assert wb.sessions()["event_count"].tolist() == [5]
    assert wb.session("s1").events().num_rows == 5
    assert Store(root).events().num_rows == 5
    assert Store(root).snapshot().version == v
    # the next writer undoes it before committing its own version v+1
    b2 = session_log("s2", t0=500)
    _, rep = import_files(root, [b2.write(tmp_path / "b.jsonl")])
    assert rep.version == v + 1
    assert not (part / ".c000000009-00001.1.1.tmp").exists()
    df = liveboard.open(root).sessions().set_index("session_id")
    assert df["event_count"].to_dict() == {"s1": 5, "s2": 5}
    assert Store(root).events().num_rows == 10
    newest = [Path(p).name for p in tables.load(root / "events").file_uris()]
    assert not [n for n in newest if n.startswith("ghost")]


def test_store_without_create_is_an_error(tmp_path):
    with pytest.raises(StoreError, match="no liveboard store"):
        Store(tmp_path / "missing")
    with pytest.raises(StoreError):
        liveboard.open(tmp_path)


def test_empty_store_reads(tmp_path):
    Store(tmp_path / "s", create=True)
    wb = liveboard.open(tmp_path / "s")
    assert wb.sessions().empty
    assert wb.quarantine().empty
    assert "gmv" in wb.sessions().columns


# ---------------------------------------------------------------- hostile input (issue 11)


def catalog(root) -> list[dict]:
    """The session catalog's rows as stored (every column, exact types)."""
    con, _ = Store(root).connect()
    return con.sql("SELECT * FROM sessions ORDER BY session_id").to_arrow_table().to_pylist()


def quarantine(root) -> list[dict]:
    q = liveboard.open(root).quarantine()
    return sorted(q.to_dict("records"), key=lambda r: (r["file"], -1 if pd.isna(r["line"]) else r["line"]))


def test_late_order_updates_enter_a_sealed_session_and_nothing_else_does(tmp_path):
    b = LogBuilder("s1")
    b.start(0, id="start")
    b.order(10, "o1", "u1", amount="30.00", status="paid", id="o1-paid")
    b.order(20, "o2", "u2", amount="5.00", status="created", id="o2-created")
    b.end(60, id="end")
    root = tmp_path / "store"
    import_files(root, [b.write(tmp_path / "live.jsonl")])
    later = LogBuilder("s1")
    later.order(3 * 86400, "o1", "u1", amount="30.00", status="refunded", id="o1-refunded")  # days later
    later.order(90, "o2", "u2", amount="5.00", status="paid", id="o2-paid")
    later.ev("comment", 95, user_id="u3", text="too late", id="late-comment")
    later.order(96, "o9", "u3", amount="99.00", id="o9-new")
    path = later.write(tmp_path / "later.jsonl")
    _, rep = import_files(root, [path])
    assert rep.late_updates == {"s1": 2} and rep.imported == 2
    assert rep.refused == 2 and not rep.ok
    row = catalog(root)[0]
    assert row["sealed"] and row["late_order_updates"] == 2
    assert row["refunded_gmv"] == Decimal("30.00") and row["gmv"] == Decimal("35.00")
    assert row["sku_orders"] == 2 and row["event_count"] == 6
    # the refused events are quarantined with their file, line and raw text (not "(import)::")
    refused = [q for q in quarantine(root) if "sealed" in q["reason"]]
    assert [(q["file"], q["line"], q["raw"]) for q in refused] == [
        (str(path), 3, later.lines()[2]),
        (str(path), 4, later.lines()[3]),
    ]
    assert (
        "o9-new (order) refused" in refused[1]["reason"]
        and "not an update of one of its orders" in refused[1]["reason"]
    )
    # the same file again: duplicates and refusals, but nothing quarantined a second time
    _, again = import_files(root, [path])
    assert (again.imported, again.duplicates, again.refused) == (0, 2, 2)
    assert again.version == rep.version and len(quarantine(root)) == 2


def test_refused_event_without_a_reader_keeps_the_event_as_json(tmp_path):
    root = tmp_path / "store"
    import_files(root, [session_log().write(tmp_path / "a.jsonl")])
    late = LogBuilder("s1")
    late.ev("comment", 90, user_id="u2", text="late", id="late-1")
    events = read_event_log(late.write(tmp_path / "late.jsonl")).events
    rep = Store(root).append(events)  # no origin: a live source, say
    assert rep.refused == 1
    [q] = [q for q in quarantine(root) if "sealed" in q["reason"]]
    assert q["file"] == "(import)" and pd.isna(q["line"])
    assert json.loads(q["raw"]) | {"ts": None} == {
        "id": "late-1",
        "type": "comment",
        "session_id": "s1",
        "ts": None,
        "user_id": "u2",
        "text": "late",
    }


def test_same_id_with_other_content_than_stored_is_a_conflict_and_the_stored_one_stays(tmp_path):
    b = session_log(end=False)
    root = tmp_path / "store"
    import_files(root, [b.write(tmp_path / "a.jsonl")])
    changed = json.loads(b.lines()[2]) | {"amount": "999.00"}
    path = write_lines(tmp_path / "b.jsonl", [b.lines()[1], json.dumps(changed)])
    _, rep = import_files(root, [path])
    assert (rep.imported, rep.duplicates, rep.conflicts) == (0, 1, 1) and not rep.ok
    [row] = rep.rejected.to_pylist()
    assert (row["file"], row["line"], row["raw"]) == (str(path), 2, json.dumps(changed))
    assert "s1-order" in row["reason"] and "field 'amount' differs" in row["reason"] and "stored" in row["reason"]
    assert catalog(root)[0]["gmv"] == Decimal("4.20")
    assert [q["line"] for q in quarantine(root)] == [2]


def test_conflicting_versions_in_one_batch_are_all_rejected_whatever_the_file_order(tmp_path):
    b = session_log(end=False)
    paid = json.loads(b.lines()[2])
    refunded = paid | {"status": "refunded", "amount": "4.30"}
    a = write_lines(tmp_path / "a.jsonl", b.lines()[:2] + [json.dumps(paid)])
    c = write_lines(tmp_path / "c.jsonl", [json.dumps(refunded), b.lines()[3], b.lines()[0]])
    stores = {}
    for name, order in (("ac", [a, c]), ("ca", [c, a])):
        _, rep = import_files(tmp_path / name, order)
        assert (rep.imported, rep.duplicates, rep.conflicts) == (3, 1, 2) and not rep.ok
        stores[name] = (
            state(tmp_path / name),
            Store(tmp_path / name).events().drop_columns(["seq"]),
            quarantine(tmp_path / name),
        )
    (s1, e1, q1), (s2, e2, q2) = stores["ac"], stores["ca"]
    pd.testing.assert_frame_equal(s1, s2)
    assert e1.sort_by("id").equals(e2.sort_by("id"))
    assert q1 == q2
    assert "s1-order" not in e1["id"].to_pylist() and s1.iloc[0]["sku_orders"] == 0
    assert [(q["file"], q["line"]) for q in q1] == [(str(a), 3), (str(c), 1)]
    assert f"another version at {c}:1" in q1[0]["reason"] and f"another version at {a}:3" in q1[1]["reason"]
    assert all("fields 'amount', 'status' differ" in q["reason"] for q in q1)


def test_an_exported_session_imported_again_is_all_duplicates(tmp_path):
    b = LogBuilder()
    b.start(0, studio="B", tags=["x", "y"])
    b.ev("comment", 5, user_id="u1", text="hi", lang="en", meta={"device": "ios", "n": 3})
    b.order(6, "o1", amount="1.50", note="gift wrap")
    b.ev("giveaway_end", 7, giveaway_id="g", winner_ids=["u1", "u2"])
    root = tmp_path / "store"
    import_files(root, [b.write(tmp_path / "log.jsonl", b.events[::-1])])
    out = tmp_path / "export.jsonl.gz"
    write_event_log(liveboard.open(root).session("s1").events(), out)
    _, rep = import_files(root, [out])
    assert (rep.imported, rep.duplicates, rep.conflicts) == (0, 4, 0) and rep.ok


def test_session_end_before_its_start_is_a_bad_row(tmp_path):
    b = LogBuilder("s1")
    b.start(100, id="start")
    b.end(50, id="end-early")
    b.ev("comment", 120, user_id="u", text="x", id="c")
    root = tmp_path / "store"
    path = b.write(tmp_path / "a.jsonl")
    _, rep = import_files(root, [path])
    assert (rep.imported, rep.bad) == (2, 1) and not rep.ok
    [row] = rep.rejected.to_pylist()
    assert (row["file"], row["line"]) == (str(path), 2)
    assert row["reason"] == "session_end at 2026-03-01T12:00:50Z is before the session's start at 2026-03-01T12:01:40Z"
    assert not bool(state(root).iloc[0]["sealed"])
    # against the stored start, in a later import
    late = LogBuilder("s1")
    late.end(99, id="end-still-early")
    late.end(500, id="end")
    path2 = late.write(tmp_path / "b.jsonl")
    _, rep2 = import_files(root, [path2])
    assert (rep2.imported, rep2.bad) == (1, 1)
    assert [(r["file"], r["line"]) for r in rep2.rejected.to_pylist()] == [(str(path2), 1)]
    row = state(root).iloc[0]
    assert bool(row["sealed"]) and row["duration_s"] == 400


def test_bad_rows_are_quarantined_once(tmp_path):
    a = write_lines(tmp_path / "a.jsonl", [*session_log().lines(), "{broken", '{"id": 1}'])
    root = tmp_path / "store"
    _, first = import_files(root, [a])
    _, again = import_files(root, [a, a])  # the same file twice more, even in one call
    assert first.bad == 2 and again.bad == 4 and not again.ok
    assert again.version == first.version  # nothing new to keep: no commit
    assert [(q["line"], q["raw"]) for q in quarantine(root)] == [(6, "{broken"), (7, '{"id": 1}')]
