"""The connection loop: the only part of the recorder that needs the network.

TikTokLive has no reconnect (its signed URLs expire in 30 s), so :class:`LiveFollower` builds a new client
whenever the connection drops, with a jittered back-off bounded per attempt and no bound in total: it
stops when the LIVE ends (a ``STREAM_ENDED`` control message; or the creator found offline
``offline_checks`` times after a drop, or live again in another room) or on Ctrl-C. Each drop
becomes a gap (from the drop to the new connection, with the reason).

Messages are taken raw from the library's ``WebsocketResponseEvent`` (one per message, all carrying the
whole fetch result: each result is read once) so the capture holds exactly what arrived and the live
path decodes exactly as the replay does. Exception messages are never shown (they may hold signed URLs):
only their class names.

A client is anything with ``add_listener(event_class, handler)``, ``await start(**kwargs) -> Task``,
``room_id``, ``await disconnect()`` and ``web.fetch_room_info()`` — a :class:`TikTokLive.TikTokLiveClient`,
or a fake of it in the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from liveboard.recorder._lib import RecorderError, tiktoklive

ROOM_INFO_TIMEOUT_S = 10.0
EARLY_MESSAGES = 20_000


@dataclass(frozen=True)
class Backoff:
    """Delay before reconnect attempt ``n`` (0-based): ``first × factor**n`` capped at ``cap``, jittered ±50 %."""

    first: float = 2.0
    factor: float = 2.0
    cap: float = 120.0

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        base = min(self.cap, self.first * self.factor ** min(attempt, 30))
        return base / 2 + base * rng() / 2


@dataclass(frozen=True)
class RoomInfo:
    room_id: str
    title: str | None
    creator_id: str | None


class Sink(Protocol):
    """What :class:`LiveFollower` writes to: a :class:`~liveboard.recorder.sink.RecordingSink` or the like."""

    @property
    def session_id(self) -> str: ...

    @property
    def store(self) -> Any: ...  # a Store: its root is shown

    @property
    def recording(self) -> Any: ...  # a Recording: whether it ``ended``

    def message(self, method: str, payload: bytes, received_ms: int) -> None: ...

    def gap(self, start_ms: int, end_ms: int, reason: str) -> None: ...

    def end(self, ts_ms: int) -> None: ...

    def tick(self) -> object: ...


def room_details(info: object) -> tuple[str | None, str | None]:
    """Title and creator id from the room info the web API gives (a dict; anything else: unknown)."""
    if not isinstance(info, dict):
        return None, None
    title = info.get("title")
    title = title if isinstance(title, str) and title.strip() else None
    owner = info.get("owner")
    owner = owner if isinstance(owner, dict) else {}
    creator = owner.get("id_str") or owner.get("id") or info.get("owner_user_id")
    creator = str(creator) if isinstance(creator, str | int) and str(creator).isdigit() else None
    return (title.strip()[:200] if title else None), creator


def _name(exc: BaseException) -> str:
    return type(exc).__name__


class LiveFollower:
    """Follow one creator's LIVE across reconnects; ``open_sink(room)`` is called on the first connection.

    ``open_sink`` returns a :class:`~liveboard.recorder.sink.RecordingSink` (or anything with the same
    ``message``/``gap``/``end``/``tick``/``recording``/``session_id``). ``clock`` gives epoch seconds;
    ``sleep`` waits between attempts (both injected by the tests); ``say`` prints progress.
    """

    def __init__(
        self,
        handle: str,
        open_sink: Callable[[RoomInfo, int], Sink],
        *,
        client_factory: Callable[[str], Any] | None = None,  # a TikTokLive client, or one like it
        backoff: Backoff = Backoff(),
        first_attempts: int = 4,
        offline_checks: int = 3,
        silence_s: float = 90.0,
        tick_s: float = 0.25,
        status_s: float = 60.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        say: Callable[[str], None] = print,
    ) -> None:
        self.lib = tiktoklive()
        self.handle = handle
        self.open_sink = open_sink
        self.client_factory = client_factory or (lambda h: self.lib.TikTokLiveClient(unique_id=h))
        self.backoff = backoff
        self.first_attempts = first_attempts
        self.offline_checks = offline_checks
        self.silence_s = silence_s
        self.tick_s = tick_s
        self.status_s = status_s
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.say = say
        self.sink: Sink | None = None
        self.connections = 0
        self.ended_reason: str | None = None
        self.delays: list[float] = []
        self.handler_errors = 0
        self._early: list[tuple[str, bytes, int]] = []
        self._last_raw = None
        self._last_data = 0.0
        self._client: Any = None
        self._stop_ticker = False
        self._gap_from: int | None = None
        self._notes: list[str] = []

    def _ms(self) -> int:
        return int(self.clock() * 1000)

    # ---------------------------------------------------------------- messages in

    def _on_response(self, event) -> None:
        """Every message of a fetch result, once (the library emits the result once per message in it)."""
        try:
            raw = event.raw
            if raw is self._last_raw:
                return
            self._last_raw = raw
            now = self._ms()
            self._last_data = self.clock()
            for m in raw.messages or []:
                if m is None or not m.method:
                    continue
                if self.sink is None:
                    if len(self._early) < EARLY_MESSAGES:
                        self._early.append((m.method, bytes(m.payload), now))
                    continue
                if not self.sink.recording.ended:
                    self.sink.message(m.method, bytes(m.payload), now)
        except Exception:  # noqa: BLE001 - never raise into the client's emitter
            self.handler_errors += 1

    # ---------------------------------------------------------------- loop

    async def _room_info(self, client) -> tuple[str | None, str | None]:
        try:
            info = await asyncio.wait_for(client.web.fetch_room_info(), ROOM_INFO_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - best effort: age-restricted rooms, blocks, timeouts
            return None, None
        return room_details(info)

    async def _discard(self, client, *, connected: bool = True) -> None:
        """Close a client for good (its websocket and its HTTP session): a long outage builds many."""
        if connected:
            with contextlib.suppress(Exception):
                await client.disconnect()
        with contextlib.suppress(Exception):
            await client.web.close()

    async def _wait(self, seconds: float) -> None:
        self.delays.append(seconds)
        await self.sleep(seconds)

    async def _ticker(self) -> None:
        last_status = self.clock()
        while not self._stop_ticker:
            await asyncio.sleep(self.tick_s)
            sink = self.sink
            if sink is None:
                continue
            try:
                sink.tick()
            except Exception as exc:  # noqa: BLE001 - a commit that failed is retried at the next tick
                self.say(f"could not commit to the store ({str(exc)[:200] or _name(exc)}); retrying")
            now = self.clock()
            client = self._client
            if client is not None and self._last_data and now - self._last_data > self.silence_s:
                self._last_data = 0.0  # once per connection
                self.say(f"no data for {self.silence_s:.0f} s: reconnecting")
                asyncio.ensure_future(client.disconnect())
            if now - last_status >= self.status_s:
                last_status = now
                self.say(status_line(sink))

    def _opened(self, client, title: str | None, creator: str | None, now: int) -> Sink:
        room = str(client.room_id)
        sink = self.sink = self.open_sink(RoomInfo(room, title, creator), now)
        early, self._early = self._early, []
        for method, payload, ts in early:
            sink.message(method, payload, ts)
        return sink

    async def run(self) -> str:
        """Record until the LIVE ends; returns why it stopped. Ctrl-C (cancellation) propagates after cleanup."""
        ticker = asyncio.ensure_future(self._ticker())
        self._gap_from, self._notes = None, []
        attempt = offline = 0
        try:
            while True:
                client = self.client_factory(self.handle)
                client.add_listener(self.lib.WebsocketResponseEvent, self._on_response)
                try:
                    task = await client.start(process_connect_events=True, fetch_live_check=True)
                except Exception as exc:  # noqa: BLE001 - sorted out by _retry_delay
                    await self._discard(client, connected=False)
                    if isinstance(exc, self.lib.UserOfflineError) and self.sink is not None:
                        offline += 1
                        if offline >= self.offline_checks:
                            return self._finish("the LIVE ended (the creator is offline)", "the LIVE had ended")
                    await self._wait(self._retry_delay(exc, attempt))
                    attempt += 1
                    continue
                except asyncio.CancelledError:
                    await self._discard(client, connected=False)
                    raise
                try:
                    if not await self._connected(client):
                        await self._discard(client)
                        return self._finish(
                            f"the LIVE ended; @{self.handle} is live again in room {client.room_id}",
                            "the LIVE ended (a new one started)",
                        )
                    attempt = offline = 0
                    await task
                    self._notes.append("connection closed")
                except (asyncio.CancelledError, RecorderError):
                    raise
                except Exception as exc:  # noqa: BLE001 - the websocket died
                    self._notes.append(_name(exc))
                finally:
                    self._client = None
                    await self._discard(client)
                assert self.sink is not None  # opened by _connected
                if self.sink.recording.ended:
                    self.ended_reason = "the LIVE ended"
                    return self.ended_reason
                self._gap_from = self._ms()
                delay = self.backoff.delay(0, self.rng)
                self.say(f"connection lost ({self._notes[-1]}): reconnecting in {delay:.0f} s")
                await self._wait(delay)
                attempt = 1
        finally:
            self._stop_ticker = True
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await ticker
            if self._gap_from is not None and self.sink is not None and not self.sink.recording.ended:
                self.sink.gap(self._gap_from, self._ms(), "connection lost; the recorder stopped before it was back")

    async def _connected(self, client) -> bool:
        """A connection is up: open the session (first time) or close the gap; False if it is another LIVE."""
        now = self._ms()
        self._client = client
        self._last_data = self.clock()
        self.connections += 1
        if self.sink is None:  # messages that arrive meanwhile wait in self._early
            title, creator = await self._room_info(client)
            sink = self._opened(client, title, creator, now)
            self.say(
                f"recording @{self.handle}: room {sink.session_id} into {sink.store.root} "
                f"(session {sink.session_id}); Ctrl-C stops, the same command resumes"
            )
        elif str(client.room_id) != self.sink.session_id:
            return False
        elif self._gap_from is not None:
            notes = ", ".join(dict.fromkeys(self._notes))
            self.sink.gap(self._gap_from, now, "connection lost" + (f"; {notes}" if notes else ""))
            self.say(f"reconnected after {(now - self._gap_from) / 1000:.0f} s (gap recorded)")
        self._gap_from, self._notes = None, []
        return True

    def _finish(self, why: str, gap_reason: str) -> str:
        """The LIVE is over though no end message came: the gap up to now, then the session's end."""
        now = self._ms()
        assert self.sink is not None  # only a session being recorded is finished
        self.sink.gap(self._gap_from or now, now, f"connection lost; {gap_reason}")
        self._gap_from = None
        self.sink.end(now)
        self.ended_reason = why
        return why

    def _retry_delay(self, exc: Exception, attempt: int) -> float:
        """How long to wait after a failed connect, or :class:`RecorderError` when trying again is pointless."""
        lib = self.lib
        if isinstance(exc, lib.UserNotFoundError):
            raise RecorderError(f"@{self.handle}: no such TikTok user (or no LIVE account)") from None
        if isinstance(exc, lib.UserOfflineError):
            if self.sink is None:
                raise RecorderError(f"@{self.handle} is not LIVE now") from None
            self._notes.append("creator offline")
            return self.backoff.delay(attempt, self.rng)
        delay = self.backoff.delay(attempt, self.rng)
        if isinstance(exc, lib.SignatureRateLimitError):
            with contextlib.suppress(Exception):  # retry_after reads a header that may be missing
                delay = max(delay, min(float(exc.retry_after), 3600.0) + self.rng())
            self._notes.append("signing server rate limit")
            what = "the signing server rate-limits us"
        else:
            self._notes.append(_name(exc))
            what = f"could not connect ({_name(exc)})"
        if self.sink is None and attempt + 1 >= self.first_attempts:
            raise RecorderError(
                f"could not connect to @{self.handle} after {attempt + 1} attempts ({_name(exc)}); "
                "check the network and the signing server (SIGN_API_KEY)"
            ) from None
        self.say(f"{what}: retrying in {delay:.0f} s")
        return delay


def status_line(sink) -> str:
    s = sink.recording.stats
    return (
        f"{sink.messages:,} messages · {s['comment']:,} comments · {s['likes counted']:,} likes · "
        f"{s['viewer_enter']:,} entries · {s['gift']:,} gifts · {len(sink.gaps)} gap(s) · "
        f"{sink.stored_events():,} events stored"
    )
