"""One session-id rule (liveboard/ids.py): every real id passes, nothing hostile does, and the CLI uses it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from logbuilder import LogBuilder, load

from liveboard import ids, simulator
from liveboard.cli import main
from liveboard.errors import InputError

REAL = [
    "7312345678901234567",  # TikTok Shop API live id: 19 digits, as a string
    "7000000000000000001",
    "shop.name-20260418T1414Z",  # export key: handle (dots) + start
    "_shop_name.my-20260418T1414Z",  # handles may start with an underscore
    "demo-20260301-120000",  # the LIVE Board's demo stream
    "le-20260920-baan",  # a live_event_id of the simulator
    "s1",
    "a",
    "user@shop:1+2",
    "x" * ids.MAX_SESSION_ID,
]

HOSTILE = [
    "../../etc/x' OR '1'='1",
    "",
    " ",
    "a\x00b",
    "a\nb",
    "abc\n",  # `$` in a regex would let this one through
    "a\rb",
    "a\tb",
    "\x1b[31mred",
    "a\u202eb",  # right-to-left override
    "x" * 200,
    "x" * (ids.MAX_SESSION_ID + 1),
    "..",
    "a..b",
    ".hidden",
    "a b",
    " a",
    "<script>",
    "<script>alert(1)</script>",
    "a/b",
    "a\\b",
    "/etc/passwd",
    "a'b",
    'a"b',
    "a;b",
    "a%2e%2e",
    "-rf",
    "@home",
    "ａｂｃ",  # full-width letters
    "аbc",  # Cyrillic a
]


def simulator_ids() -> list[str]:
    """Session and LIVE event ids the simulator gives: a big fleet with a mega session."""
    planned = simulator._plan(7, 40, 200, True, 1.0, simulator.DEFAULT_NOW)
    out = {p.session_id for p in planned} | {p.live_event_id for p in planned if p.live_event_id}
    assert any(s.startswith("mega-") for s in out) and any(s.startswith("le-") for s in out)
    return sorted(out)


@pytest.mark.parametrize("value", REAL)
def test_real_ids_pass(value: str) -> None:
    assert ids.is_session_id(value)
    assert ids.check_session_id(value) == value


def test_every_simulator_id_passes() -> None:
    found = simulator_ids()
    assert len(found) > 200
    assert [s for s in found if not ids.is_session_id(s)] == []


def test_simulated_store_ids_pass(tmp_path) -> None:
    """Ids as they come out of a store built by the simulator (what the dashboards list)."""
    from liveboard.store import Store

    store = Store(tmp_path / "store", create=True)
    for table in simulator.simulate(seed=3, accounts=2, sessions=3, scale=0.02):
        store.append(table)
    import liveboard

    listed = liveboard.open(tmp_path / "store").sessions()["session_id"].tolist()
    assert len(listed) == 3 and all(ids.is_session_id(s) for s in listed), listed


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_ids_fail(value: str) -> None:
    assert not ids.is_session_id(value)
    with pytest.raises(InputError) as err:
        ids.check_session_id(value, "session_id")
    message = str(err.value)
    assert message.startswith("session_id: ")
    assert message.isprintable()  # a bad character is shown escaped, never raw
    if len(value) > 20:
        assert value not in message  # the value is never echoed


def test_messages_say_why() -> None:
    def why(value: str) -> str:
        with pytest.raises(InputError) as err:
            ids.check_session_id(value, "session")
        return str(err.value)

    assert "no session id" in why("")
    assert "200 characters" in why("x" * 200) and "128" in why("x" * 200)
    assert "'..'" in why("../x")
    assert "starts with" in why(".x")
    assert "' '" in why("a b")
    assert "'\\x00'" in why("a\x00")


def test_non_strings() -> None:
    assert not ids.is_session_id(None) and not ids.is_session_id(7312345678901234567)
    assert ids.check_session_id(7312345678901234567) == "7312345678901234567"  # a number from a JSON id
    with pytest.raises(InputError):
        ids.check_session_id(None)


# --------------------------------------------------------------------------- the CLI uses the rule


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ids")
    log = LogBuilder("7312345678901234567")
    log.start(0, account_id="shop.name")
    log.end(60)
    return load(tmp, log).store.root


@pytest.mark.parametrize("value", ["../../etc/x' OR '1'='1", "a\x1b[2Jb", "<script>", "x" * 200])
def test_export_refuses_hostile_ids_in_one_line(store, tmp_path, capsys, value) -> None:
    out = tmp_path / "x.jsonl"
    capsys.readouterr()
    assert main(["export", value, "--out", str(out), "--store", str(store)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("liveboard: session_id: ") and captured.err.count("\n") == 1, captured.err
    assert not out.exists()


def test_export_of_a_real_id_still_works(store, tmp_path, capsys) -> None:
    out = tmp_path / "x.jsonl"
    assert main(["export", "7312345678901234567", "--out", str(out), "--store", str(store)]) == 0
    assert out.read_text().count("\n") == 2


def test_report_refuses_hostile_ids_before_any_kernel(store, tmp_path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "liveboard",
            "report",
            "ok-id",
            "../../etc/x",
            "--out",
            tmp_path / "r",
            "--store",
            store,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc
    assert proc.stderr.startswith("liveboard: session_id: ") and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert not (tmp_path / "r").exists()


def test_the_importer_applies_the_same_rule() -> None:
    """An id the dashboards would refuse never gets into the store: the event-log reader makes it a bad row."""
    import json

    import pyarrow as pa

    from liveboard.eventlog import parse_lines

    sids = [*REAL, *[h for h in HOSTILE if isinstance(h, str)]]
    lines = [
        json.dumps({"id": "e", "type": "comment", "session_id": sid, "ts": 1764590000000, "user_id": "u", "text": "x"})
        for sid in sids
    ]
    result = parse_lines(pa.table({"line_no": pa.array(range(1, len(lines) + 1), pa.int64()), "line": lines}), "f")
    kept = result.events["session_id"].to_pylist()
    assert kept == [sid for sid in sids if ids.is_session_id(sid)]
    assert set(kept) >= set(REAL)
    assert result.bad.num_rows == len(sids) - len(kept) and result.bad.num_rows > 0
