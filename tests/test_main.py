"""liveboard/__main__.py: ``python -m liveboard`` is the command — its exit status is ``main``'s (0, 1 for a
problem, 2 for a user error), what it prints is what ``main`` prints, and a refusal is one line, never a
traceback. The commands themselves are tested in tests/test_cli.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli_helpers import import_three, run

from liveboard.cli import main


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, list[Path], subprocess.CompletedProcess]:
    return import_three(tmp_path_factory.mktemp("main"))


def test_bad_since_subprocess_no_traceback(built):
    proc = run("sessions", "--store", built[0], "--since", "last week", "--format", "csv", check_rc=2)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "since" in proc.stderr and "last week" in proc.stderr
    assert proc.stdout == ""


def test_the_process_exits_with_mains_status_and_prints_what_main_prints(built, tmp_path, capsys):
    """The same arguments as a process and in this one: the same exit status, stdout and stderr."""
    cases = {
        0: ["sessions", "--store", built[0], "--format", "csv"],
        1: ["sessions", "--store", tmp_path / "no-store"],  # not a store: a problem, not a user error
        2: ["export", "nope", "--out", tmp_path / "x.jsonl", "--store", built[0]],  # no such session
    }
    for status, args in cases.items():
        proc = run(*args, check_rc=status)
        capsys.readouterr()
        assert main([str(a) for a in args]) == status
        out, err = capsys.readouterr()
        assert (proc.stdout, proc.stderr) == (out, err), args
        assert "Traceback" not in proc.stderr and (status == 0) == (proc.stderr == "")


def test_without_a_command_it_says_how_to_use_it():
    proc = run(check_rc=2)
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("usage: liveboard ") and "required: command" in proc.stderr
    help_text = run("--help").stdout
    assert help_text.startswith("usage: liveboard ") and "__main__" not in help_text  # the command's own name
    for command in ("import", "sessions", "export", "metrics", "serve", "report"):
        assert command in help_text, command
    proc = run("no-such-command", check_rc=2)
    assert "invalid choice: 'no-such-command'" in proc.stderr and "Traceback" not in proc.stderr


def test_the_command_starts_before_pandas_duckdb_or_the_store_are_loaded():
    """Building the parser and reaching ``liveboard report``'s kernel start import none of the heavy parts:
    each command imports what it needs when it runs, and the report's kernel boots alongside that."""
    import sys

    code = (
        "import sys\n"
        "from liveboard.cli import build_parser\n"
        "build_parser().parse_args(['report', 's1'])\n"
        "from liveboard.report.kernels import kernel_started\n"
        "heavy = ('pandas', 'duckdb', 'pyarrow', 'deltalake', 'matplotlib', 'nbformat', 'liveboard.store')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]", proc.stdout
