"""The ``liveboard`` command (liveboard/cli.py), run as a user runs it: a subprocess of ``python -m liveboard``
(tests/cli_helpers.py), or ``main`` in this process for the many filter cases. What ``python -m liveboard``
itself does (the exit status, the output) is in tests/test_main.py."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from cli_helpers import import_three, run, three_sessions
from logbuilder import LogBuilder, write_lines

from liveboard.cli import main
from liveboard.metrics import SESSION_METRICS

HEADER = "session_id,title,account_id,live_event_id,start,end,duration_s," + ",".join(
    m for m in SESSION_METRICS if m not in ("start", "end", "duration_s")
)


def run_here(capsys, *args) -> tuple[int, str, str]:
    """The same ``main`` in this process (quicker, for the many filter cases); returns (exit code, out, err)."""
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def rows(csv_text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(csv_text)))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, list[Path], subprocess.CompletedProcess]:
    return import_three(tmp_path_factory.mktemp("cli"))


def test_import_reports_counts_and_fails_on_bad_rows(built):
    store, _, paths, proc = built
    assert proc.returncode == 1
    assert "imported 12 · duplicate 1 · bad 1 · refused 0 · unknown type 0" in proc.stdout
    assert f"{paths[-1]}:2: not valid JSON" in proc.stderr
    assert "sealed 2 ended session(s)" in proc.stdout
    # the good rows are in
    out = run("sessions", "--store", store, "--format", "csv").stdout
    assert sorted(r["session_id"] for r in rows(out)) == ["s1", "s2", "s3"]
    q = run("quarantine", "--store", store).stdout
    assert f"{paths[-1]}:2: not valid JSON" in q


def test_import_clean_exits_zero(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.ev("mystery", 1)
    p = b.write(tmp_path / "a.jsonl")
    proc = run("import", p, "--store", tmp_path / "st")
    assert "imported 1 · duplicate 0 · bad 0 · refused 0 · unknown type 1 (mystery ×1)" in proc.stdout
    again = run("import", p, "--store", tmp_path / "st")
    assert "imported 0 · duplicate 1" in again.stdout


def test_import_refused_exits_nonzero(tmp_path):
    b = LogBuilder()
    b.start(0)
    b.end(10)
    run("import", b.write(tmp_path / "a.jsonl"), "--store", tmp_path / "st")
    late = LogBuilder()
    late.ev("comment", 20, user_id="u", text="late", id="late")
    proc = run("import", late.write(tmp_path / "b.jsonl"), "--store", tmp_path / "st", check_rc=1)
    assert "refused 1" in proc.stdout
    assert "sealed" in proc.stderr and "s1" in proc.stderr


def test_sessions_csv_shape(built):
    store = built[0]
    out = run("sessions", "--store", store, "--format", "csv").stdout
    lines = out.splitlines()
    assert lines[0] == HEADER
    by_id = {r["session_id"]: r for r in rows(out)}
    s1, s2, s3 = by_id["s1"], by_id["s2"], by_id["s3"]
    assert s1["title"] == '\'=HYPERLINK("http://x")'  # formula neutralised
    assert s1["gmv"] == "0.30" and Decimal(s1["gmv"]) == Decimal("0.1") + Decimal("0.2")
    assert s1["avg_price"] == "0.15"
    assert s1["live_event_id"] == "" and s2["live_event_id"] == "evt"
    assert s1["enter_room_rate"] == "" and s1["ctor"] == "" and s1["show_gpm"] == ""  # no impressions, no clicks
    assert s1["start"] == "2026-03-01T12:00:00+00:00" and s1["end"] == "2026-03-01T12:01:40+00:00"
    assert float(s1["duration_s"]) == 100
    assert s3["end"] == "" and float(s3["duration_s"]) == 30
    assert s2["start"] == "2026-03-05T12:00:00+00:00"
    assert float(s2["enter_room_rate"]) == 1.0 and float(s2["live_ctr"]) == 1.0
    assert s2["gmv"] == "0.00" and s2["avg_price"] == ""
    # newest first
    assert [r["session_id"] for r in rows(out)] == ["s3", "s2", "s1"]


def test_sessions_json(built):
    out = run("sessions", "--store", built[0], "--format", "json").stdout
    records = json.loads(out)
    assert [r["session_id"] for r in records] == ["s3", "s2", "s1"]
    s1 = records[2]
    assert list(s1)[: len(HEADER.split(","))] == HEADER.split(",")
    assert s1["end"] is not None and records[0]["end"] is None
    assert Decimal(str(s1["gmv"])) == Decimal("0.30")
    assert s1["enter_room_rate"] is None


def test_sessions_table(built):
    out = run("sessions", "--store", built[0]).stdout
    assert "3 session(s)" in out and "s2" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--since", "2026-03-02"], ["s3", "s2"]),
        (["--until", "2026-03-05"], ["s2", "s1"]),  # inclusive day
        (["--since", "2026-03-05", "--until", "2026-03-05"], ["s2"]),
        (["--since", "2026-03-05T12:00:01+00:00"], ["s3"]),
        (["--search", "COOKING"], ["s3", "s2"]),
        (["--search", "100%"], ["s2"]),
        (["--search", "_"], []),
        (["--account", "acctA"], ["s3", "s1"]),
        (["--account", "acctA", "--search", "cook"], ["s3"]),
        (["--account", "nobody"], []),
    ],
)
def test_sessions_filters(built, capsys, args, expected):
    rc, out, _ = run_here(capsys, "sessions", "--store", built[0], "--format", "csv", *args)
    assert rc == 0
    assert out.splitlines()[0] == HEADER
    assert [r["session_id"] for r in rows(out)] == expected


@pytest.mark.parametrize(
    "args",
    [
        ["--since", "yesterday"],
        ["--until", "2026-02-30"],
        ["--since", "2026-03-05", "--until", "2026-03-01"],
        ["--until", "9999-12-31"],
        ["--since", "0001-01-01T00:00+08:00"],
    ],
)
def test_bad_dates_one_line_exit_2(built, capsys, args):
    rc, out, err = run_here(capsys, "sessions", "--store", built[0], *args)
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("liveboard: ")
    assert out == ""


def test_export_then_import_identical(built, tmp_path):
    store = built[0]
    exported = []
    for sid, name in (("s1", "s1.jsonl"), ("s2", "s2.jsonl.gz"), ("s3", "s3.jsonl")):
        proc = run("export", sid, "--out", tmp_path / name, "--store", store)
        assert f"of {sid}" in proc.stdout
        exported.append(tmp_path / name)
    run("import", *exported, "--store", tmp_path / "new")
    before = run("sessions", "--store", store, "--format", "csv").stdout
    after = run("sessions", "--store", tmp_path / "new", "--format", "csv").stdout
    assert after == before


def test_export_unknown_session(built, tmp_path):
    proc = run("export", "nope", "--out", tmp_path / "x.jsonl", "--store", built[0], check_rc=2)
    assert "Traceback" not in proc.stderr and "nope" in proc.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_metrics_lists_every_metric():
    text = run("metrics").stdout
    for name in SESSION_METRICS:
        assert any(line.startswith(name + " ") for line in text.splitlines()), name
    table = rows(run("metrics", "--format", "csv").stdout)
    assert [r["metric"] for r in table] == list(SESSION_METRICS)
    assert all(r["formula"] and r["label"] for r in table)
    assert [r["metric"] for r in json.loads(run("metrics", "--format", "json").stdout)] == list(SESSION_METRICS)


def test_store_from_environment(built):
    out = run("sessions", "--format", "csv", env={"LIVEBOARD_STORE": str(built[0])}).stdout
    assert len(rows(out)) == 3


def test_missing_store_and_file_errors(tmp_path):
    proc = run("sessions", "--store", tmp_path / "none", check_rc=1)
    assert "Traceback" not in proc.stderr and "no liveboard store" in proc.stderr
    proc = run("import", tmp_path / "missing.jsonl", "--store", tmp_path / "st", check_rc=2)
    assert "Traceback" not in proc.stderr and "missing.jsonl" in proc.stderr


def test_sessions_of_empty_store(tmp_path):
    run("import", write_lines(tmp_path / "bad.jsonl", ["nope"]), "--store", tmp_path / "st", check_rc=1)
    assert run("sessions", "--store", tmp_path / "st", "--format", "csv").stdout.splitlines() == [HEADER]
    assert json.loads(run("sessions", "--store", tmp_path / "st", "--format", "json").stdout) == []


def test_import_folder_reads_jsonl_and_gz(tmp_path):
    a, b, c = three_sessions()
    a.write(tmp_path / "logs" / "a.jsonl")
    b.write(tmp_path / "logs" / "nested" / "b.jsonl.gz")
    c.write(tmp_path / "logs" / "ignored.txt")
    proc = run("import", tmp_path / "logs", "--store", tmp_path / "st")
    assert "imported 10 " in proc.stdout
    assert sorted(
        r["session_id"] for r in rows(run("sessions", "--store", tmp_path / "st", "--format", "csv").stdout)
    ) == [
        "s1",
        "s2",
    ]
    (tmp_path / "empty").mkdir()
    proc = run("import", tmp_path / "empty", "--store", tmp_path / "st", check_rc=2)
    assert "no .jsonl" in proc.stderr and "Traceback" not in proc.stderr


def test_output_does_not_depend_on_local_timezone(built, tmp_path):
    store = built[0]
    utc = run("sessions", "--store", store, "--format", "csv", "--until", "2026-03-05", env={"TZ": "UTC"}).stdout
    for tz in ("Asia/Tokyo", "America/Los_Angeles"):
        assert (
            run("sessions", "--store", store, "--format", "csv", "--until", "2026-03-05", env={"TZ": tz}).stdout == utc
        )


def test_plain_negative_numbers_are_not_neutralised_but_formulas_are():
    from liveboard.csvsafe import neutralise

    assert neutralise("-5.00") == "-5.00"
    assert neutralise("-1+1") == "'-1+1"
    assert neutralise("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert neutralise("\tx") == "'\tx"


def test_serve_refuses_a_negative_kernel_cap(capsys, tmp_path):
    rc, out, err = run_here(capsys, "serve", "--store", tmp_path / "st", "--max-kernels", "-1")
    assert rc == 2 and out == ""
    assert err.strip() == "liveboard: --max-kernels must be 0 (no cap) or more"


def test_sessions_csv_with_a_bare_carriage_return_in_a_title(tmp_path, capsys):
    b = LogBuilder("cr1")
    b.start(0, title="hi\r@SUM(1+1)")
    b.end(60)
    run("import", b.write(tmp_path / "a.jsonl"), "--store", tmp_path / "st")
    rc, out, _ = run_here(capsys, "sessions", "--store", tmp_path / "st", "--format", "csv")
    assert rc == 0
    assert rows(out)[0]["title"] == "hi\r'@SUM(1+1)"
    assert not any(line.startswith("@") for line in out.replace("\r", "\n").split("\n"))


def test_the_store_group_adds_upgrade_info_check_and_repair_each_imported_when_it_runs():
    from liveboard import store_admin, store_upgrade
    from liveboard.cli import build_parser

    ap = build_parser()
    wanted = {
        "upgrade": store_upgrade.cmd_store_upgrade,
        "info": store_admin.cmd_store_info,
        "check": store_admin.cmd_store_check,
        "repair": store_admin.cmd_store_repair,
    }
    for name, command in wanted.items():
        args = ap.parse_args(["store", name, "--store", "x"])
        assert args.store_command == name and str(args.store) == "x" and args.func.resolve() is command
    assert ap.parse_args(["store", "info", "--format", "json"]).format == "json"
