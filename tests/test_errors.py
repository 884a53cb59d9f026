"""Tests of liveboard/errors.py: the one error hierarchy and the one-line messages of what the machine does to us."""

from __future__ import annotations

import errno
import importlib
import inspect
import os
import pkgutil

import pytest

import liveboard
from liveboard import cli, errors
from liveboard.errors import DataProblem, EnvironmentProblem, InputError, LiveboardError, UserError
from liveboard.store import StoreError

#: Exceptions that never leave their module: control flow between a function and its caller.
PRIVATE = {"liveboard.recorder._lib.UnknownMethod", "liveboard.recorder._lib.Undecodable"}


def _exception_classes() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(liveboard.__path__, "liveboard."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == module.__name__:
                found.append(obj)
    return found


def test_every_exception_class_is_a_liveboard_error_or_private() -> None:
    classes = _exception_classes()
    assert len(classes) > 20
    stray = [
        f"{c.__module__}.{c.__name__}"
        for c in classes
        if not issubclass(c, LiveboardError)
        and not c.__name__.startswith("_")
        and f"{c.__module__}.{c.__name__}" not in PRIVATE
    ]
    assert stray == []


def test_bases_callers_rely_on_are_kept() -> None:
    from liveboard import cells, export_reader, provenance, sheets, shop_api
    from liveboard.live import sources
    from liveboard.recorder import RecorderError

    for cls in (InputError, cells.CellError, sources.SourceError, provenance.SourceError):
        assert issubclass(cls, ValueError), cls
    for cls in (InputError, cli.UsageError, export_reader.ExportError, sheets.SheetError, RecorderError):
        assert issubclass(cls, UserError) and cls.exit_code == 2, cls
    assert shop_api.ShopConfigError.exit_code == 2 and issubclass(shop_api.ShopConfigError, shop_api.ShopStop)
    assert shop_api.ShopStop.exit_code == 1
    for cls in (StoreError, EnvironmentProblem, DataProblem, liveboard.eventlog.EventLogError):
        assert cls.exit_code == 1, cls


def test_real_duckdb_errors_are_classified() -> None:
    import duckdb

    con = duckdb.connect()
    with pytest.raises(duckdb.Error) as bug:
        con.sql("SELECT no_such_column FROM range(3)")
    assert errors.environment_message(bug.value) is None  # our bug: stays a traceback
    with pytest.raises(duckdb.Error) as missing:
        con.sql("SELECT * FROM read_parquet('/nonexistent/x.parquet')")
    msg = errors.environment_message(missing.value, store="/data/store")
    assert msg is not None and "/nonexistent/x.parquet" in msg and "no such file" in msg


def test_plain_bugs_are_not_environment_errors() -> None:
    assert errors.environment_message(ValueError("x")) is None
    assert errors.environment_message(KeyError("x")) is None
    assert "out of memory" in errors.environment_message(MemoryError())


def test_os_error_messages_name_the_path_and_what_to_do() -> None:
    for code, words in [
        (errno.ENOSPC, "no space left"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permission denied"),
        (errno.ENOTDIR, "not a folder"),
        (errno.EISDIR, "a folder"),
        (errno.ELOOP, "symbolic links"),
    ]:
        msg = errors.os_error_message(OSError(code, os.strerror(code), "/srv/data/x"))
        assert msg.startswith("/srv/data/x: ") and words in msg and " — " in msg, msg
    # a temporary file of an atomic write is named by the file being written
    tmp = OSError(errno.ENOSPC, "No space left on device", "/srv/out/.s1.jsonl.k2j3.tmp")
    assert errors.os_error_message(tmp, "/srv/out/s1.jsonl").startswith("/srv/out/s1.jsonl: ")
