"""The TikTokLive recorder, offline: captures built with the library's own classes, a fake of its client."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal

import httpx
import pandas as pd
import pyarrow.compute as pc
import pytest

pytest.importorskip("TikTokLive")

from TikTokLive.client.errors import SignatureRateLimitError, UserOfflineError  # noqa: E402
from TikTokLive.events.custom_events import (  # noqa: E402
    DisconnectEvent,
    FollowEvent,
    LiveEndEvent,
    WebsocketResponseEvent,
)
from TikTokLive.events.proto_events import (  # noqa: E402
    EVENT_MAPPINGS,
    CommentEvent,
    ControlEvent,
    GiftEvent,
    JoinEvent,
    LikeEvent,
    OecLiveShoppingEvent,
    RoomUserSeqEvent,
    SocialEvent,
)
from TikTokLive.proto import ProtoMessageFetchResult, ProtoMessageFetchResultBaseProtoMessage  # noqa: E402

import liveboard  # noqa: E402
from liveboard import aio, cli, recorder  # noqa: E402
from liveboard.recorder import _lib  # noqa: E402
from liveboard.recorder.capture import MAX_LINE, read_capture  # noqa: E402
from liveboard.recorder.client import Backoff, LiveFollower, RoomInfo  # noqa: E402
from liveboard.recorder.mapping import Recording, channel_of, parse_price, rows_table  # noqa: E402
from liveboard.recorder.sink import RecordingSink, gaps_table  # noqa: E402
from liveboard.store import Store  # noqa: E402

ROOM = "7301234567890123456"
T0 = 1_764_590_000_000  # epoch ms
METHOD = {cls: method for method, cls in reversed(list(EVENT_MAPPINGS.items()))}


# ---------------------------------------------------------------- building messages


def event(cls, msg_id: int, at: int = 0, **fields):
    """An event of the library's class, as the wire gives it (built, serialised, parsed back)."""
    common = {"msgId": str(msg_id), "createTime": str(T0 + at)} if msg_id else {"createTime": str(T0 + at)}
    built = cls.from_dict({"common": {**common, **fields.pop("common", {})}, **fields}, ignore_unknown_fields=True)
    return cls().parse(bytes(built))


def wire(cls, msg_id: int, at: int = 0, **fields) -> tuple[str, bytes]:
    return METHOD[cls], bytes(event(cls, msg_id, at, **fields))


def user(uid: int, **kw) -> dict:
    return {"id": str(uid), "nickname": f"<b>n{uid}</b>", "displayId": f"u{uid}", **kw}


def comment(msg_id, at=0, uid=1, text="hi"):
    return wire(CommentEvent, msg_id, at, user=user(uid), content=text)


def like(msg_id, at=0, uid=1, count=1, total=0):
    return wire(LikeEvent, msg_id, at, user=user(uid), count=count, total=str(total))


def join(msg_id, at=0, uid=1, source="homepage_hot-live_cell", follow=None):
    u = user(uid, followInfo={"followStatus": follow}) if follow is not None else user(uid)
    return wire(JoinEvent, msg_id, at, user=u, action="JOINED", clientEnterSource=source)


def social(msg_id, key, at=0, uid=1, cls=SocialEvent):
    return wire(cls, msg_id, at, user=user(uid), common={"displayText": {"key": key}})


def gift(msg_id, at=0, uid=1, *, streak=True, repeat=1, end=True, name="Rose", diamonds=1, group=1):
    g = {"name": name, "diamondCount": diamonds, "type": 1 if streak else 0, "id": "5655"}
    return wire(
        GiftEvent,
        msg_id,
        at,
        user=user(uid),
        gift=g,
        giftId="5655",
        repeatCount=repeat,
        repeatEnd=1 if end else 0,
        groupId=str(group),
    )


def viewers(msg_id, at=0, total=40):
    return wire(RoomUserSeqEvent, msg_id, at, total=str(total))


def pin(msg_id, at=0, product="1729", title="Serum", price="RM12.90"):
    return wire(OecLiveShoppingEvent, msg_id, at, popProduct={"productId": product, "title": title, "price": price})


def stream_end(msg_id, at=0):
    return wire(ControlEvent, msg_id, at, action="STREAM_ENDED")


def line(message: tuple[str, bytes], at: int = 0) -> str:
    method, payload = message
    return json.dumps({"ts": T0 + at, "method": method, "payload": base64.b64encode(payload).decode()})


def header(**kw) -> str:
    return json.dumps({"capture": "tiktoklive", "unique_id": "@GlowLab", "room_id": ROOM, "started": T0, **kw})


def write_capture(path, lines: list[str], head: str | None = None, end: str = "\n"):
    path.write_text("\n".join([head or header(), *lines]) + end)
    return path


def rec(**kw) -> Recording:
    return Recording(ROOM, "glowlab", start_ms=T0, **kw)


def feed(r: Recording, *messages, at: int = 100) -> list[dict]:
    rows = []
    for method, payload in messages:
        rows += r.add(EVENT_MAPPINGS[method]().parse(payload), T0 + at)
    return rows


def of_type(rows, type_):
    return [r for r in rows if r["type"] == type_]


def stored(store_dir) -> pd.DataFrame:
    wb = liveboard.open(store_dir)
    return wb.session(ROOM).events().to_pandas()


# ---------------------------------------------------------------- mapping


def test_session_start_comes_first_with_the_handle_and_a_default_title():
    rows = feed(rec(), comment(11, at=5))
    assert [r["type"] for r in rows] == ["session_start", "comment"]
    start = rows[0]
    assert (start["id"], start["account_id"], start["title"], start["ts"]) == (
        "session_start",
        "glowlab",
        "LIVE of @glowlab",
        T0 * 1000,
    )
    assert rec(title="Skincare night").start_row()[0]["title"] == "Skincare night"


def test_comment_maps_user_text_id_and_creation_time():
    rows = of_type(feed(rec(), comment(11, at=5_000, uid=77, text="<script>x</script>"), at=6_000), "comment")
    assert len(rows) == 1
    row = rows[0]
    assert (row["id"], row["user_id"], row["text"], row["ts"]) == (
        "11",
        "77",
        "<script>x</script>",
        (T0 + 5_000) * 1000,
    )
    assert json.loads(row["extra"]) == {"nickname": "<b>n77</b>", "display_id": "u77"}


def test_time_is_the_receipt_time_when_create_time_is_missing_or_implausible_and_never_goes_back():
    r = rec()
    far_future = event(CommentEvent, 1, at=3_600_000, user=user(1), content="a")
    assert r.add(far_future, T0 + 2_000)[-1]["ts"] == (T0 + 2_000) * 1000
    earlier = event(CommentEvent, 2, at=1_000, user=user(1), content="b")  # created before the last row
    assert r.add(earlier, T0 + 2_500)[-1]["ts"] == (T0 + 2_000) * 1000
    before_start = event(CommentEvent, 3, at=-600_000, user=user(1), content="c")
    assert r.add(before_start, T0 + 3_000)[-1]["ts"] >= T0 * 1000
    assert r.stats["time from receipt"] == 1


def test_likes_follow_the_room_total_not_the_count():
    r = rec()
    rows = of_type(
        feed(
            r,
            like(1, uid=1, count=5, total=105),  # first seen: its own count
            like(2, uid=2, count=3, total=130),  # +25 on the room total (count undercounts)
            like(3, uid=3, count=2, total=120),  # a stale total adds nothing
            like(4, uid=3, count=4, total=134),
        ),
        "like",
    )
    assert [(x["user_id"], x["count"]) for x in rows] == [("1", 5), ("2", 25), ("3", 4)]
    assert r.stats["likes counted"] == 34


def test_a_gift_streak_counts_once_at_its_end_and_plain_gifts_at_once():
    rows = of_type(
        feed(
            rec(),
            gift(1, uid=9, repeat=1, end=False),
            gift(2, uid=9, repeat=4, end=False),
            gift(3, uid=9, repeat=7, end=True),
            gift(4, uid=8, streak=False, repeat=1, name="Galaxy", diamonds=1000),
        ),
        "gift",
    )
    assert [(g["id"], g["user_id"], g["gift_name"], g["diamonds"], g["count"]) for g in rows] == [
        ("3", "9", "Rose", 1, 7),
        ("4", "8", "Galaxy", 1000, 1),
    ]


def test_a_streak_still_open_at_the_end_counts_what_it_reached():
    rows = feed(rec(), gift(1, uid=9, repeat=3, end=False), gift(2, uid=9, repeat=6, end=False), stream_end(3))
    gifts = of_type(rows, "gift")
    assert [(g["id"], g["count"]) for g in gifts] == [("2", 6)]
    assert rows[-1]["type"] == "session_end"


def test_entries_map_the_channel_and_the_follow_status():
    rows = of_type(
        feed(
            rec(),
            join(1, uid=1, source="homepage_follow-live_cell", follow=1),
            join(2, uid=2, source="general_search-live_cell", follow=0),
            join(3, uid=3, source="something_new"),
        ),
        "viewer_enter",
    )
    assert [(x["user_id"], x["channel"], x["is_follower"]) for x in rows] == [
        ("1", "follow", True),
        ("2", "search", False),
        ("3", "other", False),
    ]


@pytest.mark.parametrize(
    ("source", "channel"),
    [
        ("homepage_hot-live_cell", "feed"),
        ("live_merge-live_cover", "feed"),
        ("others_homepage-live_cell", "profile"),
        ("homepage_follow-live_cell", "follow"),
        ("ec_shop-tab", "shop"),
        ("video_head", "video"),
        ("share-link", "share"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_channel_of(source, channel):
    assert channel_of(source) == channel


def test_follow_and_share_by_display_text_and_the_custom_twin_counts_once():
    r = rec()
    method, payload = social(5, "pm_main_follow_message_viewer_2", uid=4)
    proto = SocialEvent().parse(payload)
    twin = FollowEvent().parse(payload)  # the client emits both for one message
    rows = r.add(proto, T0 + 10) + r.add(twin, T0 + 10)
    rows += feed(r, social(6, "pm_mt_guidance_share", uid=5), social(7, "pm_mt_something_else", uid=6))
    assert [(x["type"], x["id"], x["user_id"]) for x in rows if x["type"] in ("follow", "share")] == [
        ("follow", "5", "4"),
        ("share", "6", "5"),
    ]
    assert r.stats["duplicate"] == 1


def test_viewer_count_and_product_pins():
    rows = feed(
        rec(),
        viewers(1, total=42),
        viewers(2, total=0),  # no total: not a reading
        pin(3, product="1729", title="Serum", price="RM12.90"),
        pin(4, product="1729", title="Serum", price="RM12.90"),  # still the same product
        pin(5, product="1730", title="Toner", price="$1,234.50"),
    )
    assert [x["count"] for x in of_type(rows, "viewer_count")] == [42]
    pins = of_type(rows, "product_pin")
    assert [(p["product_id"], p["name"], p["price"]) for p in pins] == [
        ("1729", "Serum", Decimal("12.90")),
        ("1730", "Toner", Decimal("1234.50")),
    ]
    assert json.loads(pins[0]["extra"]) == {"price_text": "RM12.90"}


@pytest.mark.parametrize(
    ("text", "value"),
    [("RM12.90", "12.90"), ("$1,234.50", "1234.50"), ("1.234,50 ₫", "1234.50"), ("฿ 99", "99"), ("", None)],
)
def test_parse_price(text, value):
    assert parse_price(text) == (Decimal(value) if value else None)


def test_stream_end_and_its_live_end_twin_end_the_session_once_and_nothing_follows():
    r = rec()
    method, payload = stream_end(9, at=60_000)
    rows = r.add(ControlEvent().parse(payload), T0 + 60_100) + r.add(LiveEndEvent().parse(payload), T0 + 60_100)
    rows += feed(r, comment(10, at=61_000))
    assert [x["type"] for x in rows] == ["session_start", "session_end"]
    assert rows[-1]["id"] == "9" and r.ended
    paused = rec()
    assert of_type(feed(paused, wire(ControlEvent, 1, action="STREAM_PAUSED")), "session_end") == []


def test_a_message_without_an_id_gets_a_stable_one():
    a = feed(rec(), comment(0, at=5, uid=3, text="same"))[-1]["id"]
    b = feed(rec(), comment(0, at=5, uid=3, text="same"))[-1]["id"]
    c = feed(rec(), comment(0, at=5, uid=3, text="other"))[-1]["id"]
    assert a == b != c and a.startswith("h")


def test_rows_make_a_valid_event_table():
    rows = feed(rec(), comment(1), like(2, count=3), gift(3), join(4), pin(5), viewers(6), stream_end(7))
    table = rows_table(rows)
    assert table.num_rows == len(rows) == 8
    assert set(table["type"].to_pylist()) == {
        "session_start",
        "comment",
        "like",
        "gift",
        "viewer_enter",
        "product_pin",
        "viewer_count",
        "session_end",
    }
    assert pc.all(pc.equal(table["session_id"], ROOM)).as_py()


# ---------------------------------------------------------------- replay of captures


def full_capture(path):
    return write_capture(
        path,
        [
            line(join(1, at=1_000, uid=1, source="homepage_hot-live_cell"), 1_100),
            line(join(2, at=1_500, uid=2, source="homepage_follow-live_cell", follow=1), 1_600),
            line(comment(3, at=2_000, uid=1, text="<img src=x onerror=alert(1)>"), 2_100),
            line(comment(3, at=2_000, uid=1, text="<img src=x onerror=alert(1)>"), 2_200),  # re-delivered
            line(like(4, at=3_000, uid=2, count=5, total=105), 3_100),
            line(like(5, at=4_000, uid=1, count=2, total=140), 4_100),
            line(gift(6, at=5_000, uid=2, repeat=2, end=False), 5_100),
            line(gift(7, at=6_000, uid=2, repeat=5, end=True, diamonds=10), 6_100),
            line(social(8, "pm_main_follow_message_viewer_2", at=7_000, uid=2), 7_100),
            line(social(9, "pm_mt_guidance_share", at=7_500, uid=1), 7_600),
            line(viewers(10, at=8_000, total=40), 8_100),
            line(pin(11, at=9_000), 9_100),
            line(stream_end(12, at=600_000), 600_100),
        ],
    )


def test_replay_stores_the_session_and_seals_it(tmp_path):
    report = recorder.replay_capture(full_capture(tmp_path / "cap.jsonl"), Store(tmp_path / "st", create=True))
    assert report.sealed and report.problems == []
    ev = stored(tmp_path / "st")
    counts = ev["type"].value_counts().to_dict()
    assert counts == {
        "session_start": 1,
        "viewer_enter": 2,
        "comment": 1,  # the re-delivered copy is the same message
        "like": 2,
        "gift": 1,
        "follow": 1,
        "share": 1,
        "viewer_count": 1,
        "product_pin": 1,
        "session_end": 1,
    }
    info = liveboard.open(tmp_path / "st").session(ROOM).info
    assert bool(info["sealed"]) and info["account_id"] == "glowlab"


def test_replaying_a_capture_twice_changes_nothing(tmp_path):
    cap = full_capture(tmp_path / "cap.jsonl")
    store = Store(tmp_path / "st", create=True)
    recorder.replay_capture(cap, store)
    version = store.snapshot().version
    again = recorder.replay_capture(cap, store)
    assert again.already_sealed and store.snapshot().version == version
    # a capture of a LIVE still going (no end): the second replay finds every id stored
    open_cap = write_capture(tmp_path / "open.jsonl", [line(comment(1, at=1_000), 1_100)], head=header(room_id="42"))
    first = recorder.replay_capture(open_cap, store)
    second = recorder.replay_capture(open_cap, store)
    assert (first.stored, second.stored, second.resumed) == (2, 0, 2)


def test_cli_replay_then_sessions_show_engagement(tmp_path, capsys):
    cap, st = full_capture(tmp_path / "cap.jsonl"), tmp_path / "st"
    assert cli.main(["record", "--replay", str(cap), "--store", str(st)]) == 0
    assert "13 message(s)" in capsys.readouterr().out
    s = liveboard.open(st).sessions().set_index("session_id").loc[ROOM]
    assert (s["comments"], s["likes"], s["viewers"], s["views"]) == (1, 40, 2, 2)
    assert (s["new_followers"], s["shares"], s["gift_diamonds"], s["featured_products"]) == (1, 1, 50, 1)
    assert s["duration_s"] == 600.0
    assert "recorder" in list(s["sources"])


def test_a_recorder_session_has_no_sales_figures(tmp_path):
    cap, st = full_capture(tmp_path / "cap.jsonl"), tmp_path / "st"
    assert cli.main(["record", "--replay", str(cap), "--store", str(st)]) == 0
    s = liveboard.open(st).sessions().set_index("session_id").loc[ROOM]
    assert all(pd.isna(s[m]) for m in ("gmv", "direct_gmv", "items_sold", "sku_orders", "customers"))


def test_cli_replay_rejects_a_handle_with_replay(tmp_path, capsys):
    cap = full_capture(tmp_path / "cap.jsonl")
    assert cli.main(["record", "@x", "--replay", str(cap), "--store", str(tmp_path / "st")]) == 2
    assert "takes no @handle" in capsys.readouterr().err
    assert cli.main(["record", "--store", str(tmp_path / "st")]) == 2


def test_bad_lines_are_counted_with_their_line_numbers_and_the_rest_is_stored(tmp_path):
    huge = json.dumps({"ts": T0, "method": "WebcastChatMessage", "payload": "A" * (MAX_LINE + 10)})
    cap = write_capture(
        tmp_path / "cap.jsonl",
        [
            line(comment(1, at=1_000), 1_100),  # line 2
            "this is not json",  # 3
            json.dumps({"ts": T0, "method": "WebcastChatMessage", "payload": "%%%not base64%%%"}),  # 4
            json.dumps({"ts": T0, "method": "WebcastNeverHeardOfMessage", "payload": "AAAA"}),  # 5
            json.dumps({"ts": T0, "method": "WebcastGiftMessage", "payload": base64.b64encode(b"garbage!!").decode()}),
            huge,  # 7
            line(comment(2, at=2_000), 2_100),  # 8
            '{"ts": 1764590003000, "method": "WebcastChatMes',  # 9: the recorder was killed mid-line
        ],
        end="",
    )
    report = recorder.replay_capture(cap, Store(tmp_path / "st", create=True))
    text = "\n".join(report.problems)
    assert "not JSON: 1 (line 3)" in text
    assert "field 'payload': not base64: 1 (line 4)" in text
    assert "unknown method WebcastNeverHeardOfMessage: 1 (line 5)" in text
    assert "WebcastGiftMessage payload does not decode" in text and "(line 6)" in text
    assert "longer than 2 MiB: skipped: 1 (line 7)" in text
    assert "truncated" in text and "(line 9)" in text
    assert report.bad_lines == 6
    assert sorted(stored(tmp_path / "st").query("type == 'comment'")["id"]) == ["1", "2"]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("", "the file is empty"),
        ('{"ts": 1, "method": "WebcastChatMessage", "payload": ""}\n', 'no "capture": "tiktoklive"'),
        ("id,type\n1,comment\n", "line 1 is not JSON"),
        ('{"capture": "tiktoklive", "unique_id": "@x"}\n', "'room_id' is missing"),
    ],
)
def test_a_file_that_is_not_a_capture_is_refused_naming_file_and_line_1(tmp_path, content, why):
    path = tmp_path / "not.jsonl"
    path.write_text(content)
    with pytest.raises(recorder.RecorderError) as err:
        recorder.replay_capture(path, Store(tmp_path / "st", create=True))
    assert str(err.value).startswith(f"{path}:1: not a TikTokLive capture") and why in str(err.value)


def test_cli_names_the_file_of_a_bad_capture(tmp_path, capsys):
    path = tmp_path / "events.jsonl"
    path.write_text('{"id": "1", "type": "comment"}\n')
    assert cli.main(["record", "--replay", str(path), "--store", str(tmp_path / "st")]) == 2
    assert f"{path}:1: not a TikTokLive capture" in capsys.readouterr().err


# ---------------------------------------------------------------- gaps


def test_gaps_in_a_capture_are_kept_and_registered_with_the_store(tmp_path):
    gap = json.dumps({"ts": T0 + 30_000, "gap": {"from": T0 + 10_000, "to": T0 + 30_000, "reason": "connection lost"}})
    cap = write_capture(tmp_path / "cap.jsonl", [line(comment(1, at=1_000), 1_100), gap, line(comment(2, at=31_000))])
    store = Store(tmp_path / "st", create=True)
    report = recorder.replay_capture(cap, store)
    assert report.gaps == 1 and report.registered
    session = liveboard.open(store.root).session(ROOM)
    gaps = session.gaps()
    assert len(gaps) == 1
    row = gaps.iloc[0]
    assert (row["gap_start"], row["gap_end"], row["reason"]) == (
        pd.Timestamp(T0 + 10_000, unit="ms", tz="UTC"),
        pd.Timestamp(T0 + 30_000, unit="ms", tz="UTC"),
        "connection lost",
    )
    assert "recorder" in session.sources()
    # registering again (a second replay) keeps one gap
    recorder.replay_capture(cap, store)
    assert len(liveboard.open(store.root).session(ROOM).gaps()) == 1


def test_gaps_table_shape():
    from liveboard.recorder.sink import GapSpan

    table = gaps_table(ROOM, [GapSpan(T0, T0 + 5_000, "connection lost")])
    assert table.column_names == ["source_key", "gap_start", "gap_end", "reason"]
    assert table.to_pylist()[0]["gap_end"] == pd.Timestamp(T0 + 5_000, unit="ms", tz="UTC").to_pydatetime()


# ---------------------------------------------------------------- the connection loop, with a fake client


class FakeClock:
    def __init__(self, t: float = T0 / 1000):
        self.t = t
        self.slept: list[float] = []

    def time(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)


class FakeWeb:
    def __init__(self, info):
        self.info = info
        self.closed = False

    async def close(self):
        self.closed = True

    async def fetch_room_info(self):
        if isinstance(self.info, Exception):
            raise self.info
        return self.info


class FakeClient:
    """Stands in for TikTokLiveClient: emits scripted fetch results the way the library does."""

    def __init__(self, batches=(), *, room=ROOM, fail=None, end="disconnect", info=None):
        self.batches, self.room, self.fail, self.end = list(batches), room, fail, end
        self.listeners = defaultdict(list)
        self.web = FakeWeb(info if info is not None else {"title": "Glow night", "owner": {"id_str": "6900000000"}})
        self.room_id = None
        self.disconnects = 0

    def add_listener(self, event_cls, handler):
        self.listeners[event_cls.get_type()].append(handler)

    def emit(self, ev):
        for handler in self.listeners[ev.get_type()]:
            handler(ev)

    async def start(self, **kwargs):
        if self.fail is not None:
            raise self.fail
        self.room_id = int(self.room)
        return asyncio.ensure_future(self._run())

    async def _run(self):
        for batch in self.batches:
            raw = ProtoMessageFetchResult(
                messages=[ProtoMessageFetchResultBaseProtoMessage(method=m, payload=p) for m, p in batch]
            )
            for _ in raw.messages:  # one WebsocketResponseEvent per message, each with the whole result
                self.emit(WebsocketResponseEvent(raw=raw))
            await asyncio.sleep(0)
        if self.end == "error":
            raise ConnectionResetError("websocket closed: https://signed.example/?token=secret")
        self.emit(DisconnectEvent())

    async def disconnect(self):
        self.disconnects += 1


def rate_limited(retry_after: int) -> SignatureRateLimitError:
    response = httpx.Response(429, headers={"RateLimit-Remaining": str(retry_after), "RateLimit-Reset": "0"})
    return SignatureRateLimitError(None, "rate limited, retry in %s s", response=response)


def factory(clients):
    it = iter(clients)
    return lambda handle: next(it)


def run_record(tmp_path, clients, clock, **kw):
    said: list[str] = []
    rc = recorder.record_live(
        "@GlowLab",
        Store(tmp_path / "st", create=True),
        client_factory=factory(clients),
        clock=clock.time,
        sleep=clock.sleep,
        rng=lambda: 0.5,
        say=said.append,
        tick_s=0.01,
        **kw,
    )
    return rc, said


def test_reconnects_after_a_drop_records_the_gap_and_honours_retry_after(tmp_path):
    clock = FakeClock()
    first = FakeClient([[comment(1, at=500), like(2, at=600, count=3, total=3)], [join(3, at=700)]], end="error")
    second = FakeClient(fail=rate_limited(7))
    third = FakeClient([[comment(1, at=500), comment(4, at=9_500)], [stream_end(5, at=20_000)]])  # history again
    rc, said = run_record(tmp_path, [first, second, third], clock, capture=tmp_path / "cap.jsonl")
    assert rc == 0
    # back-off 1.5 s (2 s ±50 %, rng 0.5) after the drop, then retry_after 7 s (+ jitter) instead of 3 s
    assert clock.slept == [1.5, 7.5]
    ev = stored(tmp_path / "st")
    assert sorted(ev.query("type == 'comment'")["id"]) == ["1", "4"]  # the re-delivered comment once
    assert (ev["type"] == "session_end").sum() == 1
    session = liveboard.open(tmp_path / "st").session(ROOM)
    assert bool(session.info["sealed"]) and session.info["title"] == "Glow night"
    assert session.gaps()["reason"].tolist() == ["connection lost; ConnectionResetError, signing server rate limit"]
    assert first.disconnects >= 1 and third.disconnects >= 1
    assert first.web.closed and second.web.closed and third.web.closed
    out = "\n".join(said)
    assert "secret" not in out and "signed.example" not in out  # exception texts never shown
    # the gap: from the drop to the new connection, with what happened in between
    cap_lines = [json.loads(x) for x in (tmp_path / "cap.jsonl").read_text().splitlines()]
    gaps = [x["gap"] for x in cap_lines if "gap" in x]
    assert len(gaps) == 1
    assert gaps[0]["to"] - gaps[0]["from"] == 9_000
    assert "ConnectionResetError" in gaps[0]["reason"] and "signing server rate limit" in gaps[0]["reason"]
    assert cap_lines[0] == {
        "capture": "tiktoklive",
        "version": 1,
        "unique_id": "@glowlab",
        "room_id": ROOM,
        "started": T0,
        "title": "Glow night",
        "creator_id": "6900000000",
    }


def test_the_capture_of_a_recording_replays_into_the_same_session(tmp_path):
    clock = FakeClock()
    first = FakeClient([[comment(1, at=500), gift(2, at=600, repeat=3, end=True)]], end="error")
    second = FakeClient([[join(3, at=9_000), like(4, at=9_100, count=2, total=2)], [stream_end(5, at=30_000)]])
    run_record(tmp_path, [first, second], clock, capture=tmp_path / "cap.jsonl")
    replayed = tmp_path / "replayed"
    report = recorder.replay_capture(tmp_path / "cap.jsonl", Store(replayed, create=True))
    assert report.problems == [] and report.gaps == 1 and report.sealed
    live = stored(tmp_path / "st")[["id", "type", "ts"]].sort_values("id").reset_index(drop=True)
    again = liveboard.open(replayed).session(ROOM).events().to_pandas()[["id", "type", "ts"]]
    pd.testing.assert_frame_equal(live, again.sort_values("id").reset_index(drop=True))
    # and replaying it into the store the recorder wrote is a no-op
    assert recorder.replay_capture(tmp_path / "cap.jsonl", Store(tmp_path / "st")).already_sealed


def test_the_live_is_over_when_the_creator_stays_offline_after_a_drop(tmp_path):
    clock = FakeClock()
    clients = [FakeClient([[comment(1, at=500)]])] + [FakeClient(fail=UserOfflineError()) for _ in range(3)]
    rc, said = run_record(tmp_path, clients, clock, offline_checks=3)
    assert rc == 0
    ev = stored(tmp_path / "st")
    assert ev["type"].tolist()[-1] == "session_end" and "session_end" in ev["id"].tolist()
    assert bool(liveboard.open(tmp_path / "st").session(ROOM).info["sealed"])
    assert any("the LIVE ended" in s for s in said)


def test_a_new_room_after_a_drop_ends_the_session(tmp_path):
    clock = FakeClock()
    clients = [FakeClient([[comment(1, at=500)]], end="error"), FakeClient([[comment(2, at=900)]], room="99")]
    rc, said = run_record(tmp_path, clients, clock)
    ev = stored(tmp_path / "st")
    assert ev["type"].tolist() == ["session_start", "comment", "session_end"]
    assert liveboard.open(tmp_path / "st").session(ROOM).gaps()["reason"].tolist() == [
        "connection lost; the LIVE ended (a new one started)"
    ]
    assert any("live again in room 99" in s for s in said)


def test_a_sealed_session_is_not_recorded_again(tmp_path):
    clock = FakeClock()
    run_record(tmp_path, [FakeClient([[comment(1, at=500), stream_end(2, at=900)]])], clock)
    again = FakeClient([[comment(3, at=1_000)]])
    with pytest.raises(recorder.RecorderError, match="has ended and is sealed"):
        run_record(tmp_path, [again], clock)
    assert again.disconnects >= 1


def test_a_creator_not_live_is_a_clear_error(tmp_path, capsys):
    clock = FakeClock()
    with pytest.raises(recorder.RecorderError, match="@glowlab is not LIVE now"):
        run_record(tmp_path, [FakeClient(fail=UserOfflineError())], clock)


def test_the_first_connection_gives_up_after_a_few_attempts(tmp_path):
    clock = FakeClock()
    clients = [FakeClient(fail=httpx.ConnectError("no route to https://x/?key=secret")) for _ in range(4)]
    with pytest.raises(recorder.RecorderError) as err:
        run_record(tmp_path, clients, clock, first_attempts=4)
    assert "after 4 attempts (ConnectError)" in str(err.value) and "secret" not in str(err.value)
    assert len(clock.slept) == 3
    assert all(c.web.closed for c in clients)  # a long outage must not pile up HTTP sessions


def test_a_stop_during_a_gap_keeps_the_gap_and_a_restart_resumes_without_duplicates(tmp_path):
    store = Store(tmp_path / "st", create=True)
    clock = FakeClock()

    class Stop(FakeClock):
        async def sleep(self, seconds):
            self.t += 5
            raise asyncio.CancelledError  # Ctrl-C while waiting to reconnect

    stop = Stop(clock.t)
    sinks = []

    def open_sink(room: RoomInfo, now_ms: int):
        r = Recording(room.room_id, "glowlab", start_ms=now_ms, title=room.title)
        sink = RecordingSink(store, r, creator_id=room.creator_id)
        sink.start()
        sinks.append(sink)
        return sink

    follower = LiveFollower(
        "glowlab",
        open_sink,
        client_factory=factory([FakeClient([[comment(1, at=500), comment(2, at=600)]], end="error")]),
        clock=stop.time,
        sleep=stop.sleep,
        rng=lambda: 0.5,
        say=lambda s: None,
        tick_s=0.01,
    )
    with pytest.raises(asyncio.CancelledError):
        aio.run(follower.run())
    sinks[0].close()
    assert [g.reason for g in sinks[0].gaps] == ["connection lost; the recorder stopped before it was back"]
    assert not bool(liveboard.open(store.root).session(ROOM).info["sealed"])
    # the same command again: history re-delivered, a gap for the time it was not running, then the end
    later = FakeClock(stop.t + 60)
    again = FakeClient([[comment(1, at=500), comment(2, at=600), comment(3, at=70_000)], [stream_end(4, 80_000)]])
    rc, said = run_record(tmp_path, [again], later)
    ev = stored(tmp_path / "st")
    assert sorted(ev.query("type == 'comment'")["id"]) == ["1", "2", "3"]
    assert (ev["type"] == "session_start").sum() == 1
    assert any("resuming session" in s for s in said)
    assert liveboard.open(tmp_path / "st").session(ROOM).gaps()["reason"].tolist() == [
        "connection lost; the recorder stopped before it was back",
        "the recorder was not running",
    ]
    assert bool(liveboard.open(tmp_path / "st").session(ROOM).info["sealed"])


def test_backoff_is_bounded_per_attempt_and_jittered():
    b = Backoff(first=2, factor=2, cap=60)
    assert [b.delay(n, lambda: 1.0) for n in range(7)] == [2, 4, 8, 16, 32, 60, 60]
    assert b.delay(3, lambda: 0.0) == 8
    assert b.delay(1000, lambda: 0.5) == 45


# ---------------------------------------------------------------- the optional extra


def test_handles():
    assert recorder.parse_handle("@GlowLab.Official") == "glowlab.official"
    for bad in ("", "@", "glow lab", "@a/b", "@" + "x" * 70, "@a..b"):
        with pytest.raises(recorder.RecorderError, match="handle"):
            recorder.parse_handle(bad)


def test_without_tiktoklive_the_message_says_how_to_install(monkeypatch):
    monkeypatch.setattr(_lib, "_LIB", None)
    monkeypatch.setitem(sys.modules, "TikTokLive", None)  # what an environment without the extra looks like
    with pytest.raises(recorder.RecorderError, match=r"pip install 'liveboard\[tiktok\]'"):
        recorder.require()


def test_importing_liveboard_does_not_import_tiktoklive():
    code = "import sys, liveboard, liveboard.cli, liveboard.recorder; print('TikTokLive' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_read_capture_header(tmp_path):
    path = write_capture(tmp_path / "c.jsonl", [], head=header(title="T", creator_id="123"))
    head, items = read_capture(path)
    assert (head.unique_id, head.room_id, head.title, head.creator_id, head.started) == (
        "@GlowLab",
        ROOM,
        "T",
        "123",
        T0,
    )
    assert list(items) == []
