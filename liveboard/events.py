"""The event-log-v1 vocabulary: event types, their fields, and the columnar shape events are stored in.

Every source (simulator, event-log files, live connectors) produces tables of :data:`EVENT_SCHEMA`; the
store, the metrics and the exporters read nothing else. One wide, nullable table keeps the metric SQL a
set of plain filters and aggregates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

#: Money is stored as an exact decimal: 18 integer digits, 6 fractional digits.
MONEY = pa.decimal128(24, 6)
TS = pa.timestamp("us", tz="UTC")

CHANNELS = ("feed", "follow", "promoted", "search", "profile", "video", "shop", "share", "other")
PAID_CHANNELS = ("promoted",)
AGES = ("18-24", "25-34", "35-44", "45-54", "55+")
GENDERS = ("female", "male", "unknown")
ORDER_STATUSES = ("created", "paid", "refunded")
ATTRIBUTIONS = ("direct", "indirect")
SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Field:
    """One event field: its JSON kind, whether it is required, and the values it may take."""

    name: str
    kind: str  # "str", "int", "bool", "money", "str_list"
    required: bool = True
    choices: tuple[str, ...] | None = None
    minimum: int | None = None
    default: object = None


def _f(name: str, kind: str = "str", **kw) -> Field:
    return Field(name, kind, **kw)


def _opt(name: str, kind: str = "str", **kw) -> Field:
    return Field(name, kind, required=False, **kw)


COMMON_FIELDS = ("id", "type", "session_id", "ts")

#: Event type -> its own fields (beyond ``id``, ``type``, ``session_id``, ``ts``), as spec section 2 gives them.
EVENT_TYPES: dict[str, tuple[Field, ...]] = {
    "session_start": (
        _f("account_id"),
        _f("title"),
        _opt("live_event_id"),
        _opt("currency", default="USD"),
    ),
    "session_end": (),
    "impression": (_opt("user_id"), _f("channel", choices=CHANNELS)),
    "viewer_enter": (
        _f("user_id"),
        _f("channel", choices=CHANNELS),
        _f("is_follower", "bool"),
        _opt("gender", choices=GENDERS),
        _opt("age", choices=AGES),
        _opt("region"),
    ),
    "viewer_leave": (_f("user_id"),),
    "comment": (_f("user_id"), _f("text")),
    "like": (_f("user_id"), _opt("count", "int", minimum=1, default=1)),
    "share": (_f("user_id"),),
    "follow": (_f("user_id"),),
    "gift": (_f("user_id"), _f("gift_name"), _f("diamonds", "int", minimum=0), _f("count", "int", minimum=1)),
    "product_pin": (_f("product_id"), _opt("name"), _opt("price", "money")),
    "product_unpin": (_f("product_id"),),
    "product_impression": (_f("user_id"), _f("product_id")),
    "product_click": (_f("user_id"), _f("product_id")),
    "order": (
        _f("order_id"),
        _f("user_id"),
        _f("product_id"),
        _f("quantity", "int", minimum=1),
        _f("amount", "money"),
        _f("status", choices=ORDER_STATUSES),
        _f("attribution", choices=ATTRIBUTIONS),
    ),
    "giveaway_start": (
        _f("giveaway_id"),
        _f("prize"),
        _opt("product_id"),
        _f("winners_planned", "int", minimum=0),
    ),
    "giveaway_view": (_f("giveaway_id"), _f("user_id")),
    "giveaway_click": (_f("giveaway_id"), _f("user_id")),
    "giveaway_join": (_f("giveaway_id"), _f("user_id")),
    "giveaway_end": (_f("giveaway_id"), _f("winner_ids", "str_list")),
    "violation": (
        _f("violation_id"),
        _f("policy"),
        _f("severity", choices=SEVERITIES),
        _f("detail"),
    ),
    "viewer_count": (_f("count", "int", minimum=0),),
}

_ARROW_KIND = {
    "str": pa.string(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "money": MONEY,
    "str_list": pa.list_(pa.string()),
}


def _payload_columns() -> dict[str, str]:
    """Every payload field name -> its kind; a name means the same thing in every event type that has it."""
    cols: dict[str, str] = {}
    for fields in EVENT_TYPES.values():
        for f in fields:
            if cols.setdefault(f.name, f.kind) != f.kind:
                raise AssertionError(f"field {f.name} has two kinds")
    return cols


PAYLOAD_COLUMNS: dict[str, str] = _payload_columns()

#: The stored shape of events. ``seq`` is the read order (ties on ``ts`` go to the one read last);
#: ``extra`` keeps unknown fields as a JSON object text.
EVENT_SCHEMA = pa.schema(
    [
        pa.field("session_id", pa.string(), nullable=False),
        pa.field("id", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("ts", TS, nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
    ]
    + [pa.field(name, _ARROW_KIND[kind]) for name, kind in PAYLOAD_COLUMNS.items()]
    + [pa.field("extra", pa.string())]
)

EVENT_COLUMNS: tuple[str, ...] = tuple(EVENT_SCHEMA.names)

#: Text columns whose values repeat from event to event (a session, a type, a channel, a product): stored
#: with a Parquet dictionary. Ids, users' ids and free text rarely repeat: a dictionary there costs a third
#: of a file's writing time and makes it larger.
UNIQUE_TEXT = ("id", "user_id", "text", "order_id", "detail", "extra", "winner_ids")
DICTIONARY_COLUMNS: tuple[str, ...] = tuple(
    f.name
    for f in EVENT_SCHEMA
    if f.name not in UNIQUE_TEXT and (pa.types.is_string(f.type) or pa.types.is_list(f.type))
)
