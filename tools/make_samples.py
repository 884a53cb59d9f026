"""Write the samples of the real-data doors into data/doors/ (run: python tools/make_samples.py).

* ``live-analysis-export.csv`` — a Seller Center "LIVE analysis" export as the Malaysian shop writes it
  (a date-range title row, a blank row, the header, every cell text);
* ``tiktoklive-capture.jsonl`` — a TikTokLive capture of one of those LIVEs (the 2026-04-18 one), built
  with the library's own message classes, so importing both shows one session with two sources.

The numbers are made up; the formats are the documented ones (see the project's notes on sources).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
import random
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "doors"
HANDLE = "annb"
ROOM = "7489001122334455667"
#: 2026/04/18/ 22:14 in Kuala Lumpur (UTC+8): the LIVE both samples describe.
START = dt.datetime(2026, 4, 18, 14, 14, 20, tzinfo=dt.UTC)
LENGTH_S = 20 * 60

HEADERS = [
    "Creator ID", "Creator", "Nickname", "Launched Time", "Duration", "LIVE gross merchandise value (RM)",
    "Products added", "Different Products Sold", "Created SKU orders", "LIVE SKU orders", "LIVE items sold",
    "Unique customers", "Average Price (RM)", "Click-to-order rate (LIVE)", "LIVE attributed GMV (RM)", "Viewers",
    "Views", "Average viewing duration (LIVE streams)", "Comments", "Shares", "LIVE likes",
    "New followers (Creator video)", "Product Impressions", "Product Clicks", "CTR",
]  # fmt: skip
ROWS = [
    ["7123456789012345678", "Ann Bee", HANDLE, "2026/04/18/ 22:14", "20min", "444.23", "12", "5", "40", "36",
     "41", "30", "10.83", "8.33%", "512.10", "2120", "3010", "107", "63", "4", "1210", "9", "1876", "432", "23.03%"],
    ["7123456789012345678", "Ann Bee", HANDLE, "2026/04/16/ 20:00", "1h 40min", "1,204.50", "20", "9", "88",
     "80", "95", "71", "12.68", "10.10%", "1,398.00", "1804", "2611", "142", "320", "17", "8840", "51", "9120",
     "792", "8.68%"],
    ["7123456789012345678", "Ann Bee", HANDLE, "2026/04/14/ 21:30", "45min", "", "", "", "", "", "", "", "",
     "", "", "640", "910", "65s", "", "", "", "", "", "", ""],
]  # fmt: skip


def write_export(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Date Range: 2026-04-12 ~ 2026-04-18"])
        w.writerow([])
        w.writerow(HEADERS)
        w.writerows(ROWS)


def write_capture(path: Path, seed: int = 7) -> int:
    from TikTokLive.events.proto_events import (
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

    method = {cls: name for name, cls in reversed(list(EVENT_MAPPINGS.items()))}
    rng = random.Random(seed)
    t0 = int(START.timestamp() * 1000)
    lines = [json.dumps({"capture": "tiktoklive", "unique_id": f"@{HANDLE}", "room_id": ROOM, "started": t0})]
    msg = iter(range(7_400_000_000_000_000_000, 7_500_000_000_000_000_000))

    def add(cls, at_ms: int, display_key: str | None = None, **fields) -> None:
        common = {"msgId": str(next(msg)), "createTime": str(t0 + at_ms)}
        if display_key:
            common["displayText"] = {"key": display_key}
        payload = bytes(cls.from_dict({"common": common, **fields}, ignore_unknown_fields=True))
        received = t0 + at_ms + rng.randint(80, 900)
        lines.append(json.dumps({"ts": received, "method": method[cls], "payload": base64.b64encode(payload).decode()}))

    def user(uid: int) -> dict:
        return {"id": str(10_000 + uid), "nickname": f"viewer {uid}", "displayId": f"viewer.{uid}"}

    sources = ["homepage_hot-live_cell", "homepage_follow-live_cell", "search", "others_profile", "video_head"]
    words = ["love this!", "how much?", "size M please", "shipping to Penang?", "❤️❤️", "restock when?", "<b>hi</b>"]
    joined: list[int] = [1]

    def someone() -> int:  # an engaged viewer is one who entered (as TikTokLive sees it)
        return rng.choice(joined)

    total_likes, products = 0, [("1729", "Rose serum 30 ml", "RM39.90"), ("1730", "Night cream", "RM52.00")]
    for second in range(0, LENGTH_S, 5):
        at = second * 1000
        if rng.random() < 0.55:
            joined.append(rng.randint(1, 260))
            add(JoinEvent, at, user=user(joined[-1]), action="JOINED", clientEnterSource=rng.choice(sources))
        if rng.random() < 0.25:
            add(CommentEvent, at + 1200, user=user(someone()), content=rng.choice(words))
        if rng.random() < 0.3:
            n = rng.randint(1, 15)
            total_likes += n
            add(LikeEvent, at + 2100, user=user(someone()), count=n, total=str(total_likes))
        if rng.random() < 0.03:
            key = rng.choice(["pm_main_follow_message_viewer_2", "pm_mt_guidance_share"])
            add(SocialEvent, at + 2500, display_key=key, user=user(someone()))
        if second % 30 == 0:
            add(RoomUserSeqEvent, at + 3000, total=str(20 + second // 20 + rng.randint(0, 6)))
        if rng.random() < 0.02:
            add(
                GiftEvent,
                at + 3500,
                user=user(someone()),
                gift={"name": "Rose", "diamondCount": 1, "type": 1, "id": "5655"},
                giftId="5655",
                repeatCount=rng.randint(1, 9),
                repeatEnd=1,
                groupId=str(second),
            )
        if second in (60, 600):
            pid, title, price = products[0 if second == 60 else 1]
            add(OecLiveShoppingEvent, at + 4000, popProduct={"productId": pid, "title": title, "price": price})
    add(ControlEvent, LENGTH_S * 1000, action="STREAM_ENDED")
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def main() -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    write_export(SAMPLES / "live-analysis-export.csv")
    n = write_capture(SAMPLES / "tiktoklive-capture.jsonl")
    print(f"wrote {SAMPLES / 'live-analysis-export.csv'} and {SAMPLES / 'tiktoklive-capture.jsonl'} ({n} messages)")


if __name__ == "__main__":
    main()
