"""Reading one spreadsheet cell as a figure: money, counts, rates, durations, local times, handles.

Seller Center exports hold text (``444.23``, ``8.33%``, ``1h 40min``, ``2026/04/18/ 22:14``); files re-saved
by a spreadsheet hold numbers, real dates, ``$1,234.50`` or ``1.234,50``. Every parser takes what a cell
may hold and returns the value, ``None`` for a missing cell (blank, ``-``, ``--``: missing, never 0), or
raises :class:`CellError` with a reason a person can act on.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from liveboard.errors import DataProblem

#: Longest cell text read; longer cells make the row bad (a spreadsheet cell holds at most 32,767).
MAX_CELL_CHARS = 10_000
#: Money above this is not a LIVE's figure but a broken cell.
MAX_MONEY = Decimal("1e12")
#: Counts above this are not a LIVE's figure.
MAX_COUNT = 10**12
#: A LIVE, or one view of it, longer than this is a broken cell.
MAX_DURATION_S = 72 * 3600
#: Years a LIVE can have started in.
YEARS = (2016, 2100)

MISSING_TEXTS = frozenset({"", "-", "--", "—", "–", "n/a", "na", "null", "none"})

#: Currency marks seen in export headers and money cells → ISO 4217 code. ``$`` alone is read as USD.
CURRENCY_SYMBOLS: dict[str, str] = {
    "RM": "MYR",
    "$": "USD",
    "US$": "USD",
    "USD": "USD",
    "S$": "SGD",
    "SG$": "SGD",
    "฿": "THB",
    "₱": "PHP",
    "PHP": "PHP",
    "Rp": "IDR",
    "₫": "VND",
    "đ": "VND",
    "£": "GBP",
    "€": "EUR",
    "¥": "JPY",
    "円": "JPY",
    "MX$": "MXN",
    "R$": "BRL",
    "₩": "KRW",
    "₹": "INR",
}
#: ISO codes accepted as a currency mark besides the symbols above.
ISO_CODES = frozenset("MYR USD THB PHP IDR VND SGD GBP EUR JPY MXN BRL KRW INR CNY HKD TWD AUD CAD SAR AED".split())
_SYMBOLS_BY_LENGTH = sorted(set(CURRENCY_SYMBOLS) | ISO_CODES, key=len, reverse=True)


class CellError(DataProblem, ValueError):
    """A cell that cannot be read as the figure its column holds; the message says why."""


def currency_code(mark: str) -> str | None:
    """The ISO code of a currency mark (``RM``, ``$``, ``฿``, ``MYR``), or None if it is not one."""
    text = mark.strip()
    if text in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[text]
    if text.lower() in ("rm", "rp"):
        return CURRENCY_SYMBOLS[text.capitalize()]
    if text.upper() in ISO_CODES:
        return text.upper()
    return None


def is_missing(value: object) -> bool:
    """Blank cells (and the dashes exports write for 'no data') are missing figures."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return value.strip().lower() in MISSING_TEXTS
    return False


def cell_text(value: object) -> str:
    """A cell as the text a person sees (for messages and the raw row kept aside)."""
    if is_missing(value) and not isinstance(value, str):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _short(value: object) -> str:
    text = cell_text(value)
    return repr(text if len(text) <= 40 else text[:37] + "…")


def _check_length(value: object) -> None:
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        raise CellError(f"cell too long ({len(value):,} characters; at most {MAX_CELL_CHARS:,})")


def _number_text(text: str) -> Decimal:
    """``1,234.50``, ``1.234,50``, ``1 234,5``, ``1234`` → Decimal; the last of ``.`` / ``,`` is the decimal mark."""
    t = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    if "," in t and "." in t:
        t = t.replace(",", "") if t.rfind(".") > t.rfind(",") else t.replace(".", "").replace(",", ".")
    elif "," in t:
        # one comma before exactly three digits (or several such groups) is a thousands separator
        t = t.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", t) else t.replace(",", ".")
    elif re.fullmatch(r"[+-]?\d{1,3}(\.\d{3}){2,}", t):  # 1.234.567 (₫, Rp): dots group thousands
        t = t.replace(".", "")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", t):
        raise InvalidOperation(text)
    return Decimal(t)


def money(value: object) -> Decimal | None:
    """An amount: a number, or text such as ``444.23``, ``$1,234.50``, ``RM 12``, ``1.234,50 €``."""
    if is_missing(value):
        return None
    _check_length(value)
    if isinstance(value, bool):
        raise CellError(f"not an amount ({_short(value)})")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError(f"not an amount ({_short(value)})")
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        for sym in _SYMBOLS_BY_LENGTH:
            if text.startswith(sym) or text.startswith("-" + sym):
                text = text.replace(sym, "", 1).strip()
                break
            if text.endswith(sym):
                text = text[: -len(sym)].strip()
                break
        try:
            amount = _number_text(text)
        except InvalidOperation:
            raise CellError(f"not an amount ({_short(value)})") from None
    else:
        raise CellError(f"not an amount ({_short(value)})")
    if amount < 0:
        raise CellError(f"negative amount ({_short(value)})")
    if amount > MAX_MONEY:
        raise CellError(f"amount out of range ({_short(value)})")
    return amount.quantize(Decimal("0.000001"))


def count(value: object) -> int | None:
    """A whole, non-negative number: ``14254``, ``14,254``, or a number cell ``14254.0``."""
    if is_missing(value):
        return None
    _check_length(value)
    if isinstance(value, bool):
        raise CellError(f"not a whole number ({_short(value)})")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise CellError(f"not a whole number ({_short(value)})")
        n = int(value)
    elif isinstance(value, str):
        try:
            d = _number_text(value.strip())
        except InvalidOperation:
            raise CellError(f"not a whole number ({_short(value)})") from None
        if d != d.to_integral_value():
            raise CellError(f"not a whole number ({_short(value)})")
        n = int(d)
    else:
        raise CellError(f"not a whole number ({_short(value)})")
    if n < 0:
        raise CellError(f"negative count ({_short(value)})")
    if n > MAX_COUNT:
        raise CellError(f"count out of range ({_short(value)})")
    return n


def rate(value: object) -> float | None:
    """A rate as a fraction: ``8.33%`` → 0.0833; a number cell (a percent-formatted 0.0833) as it is."""
    if is_missing(value):
        return None
    _check_length(value)
    if isinstance(value, bool):
        raise CellError(f"not a rate ({_short(value)})")
    if isinstance(value, int | float):
        r = float(value)
    elif isinstance(value, str):
        text = value.strip()
        pct = text.endswith("%")
        try:
            d = _number_text(text.removesuffix("%").strip())
        except InvalidOperation:
            raise CellError(f"not a rate ({_short(value)}; expected e.g. 8.33%)") from None
        r = float(d / 100) if pct else float(d)
    else:
        raise CellError(f"not a rate ({_short(value)})")
    if not math.isfinite(r) or r < 0:
        raise CellError(f"not a rate ({_short(value)}; must not be negative)")
    return round(r, 10)


_DURATION_PART = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(h|hr|hrs|hour|hours|m|min|mins|minute|minutes|s|sec|secs|second|seconds)\b", re.I
)
_CLOCK = re.compile(r"^(\d+):([0-5]?\d)(?::([0-5]?\d))?$")


def duration(value: object) -> float | None:
    """Seconds from ``1h 40min``, ``45min``, ``2h``, ``65s``, ``1min 5s``, ``1:40:00``, or plain seconds."""
    if is_missing(value):
        return None
    _check_length(value)
    if isinstance(value, bool):
        raise CellError(f"not a duration ({_short(value)})")
    if isinstance(value, dt.timedelta):
        s = value.total_seconds()
    elif isinstance(value, dt.time):
        s = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    elif isinstance(value, int | float):
        s = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            s = float(text)
        elif m := _CLOCK.match(text):
            h, mnt, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
            s = float(h * 3600 + mnt * 60 + sec) if m.group(3) is not None else float(h * 3600 + mnt * 60)
        else:
            parts = _DURATION_PART.findall(text)
            rest = _DURATION_PART.sub("", text).strip()
            if not parts or rest:
                raise CellError(f"not a duration ({_short(value)}; expected e.g. 1h 40min, 45min, 65s)")
            s = 0.0
            for num, unit in parts:
                n = float(num.replace(",", "."))
                u = unit.lower()
                s += n * (3600 if u.startswith("h") else 60 if u.startswith("m") else 1)
    else:
        raise CellError(f"not a duration ({_short(value)})")
    if not math.isfinite(s) or s < 0:
        raise CellError(f"not a duration ({_short(value)}; must not be negative)")
    if s > MAX_DURATION_S:
        raise CellError(f"absurd duration ({_short(value)}; more than {MAX_DURATION_S // 3600} h)")
    return s


_LOCAL_TIME = re.compile(
    r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})/?(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def local_time(value: object, tz: ZoneInfo | None) -> dt.datetime | None:
    """An aware UTC time from ``2026/04/18/ 22:14``, ``2026-04-18 22:14[:05]`` or a real spreadsheet datetime.

    Times without an offset are wall-clock times in ``tz`` (the shop's zone); ``tz`` None then raises
    :class:`NeedsZone`. A wall time that does not exist in ``tz`` (clocks moved forward) is an error; one that
    happens twice (clocks moved back) is read as the first.
    """
    if is_missing(value):
        return None
    _check_length(value)
    offset = None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return _in_range(value.astimezone(dt.UTC), value)
        naive = value.replace(microsecond=0)
    elif isinstance(value, dt.date):
        raise CellError(f"no time of day ({_short(value)}; expected e.g. 2026/04/18/ 22:14)")
    elif isinstance(value, str):
        m = _LOCAL_TIME.match(value.strip())
        if not m:
            raise CellError(f"not a date and time ({_short(value)}; expected e.g. 2026/04/18/ 22:14)")
        y, mo, d, h, mi, s, off = m.groups()
        if h is None:
            raise CellError(f"no time of day ({_short(value)}; expected e.g. 2026/04/18/ 22:14)")
        try:
            naive = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
        except ValueError:
            raise CellError(f"not a valid date and time ({_short(value)})") from None
        offset = off
    else:
        raise CellError(f"not a date and time ({_short(value)})")
    if offset:
        if offset == "Z":
            tzinfo = dt.UTC
        else:
            sign = 1 if offset[0] == "+" else -1
            hh, mm = int(offset[1:3]), int(offset[-2:])
            tzinfo = dt.timezone(sign * dt.timedelta(hours=hh, minutes=mm))
        return _in_range(naive.replace(tzinfo=tzinfo).astimezone(dt.UTC), value)
    if tz is None:
        raise NeedsZone()
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(dt.UTC).astimezone(tz)
    if back.replace(tzinfo=None) != naive:
        raise CellError(f"{_short(value)} does not exist in {tz.key} (the clocks moved forward then)")
    return _in_range(aware.astimezone(dt.UTC), value)


def _in_range(ts: dt.datetime, value: object) -> dt.datetime:
    if not YEARS[0] <= ts.year <= YEARS[1]:
        raise CellError(f"date out of range ({_short(value)}; years {YEARS[0]}–{YEARS[1]})")
    return ts


class NeedsZone(CellError):
    """A wall-clock time with no zone to read it in (the caller asks for ``--tz``)."""

    def __init__(self) -> None:
        super().__init__("a local time, and no time zone was given")


_HANDLE = re.compile(r"^[a-z0-9._]{1,64}$")


def handle(value: object) -> str | None:
    """A TikTok handle as the store keys accounts: lower case, without ``@``; letters, digits, ``.`` and ``_``."""
    if is_missing(value):
        return None
    _check_length(value)
    text = cell_text(value).strip().removeprefix("@").lower()
    if not _HANDLE.match(text):
        raise CellError(f"not a TikTok handle ({_short(value)}; letters, digits, '.' and '_' only)")
    return text


class LostDigits(CellError):
    """An id saved as a spreadsheet number: past 15–16 digits the digits are gone (``7.12346E+18``)."""


def numeric_id(value: object) -> str | None:
    """A numeric id (``Creator ID``) as text; a number cell is turned back into its digits.

    A number of 16 digits or more, or ``7.12346E+18`` text, lost digits when a spreadsheet saved it:
    :class:`LostDigits` (the caller leaves the id out rather than store a wrong one).
    """
    if is_missing(value):
        return None
    _check_length(value)
    if isinstance(value, bool):
        raise CellError(f"not a numeric id ({_short(value)})")
    if isinstance(value, int | float) and abs(value) >= 2**53:
        raise LostDigits(f"digits lost: saved as a number ({_short(value)})")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"not a numeric id ({_short(value)})")
        value = int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d(?:[.,]\d+)?[eE]\+?\d{1,2}", text):
        raise LostDigits(f"digits lost: saved as a number ({_short(value)})")
    if not re.fullmatch(r"\d{1,32}", text):
        raise CellError(f"not a numeric id ({_short(value)})")
    return text


def text(value: object) -> str | None:
    """Free text (a display name, a product name), kept as it is: never evaluated, whatever it starts with."""
    if is_missing(value):
        return None
    _check_length(value)
    return cell_text(value).strip() or None


_PLAIN_AMOUNT = re.compile(r"\d{1,12}(?:\.\d{1,6})?").fullmatch  # below MAX_MONEY
_SLOW = object()
#: Distinct values a column reader remembers (exports repeat handles, ids, small counts, durations).
CACHE_SIZE = 50_000


def _fast_count(v: str):
    return int(v) if v.isascii() and v.isdigit() and len(v) <= 12 else _SLOW  # below MAX_COUNT


def _fast_money(v: str):
    return Decimal(v) if _PLAIN_AMOUNT(v) else _SLOW


def _fast_rate(v: str):
    if v.endswith("%") and _PLAIN_AMOUNT(v[:-1]):
        return round(float(v[:-1]) / 100, 10)
    return _SLOW


def _fast_duration(v: str):
    return float(v) if v.isascii() and v.isdigit() and len(v) <= 5 else _SLOW  # below MAX_DURATION_S


_FAST = {"count": _fast_count, "money": _fast_money, "rate": _fast_rate, "duration": _fast_duration}
PARSERS = {
    "money": money,
    "count": count,
    "rate": rate,
    "duration": duration,
    "handle": handle,
    "numeric_id": numeric_id,
    "text": text,
}


def reader(kind: str, tz: ZoneInfo | None = None):
    """A function reading one column's cells as ``kind``: the parsers above, with a fast path for the plain
    text forms an export writes (``14254``, ``444.23``, ``8.33%``) and a memory of values already read.

    Answers equal those of the parser itself (the tests hold both to the same cases).
    """
    parse = (lambda v: local_time(v, tz)) if kind == "local_time" else PARSERS[kind]
    fast = _FAST.get(kind)
    cache: dict = {}

    def read(value: object):
        if fast is not None and value.__class__ is str:
            out = fast(value)
            if out is not _SLOW:
                return out
        key = (value.__class__, value)
        try:
            hit = cache.get(key, _SLOW)
        except TypeError:  # an unhashable cell: read it every time
            return parse(value)
        if hit is _SLOW:
            try:
                hit = parse(value)
            except NeedsZone:
                raise
            except CellError as exc:
                hit = _Failed(str(exc), type(exc))
            if len(cache) >= CACHE_SIZE:
                cache.clear()
            cache[key] = hit
        if hit.__class__ is _Failed:
            raise hit.kind(hit.reason)
        return hit

    return read


class _Failed:
    __slots__ = ("reason", "kind")

    def __init__(self, reason: str, kind: type[CellError]):
        self.reason, self.kind = reason, kind
