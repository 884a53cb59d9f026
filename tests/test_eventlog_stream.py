"""The streaming event-log reader (issue 8, item 3): bounded parts, the same events, bad rows, unknown types,
``seq`` and ``locate`` as the whole-file reader, and what a file that fails part way leaves behind."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pytest
from logbuilder import write_lines

from liveboard import eventlog
from liveboard.eventlog import BAD_ROW_SCHEMA, iter_event_logs, read_event_log, read_event_logs
from liveboard.events import EVENT_SCHEMA

GOOD = {
    "id": "g",
    "type": "comment",
    "session_id": "s1",
    "ts": "2026-03-01T12:00:00+00:00",
    "user_id": "u",
    "text": "x",
}


def line(**over) -> str:
    return json.dumps({**GOOD, **over})


def _lines(prefix: str, n: int) -> list[str]:
    """``n`` lines of one session: good events, with a bad row and an unknown type every few lines."""
    out = []
    for i in range(n):
        if i % 17 == 5:
            out.append("not json")
        elif i % 23 == 7:
            out.append(json.dumps({"id": f"{prefix}{i}", "type": "mystery", "session_id": "s1", "ts": 1772366400000}))
        elif i % 29 == 3:
            out.append("")
        else:
            out.append(line(id=f"{prefix}{i}"))
    return out


def _drain(stream) -> tuple[pa.Table, pa.Table, list[int]]:
    events, bads, sizes = [], [], []
    for ev, bad in stream:
        assert ev.schema == EVENT_SCHEMA and bad.schema == BAD_ROW_SCHEMA
        events.append(ev)
        bads.append(bad)
        sizes.append(ev.num_rows + bad.num_rows)
    ev = pa.concat_tables(events) if events else EVENT_SCHEMA.empty_table()
    bad = pa.concat_tables(bads) if bads else BAD_ROW_SCHEMA.empty_table()
    return ev, bad, sizes


def _by_seq(t: pa.Table) -> list[dict]:
    return sorted(t.to_pylist(), key=lambda r: r["seq"])


def _by_line(t: pa.Table) -> list[dict]:
    return sorted(t.to_pylist(), key=lambda r: (r["file"], r["line"]))


@pytest.fixture
def files(tmp_path):
    a = write_lines(tmp_path / "a.jsonl", _lines("a", 300))
    b = write_lines(tmp_path / "b.jsonl.gz", _lines("b", 211))
    empty = write_lines(tmp_path / "empty.jsonl", [])
    c = write_lines(tmp_path / "c.jsonl", ["", *_lines("c", 50)])
    return [a, b, empty, c]


@pytest.mark.parametrize("part_lines", [40, 10_000])
def test_parts_are_bounded_and_give_what_the_whole_file_reader_gives(files, monkeypatch, part_lines):
    whole = read_event_logs(files)
    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", part_lines)
    stream = iter_event_logs(files)
    events, bad, sizes = _drain(stream)
    assert max(sizes) <= part_lines
    if part_lines < 100:
        assert len(sizes) > len(files)  # really in parts, not a file at a time
    assert _by_seq(events) == _by_seq(whole.events)  # seq across files numbered as read_event_logs does
    assert _by_line(bad) == _by_line(whole.bad)
    assert stream.unknown_types == whole.unknown_types and whole.unknown_types["mystery"] > 10
    assert stream.sources == whole.sources
    assert stream.file_errors == [] and stream.partial == []
    assert (stream.events_read, stream.bad_read) == (events.num_rows, bad.num_rows)


def test_parts_of_bounded_bytes_too(tmp_path, monkeypatch):
    path = write_lines(tmp_path / "log.jsonl", [line(id=f"x{i}", text="y" * 200) for i in range(400)])
    monkeypatch.setattr(eventlog.lines, "READ_BLOCK", 4096)
    monkeypatch.setattr(eventlog.lines, "CHUNK_BYTES", 16 << 10)
    stream = iter_event_logs([path])
    _, _, sizes = _drain(stream)
    longest = len(line(id="x399", text="y" * 200)) + 1
    assert len(sizes) > 4 and max(sizes) * longest <= (16 << 10) + 4096 + longest


def test_seq_across_files_and_locate_from_the_stream(files, monkeypatch):
    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", 60)
    stream = iter_event_logs(files)
    events, _, _ = _drain(stream)
    seqs = events["seq"].to_pylist()
    assert len(set(seqs)) == len(seqs)
    ids = events["id"].to_pylist()
    wanted = [ids.index(x) for x in ("c49", "a0", "b210", "a299", "b4")]
    where = stream.locate([seqs[i] for i in wanted]).to_pylist()
    a, b, _, c = files
    # c has a blank first line, so its line i + 2 is event c{i}; the blank lines keep their numbers
    assert [(w["file"], w["line"]) for w in where] == [
        (str(c), 51),
        (str(a), 1),
        (str(b), 211),
        (str(a), 300),
        (str(b), 5),
    ]
    assert [json.loads(w["raw"])["id"] for w in where] == ["c49", "a0", "b210", "a299", "b4"]
    assert stream.locate(seqs[:3]).equals(read_event_logs(files).locate(seqs[:3]))


def test_seq_order_within_a_part_and_across_parts(files, monkeypatch):
    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", 50)
    previous = -1
    for events, bad in iter_event_logs(files):
        seq = events["seq"].to_pylist()
        assert seq == sorted(seq) and (not seq or seq[0] > previous)
        previous = seq[-1] if seq else previous
        assert bad["line"].to_pylist() == sorted(bad["line"].to_pylist())
        assert len(set(bad["file"].to_pylist())) <= 1  # a part never spans two files


def test_empty_files_and_no_files(tmp_path):
    empty = write_lines(tmp_path / "empty.jsonl", [])
    blank = write_lines(tmp_path / "blank.jsonl.gz", ["", "   ", ""])
    stream = iter_event_logs([empty, blank])
    events, bad, sizes = _drain(stream)
    assert sizes == [] and events.num_rows == 0 and bad.num_rows == 0
    assert stream.sources == [(str(empty), 0), (str(blank), 1)] and stream.file_errors == []
    nothing = iter_event_logs([])
    assert _drain(nothing)[2] == [] and nothing.sources == []


def test_a_file_that_cannot_be_read_is_named_and_the_others_are_read(files, tmp_path):
    missing = tmp_path / "missing.jsonl"
    stream = iter_event_logs([files[0], missing, files[1]])
    events, _, _ = _drain(stream)
    assert stream.file_errors == [f"{missing}: no such file or folder"]
    whole = read_event_logs([files[0], missing, files[1]])
    assert _by_seq(events) == _by_seq(whole.events) and stream.sources == whole.sources


def _truncated_gz(path, lines: list[str]) -> None:
    data = gzip.compress("".join(x + "\n" for x in lines).encode(), compresslevel=1)
    path.write_bytes(data[: len(data) * 2 // 3])


def test_a_gzip_truncated_after_parts_were_handed_on_keeps_them_and_says_which_lines(tmp_path, monkeypatch):
    """What a stream handed on before the damage was found stays handed on (it cannot take it back): the
    error says which lines, ``partial`` gives their seq range; the lines read after the last part are dropped."""
    good = write_lines(tmp_path / "good.jsonl", [line(id="g1"), line(id="g2")])
    broken = tmp_path / "broken.jsonl.gz"
    _truncated_gz(broken, [line(id=f"t{i}") for i in range(3000)])
    after = write_lines(tmp_path / "after.jsonl", [line(id="z1")])
    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", 500)
    monkeypatch.setattr(eventlog.lines, "READ_BLOCK", 4096)
    stream = iter_event_logs([good, broken, after])
    events, _, sizes = _drain(stream)
    ids = events["id"].to_pylist()
    [problem] = stream.file_errors
    taken = [x for x in ids if x.startswith("t")]
    assert len(taken) % 500 == 0 and 500 <= len(taken) < 3000  # whole parts only
    assert taken == [f"t{i}" for i in range(len(taken))]
    assert problem.startswith(f"{broken}: damaged or truncated gzip file (")
    assert f"after line {len(taken):,}: lines 1 to {len(taken):,} are imported, the rest of the file is not" in problem
    assert "\n" not in problem
    [(file, first, last)] = stream.partial
    seq = dict(zip(ids, events["seq"].to_pylist(), strict=True))
    assert file == str(broken) and (first, last) == (seq["t0"], seq[taken[-1]])
    assert seq["z1"] > last and ids[-1] == "z1"  # the next file numbered after it
    where = stream.locate([seq["t0"], seq[taken[-1]]]).to_pylist()
    assert [w["line"] for w in where] == [1, len(taken)]
    # the whole-file reader holds each file to its end: the broken one contributes nothing at all
    whole = read_event_logs([good, broken, after])
    assert whole.events["id"].to_pylist() == ["g1", "g2", "z1"]
    assert whole.file_errors[0].startswith(f"{broken}: damaged or truncated gzip file (")
    assert whole.file_errors[0].endswith("; nothing imported from it")


def test_a_damaged_file_smaller_than_a_part_contributes_nothing(tmp_path):
    broken = tmp_path / "broken.jsonl.gz"
    _truncated_gz(broken, [line(id=f"t{i}") for i in range(3000)])
    good = write_lines(tmp_path / "good.jsonl", [line(id="g1")])
    stream = iter_event_logs([broken, good])
    events, bad, _ = _drain(stream)
    assert events["id"].to_pylist() == ["g1"] and bad.num_rows == 0
    assert events["seq"].to_pylist() == [1]  # numbered as if the broken file were not there
    assert stream.partial == [] and stream.sources == [(str(good), 0)]
    assert stream.file_errors[0].endswith("; nothing imported from it")


def test_a_file_over_the_size_guard_after_parts_were_handed_on(tmp_path, monkeypatch):
    big = write_lines(tmp_path / "big.jsonl", [line(id=f"b{i}") for i in range(4000)])
    monkeypatch.setattr(eventlog.lines, "MAX_FILE_BYTES", 200_000)
    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", 300)
    monkeypatch.setattr(eventlog.lines, "READ_BLOCK", 8192)
    stream = iter_event_logs([big])
    events, _, _ = _drain(stream)
    [problem] = stream.file_errors
    assert 0 < events.num_rows < 4000 and events.num_rows % 300 == 0
    assert problem.startswith(f"{big}: more than 200,000 bytes of text (after decompression) after line ")
    assert problem.endswith("the rest of the file is not (a gzip bomb? else split it into smaller files)")


def test_concatenated_gzip_members_and_zero_padding_read_as_one_file(tmp_path):
    one = "".join(x + "\n" for x in [line(id="m1"), line(id="m2")]).encode()
    two = (line(id="m3") + "\n").encode()
    path = tmp_path / "cat.jsonl.gz"
    path.write_bytes(gzip.compress(one) + gzip.compress(two) + b"\0" * 10)
    r = read_event_log(path)
    assert r.events["id"].to_pylist() == ["m1", "m2", "m3"] and r.events["seq"].to_pylist() == [1, 2, 3]
    path.write_bytes(gzip.compress(one) + b"garbage after the member")
    with pytest.raises(eventlog.EventLogError, match="damaged or truncated gzip file"):
        read_event_log(path)


def test_leaving_the_loop_early_stops_the_reader(files, monkeypatch):
    import threading

    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", 5)
    before = threading.active_count()
    stream = iter_event_logs(files)
    parts = iter(stream)
    next(parts)
    parts.close()  # what a break or an exception in the loop does
    assert threading.active_count() == before
    with pytest.raises(RuntimeError, match="read once"):
        iter(stream)


def test_an_error_in_the_consumer_stops_the_reader_and_propagates(files, monkeypatch):
    import threading

    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", 5)
    before = threading.active_count()
    with pytest.raises(ZeroDivisionError):
        for _events, _bad in iter_event_logs(files):
            1 / 0  # noqa: B018 - the consumer's own failure
    assert threading.active_count() == before


def test_progress_bar_counts_the_bytes_of_the_files(files, capsys):
    _drain(iter_event_logs(files, progress=True))
    err = capsys.readouterr().err
    assert "reading" in err and "100%" in err


def test_unordered_parts_hold_the_same_events_and_bad_rows_in_line_order(tmp_path, monkeypatch):
    kinds = [
        {"type": "comment", "user_id": "u", "text": "hi"},
        {"type": "like", "user_id": "u", "count": 3},
        {"type": "viewer_enter", "user_id": "u", "channel": "feed"},
        {"type": "product_click", "user_id": "u", "product_id": "p"},
        {"type": "share", "user_id": "u"},
    ]
    lines = []
    for i in range(400):
        if i % 19 == 4:
            lines.append(line(id=f"x{i}", type="like", count="many"))  # a bad row of a branch of its own
        elif i % 31 == 2:
            lines.append("{not json")
        else:
            lines.append(json.dumps({**GOOD, "id": f"x{i}", **kinds[i % len(kinds)]}))
    path = write_lines(tmp_path / "mixed.jsonl", lines)
    monkeypatch.setattr(eventlog.lines, "CHUNK_LINES", 70)
    ordered_ev, ordered_bad, _ = _drain(iter_event_logs([path]))
    parts = list(iter_event_logs([path], ordered=False))
    events = pa.concat_tables([ev for ev, _ in parts])
    assert _by_seq(events) == _by_seq(ordered_ev) and events.num_rows > 280
    for _, bad in parts:  # bad rows in line order, part by part, and the same ones
        assert bad["line"].to_pylist() == sorted(bad["line"].to_pylist())
    assert pa.concat_tables([bad for _, bad in parts]).to_pylist() == ordered_bad.to_pylist()
    assert ordered_bad.num_rows > 20
