"""One convention at each boundary: what the CLI makes of a liveboard error, and one writer lock (filelock).

The error hierarchy is tested in tests/test_errors.py, the atomic writer in tests/test_atomic.py, the SQL
quoter and the safe-name rule in tests/test_quoting.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import liveboard
from liveboard import cli
from liveboard.errors import DataProblem, EnvironmentProblem, InputError, UserError
from liveboard.store import StoreError, writer_lock

PACKAGE = Path(liveboard.__file__).parent


# --------------------------------------------------------------------------- the CLI's entry


def _fail_with(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def command(args) -> int:
        raise exc

    monkeypatch.setattr(cli, "cmd_metrics", command)


@pytest.mark.parametrize(
    ("exc", "rc"),
    [
        (UserError("--thing must be 1 or more"), 2),
        (InputError("session_id: not a session id"), 2),
        (cli.UsageError("record needs an @handle"), 2),
        (StoreError("/s: another liveboard command has been writing"), 1),
        (DataProblem("/x.parquet: damaged"), 1),
        (EnvironmentProblem("--out /ro: cannot write in this folder"), 1),
    ],
)
def test_a_liveboard_error_is_one_line_and_its_exit_code(monkeypatch, capsys, exc, rc) -> None:
    monkeypatch.delenv("LIVEBOARD_DEBUG", raising=False)
    _fail_with(monkeypatch, exc)
    assert cli.main(["metrics"]) == rc
    err = capsys.readouterr().err
    assert err == f"liveboard: {exc}\n"


def test_a_user_error_exits_2_in_a_real_run(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "liveboard", "simulate", "--out", str(tmp_path), "--accounts", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("liveboard: --accounts")


def test_debug_shows_the_traceback_behind_a_liveboard_error(monkeypatch, capsys) -> None:
    monkeypatch.setenv("LIVEBOARD_DEBUG", "1")
    _fail_with(monkeypatch, UserError("a user error"))
    assert cli.main(["metrics"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.endswith("liveboard: a user error\n")


def test_an_unexpected_error_logs_its_traceback_and_prints_one_line(monkeypatch, capsys) -> None:
    monkeypatch.delenv("LIVEBOARD_DEBUG", raising=False)
    monkeypatch.delenv(cli.LOG_ENV, raising=False)
    _fail_with(monkeypatch, ZeroDivisionError("division by zero"))
    assert cli.main(["metrics"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert "unexpected error in `liveboard metrics`" in lines[0] and "Traceback (most recent call last):" in lines
    assert lines[-1].startswith("liveboard: unexpected error (ZeroDivisionError: division by zero) — a bug")


def test_an_unexpected_error_goes_to_the_log_file(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.delenv("LIVEBOARD_DEBUG", raising=False)
    log = tmp_path / "liveboard.log"
    monkeypatch.setenv(cli.LOG_ENV, str(log))
    _fail_with(monkeypatch, KeyError("lb_private_helper"))
    assert cli.main(["metrics"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and str(log) in err
    text = log.read_text()
    assert "Traceback (most recent call last):" in text and "KeyError: 'lb_private_helper'" in text


# --------------------------------------------------------------------------- the writer lock

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from liveboard.store import writer_lock
    with writer_lock(Path(sys.argv[1]), "write to", timeout=60):
        with open(sys.argv[2], "a") as fh:
            fh.write("in\\n")
        print("held", flush=True)
        time.sleep(float(sys.argv[3]))
        with open(sys.argv[2], "a") as fh:
            fh.write("out\\n")
    """
)


def _holder(root: Path, journal: Path, seconds: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PACKAGE.parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(root), str(journal), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_the_lock_serialises_two_writers(tmp_path) -> None:
    journal = tmp_path / "journal"
    first, second = _holder(tmp_path, journal, 0.5), _holder(tmp_path, journal, 0.5)
    for proc in (first, second):
        proc.communicate(timeout=120)
        assert proc.returncode == 0
    assert journal.read_text().split() == ["in", "out", "in", "out"]


def test_a_held_lock_times_out_with_the_message_and_a_killed_holder_frees_it(tmp_path) -> None:
    holder = _holder(tmp_path, tmp_path / "journal", 120)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(StoreError, match="another liveboard command .* for 0 s; try again when it is done"):
            with writer_lock(tmp_path, "write to", timeout=0.2):
                pass
        assert 0.15 < time.monotonic() - started < 5
        os.kill(holder.pid, signal.SIGKILL)
        holder.communicate(timeout=60)
        with writer_lock(tmp_path, "write to", timeout=0):  # one try: the kernel let go with the process
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.communicate()
    assert (tmp_path / "_lock").is_file()


def test_the_lock_excludes_threads_of_one_process(tmp_path) -> None:
    inside: list[int] = []
    overlap: list[bool] = []

    def writer(i: int) -> None:
        with writer_lock(tmp_path, "write to", timeout=30):
            inside.append(i)
            overlap.append(len(inside) > 1)
            time.sleep(0.05)
            inside.remove(i)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlap == [False] * 4


def test_a_store_folder_that_is_gone_is_not_made_anew(tmp_path) -> None:
    with pytest.raises(StoreError, match="no such file or folder"):
        with writer_lock(tmp_path / "gone", "write to"):
            pass
    assert not (tmp_path / "gone").exists()
