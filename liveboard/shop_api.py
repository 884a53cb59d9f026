"""TikTok Shop Open API client: signing, configuration, rate limits, retries, token refresh.

Why it looks like this: the API signs every call with the app secret, limits each API to 50 requests/s
per shop, answers 429/5xx/truncated bodies that are worth retrying and configuration errors that are not,
and wants the access token in a header only. This module turns all of that into two outcomes for the
caller: ``data`` (a dict) or an exception saying in one line, without any secret, what went wrong —
:class:`ShopStop` (the sync cannot go on: fix the configuration) or :class:`ShopRequestError` (this one
request failed: the rest of the sync goes on).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from liveboard.errors import LiveboardError, UserError

API_BASE = "https://open-api.tiktokglobalshop.com"
AUTH_BASE = "https://auth.tiktok-shops.com"
REFRESH_PATH = "/api/v2/token/refresh"
SHOPS_PATH = "/authorization/202309/shops"
LIMIT_PER_API = 50  # requests per second per API per app+shop (documented)
MAX_BODY = 20 * 1024 * 1024  # bytes of response body accepted

REQUIRED_ENV = ("TIKTOK_SHOP_APP_KEY", "TIKTOK_SHOP_APP_SECRET", "TIKTOK_SHOP_ACCESS_TOKEN", "TIKTOK_SHOP_CIPHER")

#: API codes that no retry can fix: the sync stops with what to change.
STOP_CODES = {
    106001: "the API refused the request signature (code 106001): check that TIKTOK_SHOP_APP_SECRET is the "
    "secret of TIKTOK_SHOP_APP_KEY",
    105005: "the access token lacks the scope data.shop_analytics.public.read (code 105005): add the scope to "
    "the app and authorize the shop again",
    36009004: "the API refused the app key, the timestamp or the shop_cipher (code 36009004{detail}): check "
    "TIKTOK_SHOP_APP_KEY, TIKTOK_SHOP_CIPHER and this machine's clock",
    36009009: "the API does not know the path {path} (code 36009009): check TIKTOK_SHOP_API_BASE ({base})",
    36009033: "this machine's IP address is not on the app's allow-list (code 36009033): add it in the app's "
    "settings in Partner Center",
    106013: "the API says shop_cipher is missing (code 106013): set TIKTOK_SHOP_CIPHER to the shop's cipher "
    "(field cipher of GET /authorization/202309/shops)",
}
CODE_EXPIRED = 105002
CODE_THROTTLED = 36009002
RETRY_STATUS = {408, 425, 429}

log = logging.getLogger("liveboard.shop_api")


class ShopStop(LiveboardError):
    """The sync cannot go on (credentials, scope, signature, allow-list): the message says what to fix."""

    exit_code = 1


class ShopConfigError(ShopStop, UserError):
    """A configuration variable is missing or unusable."""

    exit_code = 2


class ShopRequestError(LiveboardError):
    """One request failed for good (after retries, or not retryable); the rest of the sync goes on."""

    def __init__(self, endpoint: str, reason: str, live_id: str | None = None):
        self.endpoint, self.reason, self.live_id = endpoint, reason, live_id
        where = f"{endpoint}" + (f", session {live_id}" if live_id else "")
        super().__init__(f"{where}: {reason}")


class _Retry(Exception):
    """A failure worth another attempt (throttled, 5xx, timeout, dropped connection, unreadable body)."""

    def __init__(self, kind: str, detail: str = "", retry_after: float | None = None):
        self.kind, self.detail, self.retry_after = kind, detail, retry_after
        super().__init__(kind + (f" ({detail})" if detail else ""))


class _Expired(Exception):
    """The access token is expired (105002)."""


# --------------------------------------------------------------------------- signing


def sign(path: str, params: Mapping[str, object], secret: str, body: bytes = b"") -> str:
    """The ``sign`` query parameter: HMAC-SHA256 over secret + path + sorted {key}{value} + body + secret.

    ``sign`` and ``access_token`` are never part of it; values are taken raw (not URL-encoded).
    """
    text = path + "".join(f"{k}{params[k]}" for k in sorted(params) if k not in ("sign", "access_token"))
    key = secret.encode()
    return hmac.new(key, key + text.encode() + body + key, hashlib.sha256).hexdigest()


def needs_cipher(path: str) -> bool:
    """shop_cipher goes to the shop's APIs, never to /authorization/* or /seller/* (the API refuses it)."""
    return not (path.startswith("/authorization/") or path.startswith("/seller/"))


# --------------------------------------------------------------------------- secrets


class Secrets:
    """Every secret value this process holds, and :meth:`scrub` to take them out of any text."""

    _PARAM = re.compile(r"(?i)\b(sign|access_token|refresh_token|app_secret|app_key|shop_cipher)=[^&\s\"'<>]*")
    _HEX64 = re.compile(r"\b[0-9a-f]{64}\b")  # a sign

    def __init__(self, *values: str | None):
        self._values: set[str] = set()
        for v in values:
            self.add(v)

    def add(self, value: str | None) -> None:
        if value and len(value) >= 4:
            self._values.add(value)

    def scrub(self, text: object) -> str:
        out = str(text)
        for v in sorted(self._values, key=len, reverse=True):
            out = out.replace(v, "***")
        out = self._PARAM.sub(lambda m: f"{m.group(1)}=***", out)
        return self._HEX64.sub("***", out)


class _ScrubFilter(logging.Filter):
    """Rewrites httpx/httpcore log records (they carry the URL with sign and app_key) without secrets."""

    def __init__(self, secrets: Secrets):
        super().__init__("liveboard-shop-scrub")
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: drop its arguments rather than risk them
            message = str(record.msg)
        record.msg, record.args = self.secrets.scrub(message), None
        return True


_HTTP_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.connection_pool",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class ShopConfig:
    """Credentials and endpoints, from the environment only. ``repr`` never shows a secret."""

    app_key: str = field(repr=False)
    app_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    cipher: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    api_base: str = API_BASE
    auth_base: str = AUTH_BASE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ShopConfig:
        env = os.environ if environ is None else environ
        missing = [name for name in REQUIRED_ENV if not env.get(name, "").strip()]
        if missing:
            raise ShopConfigError(f"set the environment variable {', '.join(missing)} (see README: TikTok Shop API)")
        bases = {}
        for name, default in (("TIKTOK_SHOP_API_BASE", API_BASE), ("TIKTOK_SHOP_AUTH_BASE", AUTH_BASE)):
            base = (env.get(name) or default).strip().rstrip("/")
            if not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", base):
                raise ShopConfigError(f"{name}: not an http(s) address")
            bases[name] = base
        return cls(
            app_key=env["TIKTOK_SHOP_APP_KEY"].strip(),
            app_secret=env["TIKTOK_SHOP_APP_SECRET"].strip(),
            access_token=env["TIKTOK_SHOP_ACCESS_TOKEN"].strip(),
            cipher=env["TIKTOK_SHOP_CIPHER"].strip(),
            refresh_token=(env.get("TIKTOK_SHOP_REFRESH_TOKEN") or "").strip() or None,
            api_base=bases["TIKTOK_SHOP_API_BASE"],
            auth_base=bases["TIKTOK_SHOP_AUTH_BASE"],
        )


def _env_float(name: str, default: float, low: float, high: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ShopConfigError(f"{name}: {text!r} is not a number") from None
    if not low <= value <= high:
        raise ShopConfigError(f"{name}: {value:g} is outside [{low:g}, {high:g}]")
    return value


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts; wait = min(max_s, base_s × 2^(n−1)) + uniform(0, jitter_s), at least Retry-After."""

    attempts: int = 5
    base_s: float = 1.0
    max_s: float = 30.0
    jitter_s: float = 1.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """``LIVEBOARD_SHOP_BACKOFF_S`` (base wait, jitter scales with it) and ``LIVEBOARD_SHOP_ATTEMPTS``."""
        base = _env_float("LIVEBOARD_SHOP_BACKOFF_S", 1.0, 0.0, 60.0)
        attempts = int(_env_float("LIVEBOARD_SHOP_ATTEMPTS", 5, 1, 20))
        return cls(attempts=attempts, base_s=base, max_s=max(base * 30, base), jitter_s=base)

    def wait(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        backoff = min(self.max_s, self.base_s * 2 ** (attempt - 1))
        wait = backoff + (rng or random).uniform(0, self.jitter_s)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_s))
        return wait


# --------------------------------------------------------------------------- rate limiting


class TokenBucket:
    """Client-side limit for one API: ``rate`` requests/s with bursts of ``burst``.

    In any one-second window at most ``burst + rate`` requests leave, so ``rate + burst <= 50`` keeps a
    sliding-window server limit of 50/s; waiters are served in order. A 429 halves the rate (another
    process may share the shop's quota); answers win it back.
    """

    def __init__(self, rate: float, burst: int = 1, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, max(1, burst), clock
        self.max_rate = rate
        self.tokens, self.stamp = float(self.burst), clock()
        self._slowed = -1e9
        self._lock = asyncio.Lock()

    def throttled(self) -> None:
        """The server said 429: halve the rate (at most once a second), whoever else shares the quota."""
        now = self.clock()
        if now - self._slowed >= 1.0:
            self.rate, self._slowed = max(1.0, self.rate / 2), now
            self.tokens = min(self.tokens, 0.0)

    def succeeded(self) -> None:
        """Win the rate back slowly (+0.5/s per answer) up to the configured one."""
        if self.rate < self.max_rate:
            self.rate = min(self.max_rate, self.rate + 0.5)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.clock()
                self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


# --------------------------------------------------------------------------- the client


@dataclass
class ClientStats:
    """What the client did, for the sync's last lines and the benchmark."""

    requests: Counter = field(default_factory=Counter)  # per API
    retries: Counter = field(default_factory=Counter)  # per reason
    waits: list[tuple[str, str, int, float]] = field(default_factory=list)  # (api, reason, attempt, seconds)
    refreshed: bool = False
    access_expires_at: int | None = None


class ShopClient:
    """Async client of the shop's APIs. Use ``async with ShopClient(config) as c: await c.get(...)``.

    - ``rate``/``burst``: per-API token bucket (default 40/s + 5: at most 45 leave in any second, under the documented 50/s with room for arrivals that a loaded network or machine bunches together);
    - ``concurrency``: requests in flight per API; ``max_in_flight``: over all APIs (1 = one at a time);
    - ``policy``: retries; ``max_body``: the largest body accepted (bytes).
    """

    def __init__(
        self,
        config: ShopConfig,
        *,
        policy: RetryPolicy | None = None,
        rate: float = 40.0,
        burst: int = 5,
        concurrency: int = 16,
        max_in_flight: int | None = None,
        max_body: int = MAX_BODY,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ):
        if not 0 < rate <= LIMIT_PER_API:
            raise ShopConfigError(f"rate: {rate:g} requests/s is outside (0, {LIMIT_PER_API}]")
        self.config, self.policy = config, policy or RetryPolicy()
        self.rate, self.burst, self.concurrency = rate, burst, max(1, concurrency)
        self.max_body, self.timeout, self.clock = max_body, timeout, clock
        self.rng = rng or random.Random()
        self.secrets = Secrets(
            config.app_secret, config.access_token, config.refresh_token, config.app_key, config.cipher
        )
        self.stats = ClientStats()
        self._token = config.access_token
        self._token_generation = 0
        self._refresh_lock = asyncio.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self.max_in_flight = max_in_flight
        self._in_flight = asyncio.Semaphore(max_in_flight) if max_in_flight else None
        self._http: httpx.AsyncClient | None = None
        self._filter = _ScrubFilter(self.secrets)

    async def __aenter__(self) -> ShopClient:
        for name in _HTTP_LOGGERS:
            logging.getLogger(name).addFilter(self._filter)
        connections = self.max_in_flight or self.concurrency * 4
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            follow_redirects=False,
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        for name in _HTTP_LOGGERS:
            logging.getLogger(name).removeFilter(self._filter)

    # ---------------------------------------------------------------- public calls

    async def get(self, api: str, path: str, params: Mapping[str, object], *, live_id: str | None = None) -> dict:
        """``data`` of a successful call (``{}`` when the API sends null); raises ShopStop / ShopRequestError."""
        for _ in range(2):  # a second pass only after a token refresh
            generation = self._token_generation
            try:
                return await self._with_retries(api, path, params, live_id)
            except _Expired:
                await self._refresh(generation)
        raise ShopStop(  # pragma: no cover - _refresh raises before a third expiry can happen
            "the access token is still refused as expired after a refresh (code 105002): authorize the shop again"
        )

    async def shops(self) -> list[dict]:
        """The authorized shops with their ``cipher`` (``GET /authorization/202309/shops``, no shop_cipher)."""
        data = await self.get("shops", SHOPS_PATH, {})
        shops = data.get("shops") or []
        return [s for s in shops if isinstance(s, dict)]

    # ---------------------------------------------------------------- machinery

    def _limits(self, api: str) -> tuple[TokenBucket, asyncio.Semaphore]:
        if api not in self._buckets:
            self._buckets[api] = TokenBucket(self.rate, self.burst)
            self._slots[api] = asyncio.Semaphore(self.concurrency)
        return self._buckets[api], self._slots[api]

    def _retrying(self, api: str) -> AsyncRetrying:
        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            retry_after = exc.retry_after if isinstance(exc, _Retry) else None
            return self.policy.wait(state.attempt_number, retry_after, self.rng)

        def note(state: RetryCallState) -> None:  # only when another attempt follows
            exc = state.outcome.exception() if state.outcome else None
            kind = exc.kind if isinstance(exc, _Retry) else type(exc).__name__
            self.stats.retries[kind] += 1
            self.stats.waits.append((api, kind, state.attempt_number, state.upcoming_sleep))

        return AsyncRetrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=wait,
            retry=retry_if_exception_type(_Retry),
            before_sleep=note,
            reraise=True,
        )

    async def _with_retries(self, api: str, path: str, params: Mapping[str, object], live_id: str | None) -> dict:
        try:
            async for attempt in self._retrying(api):
                with attempt:
                    data = await self._once(api, path, params, live_id)
            return data
        except _Retry as exc:
            reason = f"{exc} after {self.policy.attempts} attempt(s)"
            raise ShopRequestError(endpoint_name(path, live_id), self.secrets.scrub(reason), live_id) from None

    async def _once(self, api: str, path: str, params: Mapping[str, object], live_id: str | None) -> dict:
        bucket, slot = self._limits(api)
        async with slot:
            if self._in_flight is not None:
                await self._in_flight.acquire()
            try:
                await bucket.acquire()
                query: dict[str, object] = {"app_key": self.config.app_key, "timestamp": int(self.clock())}
                if needs_cipher(path):
                    query["shop_cipher"] = self.config.cipher
                query.update({k: v for k, v in params.items() if v is not None})
                query["sign"] = sign(path, query, self.config.app_secret)
                headers = {"x-tts-access-token": self._token, "content-type": "application/json"}
                self.stats.requests[api] += 1
                status, body, retry_after = await self._send(self.config.api_base + path, query, headers)
            except _TooLarge as exc:
                raise ShopRequestError(
                    endpoint_name(path, live_id), _too_large(exc.size, self.max_body), live_id
                ) from None
            finally:
                if self._in_flight is not None:
                    self._in_flight.release()
        try:
            data = self._read(path, live_id, status, body, retry_after)
        except _Retry as exc:
            if exc.kind == "throttled":
                bucket.throttled()
            raise
        bucket.succeeded()
        return data

    async def _send(self, url: str, query: dict, headers: dict) -> tuple[int, bytes, float | None]:
        assert self._http is not None, "use `async with ShopClient(...)`"
        try:
            async with self._http.stream("GET", url, params=query, headers=headers) as resp:
                length = resp.headers.get("content-length", "")
                if length.isdigit() and int(length) > self.max_body:
                    raise _TooLarge(int(length))
                chunks, size = [], 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_body:
                        raise _TooLarge(size)
                    chunks.append(chunk)
                return resp.status_code, b"".join(chunks), _retry_after(resp.headers.get("retry-after"))
        except httpx.TimeoutException:
            raise _Retry("timeout") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise _Retry("connection dropped", type(exc).__name__) from None
        except httpx.TransportError as exc:  # connect errors and the like
            raise _Retry("connection error", type(exc).__name__) from None

    def _read(self, path: str, live_id: str | None, status: int, body: bytes, retry_after: float | None) -> dict:
        endpoint = endpoint_name(path, live_id)
        try:
            envelope = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            envelope = None
        if not isinstance(envelope, dict) or isinstance(envelope.get("code"), bool):
            envelope = None
        code = envelope.get("code") if envelope else None
        if envelope is not None and not isinstance(code, int):
            envelope, code = None, None
        message = self.secrets.scrub(str(envelope.get("message") or "")[:200]) if envelope else ""
        if status == 429 or code == CODE_THROTTLED:
            raise _Retry("throttled", f"HTTP {status}" + (f" code {code}" if code is not None else ""), retry_after)
        if code in STOP_CODES:
            detail = f": {message}" if message and code == 36009004 else ""
            raise ShopStop(STOP_CODES[code].format(detail=detail, path=path, base=self.config.api_base))
        if code == CODE_EXPIRED:
            raise _Expired()
        if status >= 500 or status in RETRY_STATUS:
            raise _Retry(f"HTTP {status}" + (f" code {code}" if code is not None else ""), message)
        if envelope is None:
            if status == 200:
                kind = "unreadable body" if body else "empty body"
                raise _Retry(kind, f"{len(body):,} bytes, not a JSON envelope")
            raise ShopRequestError(endpoint, f"HTTP {status} without a JSON envelope", live_id)
        if code != 0 or status != 200:
            raise ShopRequestError(endpoint, f"HTTP {status} code {code}: {message or 'no message'}", live_id)
        data = envelope.get("data")
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ShopRequestError(endpoint, f"field data: an object was expected, got {type(data).__name__}", live_id)
        return data

    async def _refresh(self, generation: int) -> None:
        """Refresh the access token once per sync (tasks that saw the old token wait for the new one)."""
        async with self._refresh_lock:
            if self._token_generation != generation:
                return  # another task refreshed meanwhile
            if self.stats.refreshed:
                raise ShopStop(
                    "the access token is refused as expired even after a refresh (code 105002): authorize the "
                    "shop again and set TIKTOK_SHOP_ACCESS_TOKEN and TIKTOK_SHOP_REFRESH_TOKEN"
                )
            if not self.config.refresh_token:
                raise ShopStop(
                    "the access token has expired (code 105002): set TIKTOK_SHOP_REFRESH_TOKEN to refresh it "
                    "automatically, or set a new TIKTOK_SHOP_ACCESS_TOKEN"
                )
            data = await self._refresh_call()
            token = data.get("access_token")
            if not isinstance(token, str) or not token:
                raise ShopStop("the token refresh answered without an access_token: authorize the shop again")
            self.secrets.add(token)
            self.secrets.add(data.get("refresh_token") if isinstance(data.get("refresh_token"), str) else None)
            expires = data.get("access_token_expire_in")
            self.stats.access_expires_at = (
                int(expires) if isinstance(expires, int | str) and str(expires).isdigit() else None
            )
            self._token = token
            self._token_generation += 1
            self.stats.refreshed = True
            log.info("access token refreshed")

    async def _refresh_call(self) -> dict:
        """GET {auth base}/api/v2/token/refresh — not signed; app_secret and refresh_token ride in the query."""
        assert self._http is not None
        query = {
            "app_key": self.config.app_key,
            "app_secret": self.config.app_secret,
            "refresh_token": self.config.refresh_token,
            "grant_type": "refresh_token",
        }
        try:
            async for attempt in self._retrying("token"):
                with attempt:
                    bucket, _ = self._limits("token")
                    await bucket.acquire()
                    self.stats.requests["token"] += 1
                    try:
                        status, body, retry_after = await self._send(
                            self.config.auth_base + REFRESH_PATH, query, {"content-type": "application/json"}
                        )
                        return self._read(REFRESH_PATH, None, status, body, retry_after)
                    except (ShopRequestError, _Expired, ShopStop, _TooLarge) as exc:
                        reason = {
                            ShopRequestError: lambda e: e.reason,
                            _TooLarge: lambda e: _too_large(e.size, self.max_body),
                            _Expired: lambda e: "refresh token expired",
                        }.get(type(exc), str)(exc)
                        raise ShopStop(
                            f"the token refresh failed ({self.secrets.scrub(reason)}): authorize the shop again and "
                            "set TIKTOK_SHOP_ACCESS_TOKEN and TIKTOK_SHOP_REFRESH_TOKEN"
                        ) from None
        except _Retry as exc:
            raise ShopStop(
                f"the token refresh failed ({exc} after {self.policy.attempts} attempt(s)): try again later"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover


class _TooLarge(Exception):
    def __init__(self, size: int):
        self.size = size


def _too_large(size: int, cap: int) -> str:
    return f"the body is larger than {cap / 2**20:g} MB ({size:,} bytes or more): not read"


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def endpoint_name(path: str, live_id: str | None) -> str:
    """A path as users read it: the live id replaced by {live_id} (it is named separately)."""
    return path.replace(live_id, "{live_id}") if live_id else path
