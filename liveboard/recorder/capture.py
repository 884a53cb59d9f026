"""Captures: what the recorder received, one JSON line per webcast message, replayable offline.

Format (UTF-8 JSON Lines)::

    {"capture": "tiktoklive", "version": 1, "unique_id": "@handle", "room_id": "7291…", "started": <ms>,
     "title": "…", "creator_id": "…"}                                     line 1, the header
    {"ts": <epoch ms received>, "method": "WebcastChatMessage", "payload": "<base64 protobuf>"}
    {"ts": <epoch ms>, "gap": {"from": <ms>, "to": <ms>, "reason": "connection lost"}}

``title``, ``creator_id`` and ``started`` (the recording's start) are optional. A gap line is written when
a lost connection is back (or the recording stops during one). Lines are written whole and flushed, so a
killed recorder leaves at most a truncated last line; a recorder started again on the same room appends.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from liveboard.ids import is_session_id
from liveboard.recorder._lib import RecorderError

MAX_LINE = 2 << 20  # bytes; a webcast message is a few kB
HEADER_KEYS = ("unique_id", "room_id")


@dataclass(frozen=True)
class Header:
    unique_id: str
    room_id: str
    started: int | None = None
    title: str | None = None
    creator_id: str | None = None

    def to_json(self) -> dict:
        out: dict = {"capture": "tiktoklive", "version": 1, "unique_id": self.unique_id, "room_id": self.room_id}
        for key in ("started", "title", "creator_id"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class Message:
    line: int
    ts: int
    method: str
    payload: bytes


@dataclass(frozen=True)
class Gap:
    line: int
    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str


def _not_a_capture(path: Path, why: str) -> RecorderError:
    return RecorderError(
        f'{path}:1: not a TikTokLive capture ({why}); the first line must be {{"capture": "tiktoklive", …}}'
    )


def parse_header(path: Path, raw: bytes) -> Header:
    """Line 1 of a capture, checked; :class:`RecorderError` naming the file and line 1 otherwise."""
    try:
        head = json.loads(raw)
    except ValueError:
        raise _not_a_capture(path, "line 1 is not JSON") from None
    if not isinstance(head, dict) or head.get("capture") != "tiktoklive":
        raise _not_a_capture(path, 'no "capture": "tiktoklive"')
    for key in HEADER_KEYS:
        if not isinstance(head.get(key), str | int) or isinstance(head.get(key), bool):
            raise _not_a_capture(path, f"{key!r} is missing")
    room = str(head["room_id"])
    if not room.isdigit() or not is_session_id(room):
        raise RecorderError(f"{path}:1: room_id {room[:40]!r} is not a room id (digits)")
    started = head.get("started")
    return Header(
        unique_id=str(head["unique_id"])[:100],
        room_id=room,
        started=started if isinstance(started, int) and not isinstance(started, bool) and started > 0 else None,
        title=head["title"][:200] if isinstance(head.get("title"), str) else None,
        creator_id=str(head["creator_id"])[:40] if isinstance(head.get("creator_id"), str | int) else None,
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def parse_line(number: int, raw: bytes) -> Message | Gap | BadLine | None:
    """One line after the header (``None`` for a blank line)."""
    if not raw.strip():
        return None
    try:
        item = json.loads(raw)
    except UnicodeDecodeError:
        return BadLine(number, "not UTF-8 text")
    except ValueError:
        return BadLine(number, "not JSON")
    if not isinstance(item, dict):
        return BadLine(number, "not a JSON object")
    ts = _int(item.get("ts"))
    if ts is None:
        return BadLine(number, "field 'ts': not epoch milliseconds")
    if "gap" in item:
        gap = item["gap"]
        if not isinstance(gap, dict) or _int(gap.get("from")) is None or _int(gap.get("to")) is None:
            return BadLine(number, "field 'gap': needs 'from' and 'to' in epoch milliseconds")
        if gap["to"] < gap["from"]:
            return BadLine(number, "field 'gap': 'to' is before 'from'")
        reason = gap.get("reason")
        reason = reason if isinstance(reason, str) else "unknown"
        return Gap(number, gap["from"], gap["to"], reason[:200])
    method, payload = item.get("method"), item.get("payload")
    if not isinstance(method, str) or not method:
        return BadLine(number, "field 'method': missing")
    if not isinstance(payload, str):
        return BadLine(number, "field 'payload': missing")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return BadLine(number, "field 'payload': not base64")
    return Message(number, ts, method[:100], data)


def read_capture(path: str | os.PathLike) -> tuple[Header, Iterator[Message | Gap | BadLine]]:
    """The header and an iterator over the lines after it (bad lines come as :class:`BadLine`, never raise).

    Lines longer than :data:`MAX_LINE` are skipped without being held in memory; a last line the file ends
    inside of (a killed recorder) is reported as truncated when it is not whole JSON.
    """
    path = Path(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the iterator
    except OSError as exc:
        raise RecorderError(f"{path}: cannot read the capture ({exc.strerror or type(exc).__name__})") from None
    first = fh.readline(MAX_LINE + 1)
    if not first.strip():
        fh.close()
        raise _not_a_capture(path, "the file is empty" if not first else "line 1 is blank")
    if len(first) > MAX_LINE:
        fh.close()
        raise _not_a_capture(path, "line 1 is too long")
    try:
        header = parse_header(path, first)
    except RecorderError:
        fh.close()
        raise

    def lines() -> Iterator[Message | Gap | BadLine]:
        with fh:
            number = 1
            while True:
                raw = fh.readline(MAX_LINE + 1)
                if not raw:
                    return
                number += 1
                if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                    while raw and not raw.endswith(b"\n"):  # skip the rest of the line
                        raw = fh.readline(MAX_LINE)
                    yield BadLine(number, f"longer than {MAX_LINE >> 20} MiB: skipped")
                    continue
                item = parse_line(number, raw)
                if isinstance(item, BadLine) and not raw.endswith(b"\n"):
                    item = BadLine(number, f"truncated (the file ends inside this line; {item.reason})")
                if item is not None:
                    yield item

    return header, lines()


class CaptureWriter:
    """Appends a recording's messages and gaps to a capture, one flushed line at a time."""

    def __init__(self, path: str | os.PathLike, header: Header) -> None:
        self.path = Path(path)
        self.lines = 0
        self._fh: BinaryIO
        if self.path.exists() and self.path.stat().st_size:
            existing, _ = read_capture(self.path)
            if existing.room_id != header.room_id:
                raise RecorderError(
                    f"{self.path}:1: this capture is of room {existing.room_id}, not {header.room_id}: "
                    "give another --capture file"
                )
            self._fh = open(self.path, "r+b")  # noqa: SIM115 - kept open for the recording
            self._fh.seek(-1, os.SEEK_END)
            if self._fh.read(1) != b"\n":  # a killed recorder left half a line: end it
                self._fh.write(b"\n")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "wb")  # noqa: SIM115
            self._write(header.to_json())

    def _write(self, obj: dict) -> None:
        self._fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        self._fh.flush()
        self.lines += 1

    def message(self, ts: int, method: str, payload: bytes) -> None:
        self._write({"ts": int(ts), "method": method, "payload": base64.b64encode(payload).decode("ascii")})

    def gap(self, ts: int, start: int, end: int, reason: str) -> None:
        self._write({"ts": int(ts), "gap": {"from": int(start), "to": int(end), "reason": reason}})

    def close(self) -> None:
        self._fh.close()
