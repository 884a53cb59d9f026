"""Decoded TikTokLive events → event-log-v1 rows: the pure part of the recorder (no network, no store).

:class:`Recording` holds what a mapping needs to remember between messages — the last like total, gift
streaks in progress, the product on screen, the message ids already seen — and turns each decoded event
into zero or more rows of :data:`liveboard.events.EVENT_SCHEMA`. The live recorder and the replay of a
capture feed it the same way, so a capture replayed gives the session the recorder wrote.

Rules (see ``../shared/notes/sources.md`` section 4):

* ``id`` is ``common.msg_id`` (a message seen twice — a reconnect re-delivers recent history, the client
  emits a proto event *and* its custom twin — maps once); without one, a hash of the message.
* ``ts`` is ``common.create_time`` (epoch ms; seconds are accepted) when it lies within 6 hours before and
  60 s after the time it was received, else the receive time; then it is kept at or after the session
  start and never earlier than the previous row (the live state's arrival-order contract).
* likes: the room's running ``total`` is trusted — a like counts ``total − last total seen`` (``count``
  undercounts); the first like seen counts its own ``count`` (likes before the recording are not ours).
* gifts: a streakable gift (``gift.type == 1``) counts once, at ``repeat_end``, with ``repeat_count``
  (streaks still open at the session end count what they reached); other gifts count at once.
* ``viewer_enter``: channel from ``client_enter_source`` (:func:`channel_of`), ``is_follower`` from the
  user's follow status when it is there, else false. ``viewer_count`` from ``RoomUserSeqEvent.total`` (a
  zero total is not a reading). ``product_pin`` when the featured product (``pop_product``) changes.
* ``session_end`` on ``ControlEvent`` ``STREAM_ENDED`` only (a suspension may resume: the connection loop
  decides when the LIVE is over).

User nicknames are untrusted text: kept (capped) in ``extra`` of comments, gifts and follows only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, deque
from decimal import Decimal, InvalidOperation

import pyarrow as pa

from liveboard.events import EVENT_SCHEMA

STREAM_ENDED = 3  # TikTokLiveProto ControlAction.STREAM_ENDED
MEMBER_SUBSCRIBED = 3  # MemberMessageAction.SUBSCRIBED: not an entry
PAST_MS = 6 * 3600 * 1000
FUTURE_MS = 60 * 1000
SEEN_IDS = 200_000
TEXT_CAP = 2000
NAME_CAP = 200

#: ``client_enter_source`` substrings → spec channel, first match wins (follow before the "homepage" feeds).
CHANNEL_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("follow", ("follow",)),
    ("search", ("search",)),
    ("shop", ("shop", "mall", "ec_", "commerce")),
    ("share", ("share",)),
    ("profile", ("others_homepage", "personal_homepage", "profile", "user_homepage")),
    ("video", ("video",)),
    ("feed", ("homepage_hot", "live_merge", "feed", "foryou", "for_you", "fyp")),
    ("promoted", ("promot",)),
)


def channel_of(source: str | None) -> str:
    """The spec channel of a ``client_enter_source`` value; ``other`` when none applies."""
    text = (source or "").lower()
    for channel, hints in CHANNEL_HINTS:
        if any(h in text for h in hints):
            return channel
    return "other"


_NUMBER = re.compile(r"\d[\d.,\s]*")


def parse_price(text: str | None) -> Decimal | None:
    """A price shown to viewers (``RM12.90``, ``$1,234.50``, ``1.234,50 ₫``) as a decimal, or None."""
    m = _NUMBER.search(text or "")
    if not m:
        return None
    s = re.sub(r"\s", "", m.group(0)).rstrip(".,")
    if "," in s and "." in s:
        s = s.replace(",", "") if s.rfind(".") > s.rfind(",") else s.replace(".", "").replace(",", ".")
    elif "," in s:
        head, _, tail = s.rpartition(",")
        s = f"{head.replace(',', '')}.{tail}" if len(tail) == 2 else s.replace(",", "")
    elif s.count(".") > 1:
        s = s.replace(".", "")
    try:
        value = Decimal(s)
    except InvalidOperation:
        return None
    return value if value.is_finite() and 0 <= value < Decimal(10) ** 15 else None


def _kinds(event: object) -> set[str]:
    """Class names along the event's MRO: ``FollowEvent`` is a ``SocialEvent``, ``LiveEndEvent`` a ``ControlEvent``."""
    return {c.__name__ for c in type(event).__mro__}


def _user_id(user) -> str | None:
    uid = getattr(user, "id", 0) if user is not None else 0
    return str(uid) if uid else None


def _who(user) -> str | None:
    """``extra`` for rows where who it was matters: nickname and @handle, capped (untrusted text)."""
    if user is None:
        return None
    who = {}
    if getattr(user, "nickname", ""):
        who["nickname"] = user.nickname[:NAME_CAP]
    if getattr(user, "display_id", ""):
        who["display_id"] = user.display_id[:NAME_CAP]
    return json.dumps(who, ensure_ascii=False) if who else None


class Recording:
    """One LIVE session as the recorder sees it: decoded events in, event-log rows out.

    ``session_id`` is the room id (as text); ``start_ms`` the recording's start (epoch ms). ``stats``
    counts what happened to every event handed in (mapped per type, duplicate, ignored, …).
    """

    def __init__(
        self,
        session_id: str,
        account_id: str,
        *,
        start_ms: int,
        title: str | None = None,
        currency: str | None = None,
    ) -> None:
        self.session_id = session_id
        self.account_id = account_id
        self.start_ms = int(start_ms)
        self.title = (title or f"LIVE of @{account_id}")[:NAME_CAP]
        self.currency = currency
        self.stats: Counter[str] = Counter()
        self.ended = False
        self.last_ts = self.start_ms
        self._seq = 0
        self._seen: set[str] = set()
        self._seen_order: deque[str] = deque()
        self._like_total: int | None = None
        self._streaks: dict[tuple, dict] = {}
        self._pinned: str | None = None
        self._started = False

    # ------------------------------------------------------------------ rows

    def _row(self, type_: str, id_: str, ts: int, **fields) -> dict:
        self._seq += 1
        self.stats[type_] += 1
        return {"session_id": self.session_id, "id": id_, "type": type_, "ts": ts * 1000, "seq": self._seq, **fields}

    def start_row(self) -> list[dict]:
        """The ``session_start`` row (once; id ``session_start``, so a resumed recording repeats it harmlessly)."""
        if self._started:
            return []
        self._started = True
        fields = {"account_id": self.account_id, "title": self.title}
        if self.currency:
            fields["currency"] = self.currency
        return [self._row("session_start", "session_start", self.start_ms, **fields)]

    def end_row(self, ts_ms: int, id_: str = "session_end") -> list[dict]:
        """Close the session (open gift streaks count what they reached); nothing after it is mapped."""
        if self.ended:
            return []
        ts = max(int(ts_ms), self.last_ts)
        rows = [
            self._row(
                "gift", s["id"], ts, user_id=s["user_id"], gift_name=s["name"], diamonds=s["diamonds"], count=s["count"]
            )
            for s in self._streaks.values()
        ]
        self.stats["streaks closed at the end"] += len(rows)
        self._streaks.clear()
        self.ended = True
        self.last_ts = ts
        return [*rows, self._row("session_end", id_, ts)]

    # ------------------------------------------------------------------ mapping

    def _ts(self, common, received_ms: int) -> int:
        created = int(getattr(common, "create_time", 0) or 0) if common is not None else 0
        if 1_000_000_000 <= created < 100_000_000_000:  # seconds
            created *= 1000
        if created and received_ms - PAST_MS <= created <= received_ms + FUTURE_MS:
            ts = created
        else:
            ts = int(received_ms)
            self.stats["time from receipt"] += 1
        ts = max(ts, self.start_ms, self.last_ts)
        self.last_ts = ts
        return ts

    def _id(self, event, common) -> str:
        msg_id = int(getattr(common, "msg_id", 0) or 0) if common is not None else 0
        if msg_id:
            return str(msg_id)
        try:
            body = bytes(event)
        except Exception:  # noqa: BLE001 - an event that does not serialise still gets an id
            body = repr(event).encode()
        return "h" + hashlib.sha1(type(event).__name__.encode() + body, usedforsecurity=False).hexdigest()[:24]

    def _first_time(self, id_: str) -> bool:
        if id_ in self._seen:
            return False
        self._seen.add(id_)
        self._seen_order.append(id_)
        if len(self._seen_order) > SEEN_IDS:
            self._seen.discard(self._seen_order.popleft())
        return True

    def add(self, event: object, received_ms: int) -> list[dict]:
        """Rows for one decoded event (``received_ms``: when it arrived, epoch ms)."""
        if self.ended:
            self.stats["after the end"] += 1
            return []
        common = getattr(event, "common", None)
        id_ = self._id(event, common)
        if not self._first_time(id_):
            self.stats["duplicate"] += 1
            return []
        kinds = _kinds(event)
        rows = self.start_row()
        if "ControlEvent" in kinds:
            if int(getattr(event, "action", 0) or 0) == STREAM_ENDED:
                return rows + self.end_row(self._ts(common, received_ms), id_)
            self.stats["control (not an end)"] += 1
            return rows
        if "CommentEvent" in kinds:
            return rows + self._comment(event, id_, self._ts(common, received_ms))
        if "LikeEvent" in kinds:
            return rows + self._like(event, id_, common, received_ms)
        if "GiftEvent" in kinds:
            return rows + self._gift(event, id_, common, received_ms)
        if "JoinEvent" in kinds:
            return rows + self._join(event, id_, common, received_ms)
        if "SocialEvent" in kinds:
            return rows + self._social(event, id_, common, received_ms)
        if "RoomUserSeqEvent" in kinds:
            total = int(getattr(event, "total", 0) or 0)
            if total <= 0:
                self.stats["viewer count without a total"] += 1
                return rows
            return rows + [self._row("viewer_count", id_, self._ts(common, received_ms), count=total)]
        if "OecLiveShoppingEvent" in kinds:
            return rows + self._shopping(event, id_, common, received_ms)
        self.stats[f"ignored {type(event).__name__}"] += 1
        return rows

    def _comment(self, event, id_: str, ts: int) -> list[dict]:
        uid = _user_id(event.user)
        if uid is None:
            self.stats["comment without a user"] += 1
            return []
        text = (event.content or "")[:TEXT_CAP]
        return [self._row("comment", id_, ts, user_id=uid, text=text, extra=_who(event.user))]

    def _like(self, event, id_: str, common, received_ms: int) -> list[dict]:
        total = int(event.total or 0)
        count = int(event.count or 0)
        if total > 0 and self._like_total is not None:
            n = total - self._like_total
        else:
            n = count
        if total > 0:
            self._like_total = max(total, self._like_total or 0)
        if n <= 0:
            self.stats["like adding nothing to the total"] += 1
            return []
        uid = _user_id(event.user) or "unknown"
        self.stats["likes counted"] += n
        return [self._row("like", id_, self._ts(common, received_ms), user_id=uid, count=n)]

    def _gift(self, event, id_: str, common, received_ms: int) -> list[dict]:
        uid = _user_id(event.user)
        if uid is None:
            self.stats["gift without a user"] += 1
            return []
        gift = event.gift
        name = ((gift.name if gift is not None else "") or f"gift {event.gift_id}")[:NAME_CAP]
        diamonds = max(0, int(gift.diamond_count or 0)) if gift is not None else 0
        count = max(1, int(event.repeat_count or 0))
        if gift is not None and int(gift.type or 0) == 1:  # streakable: counted once, when the streak ends
            key = (uid, int(event.gift_id or getattr(gift, "id", 0) or 0), int(event.group_id or 0))
            if not event.repeat_end:
                self._streaks[key] = {"id": id_, "user_id": uid, "name": name, "diamonds": diamonds, "count": count}
                self.stats["gift streak in progress"] += 1
                return []
            self._streaks.pop(key, None)
        ts = self._ts(common, received_ms)
        return [
            self._row(
                "gift", id_, ts, user_id=uid, gift_name=name, diamonds=diamonds, count=count, extra=_who(event.user)
            )
        ]

    def _join(self, event, id_: str, common, received_ms: int) -> list[dict]:
        if int(getattr(event, "action", 0) or 0) == MEMBER_SUBSCRIBED:
            self.stats["member message (not an entry)"] += 1
            return []
        uid = _user_id(event.user) or (str(event.user_id) if event.user_id else None)
        if uid is None:
            self.stats["entry without a user"] += 1
            return []
        info = getattr(event.user, "follow_info", None) if event.user is not None else None
        follower = bool(info is not None and int(info.follow_status or 0) >= 1)
        channel = channel_of(event.client_enter_source)
        ts = self._ts(common, received_ms)
        return [self._row("viewer_enter", id_, ts, user_id=uid, channel=channel, is_follower=follower)]

    def _social(self, event, id_: str, common, received_ms: int) -> list[dict]:
        text = common.display_text if common is not None else None
        key = ((getattr(text, "key", "") or "") if text is not None else "").lower()
        type_ = "follow" if "follow" in key else "share" if "share" in key else None
        if type_ is None:
            self.stats["social message (neither follow nor share)"] += 1
            return []
        uid = _user_id(event.user)
        if uid is None:
            self.stats[f"{type_} without a user"] += 1
            return []
        extra = _who(event.user) if type_ == "follow" else None
        return [self._row(type_, id_, self._ts(common, received_ms), user_id=uid, extra=extra)]

    def _shopping(self, event, id_: str, common, received_ms: int) -> list[dict]:
        pop = event.pop_product
        if pop is None or not pop.product_id:
            self.stats["shopping message (no featured product)"] += 1
            return []
        product_id = str(pop.product_id)
        if product_id == self._pinned:
            self.stats["featured product unchanged"] += 1
            return []
        self._pinned = product_id
        extra = json.dumps({"price_text": pop.price[:NAME_CAP]}, ensure_ascii=False) if pop.price else None
        ts = self._ts(common, received_ms)
        return [
            self._row(
                "product_pin",
                id_,
                ts,
                product_id=product_id,
                name=(pop.title or None) and pop.title[:NAME_CAP],
                price=parse_price(pop.price),
                extra=extra,
            )
        ]


def rows_table(rows: list[dict]) -> pa.Table:
    """Rows of :meth:`Recording.add` as a table of :data:`EVENT_SCHEMA`."""
    if not rows:
        return EVENT_SCHEMA.empty_table()
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)
