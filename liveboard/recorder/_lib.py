"""The one door to TikTokLive (an optional extra): imported on first use, never when liveboard is imported."""

from __future__ import annotations

from types import SimpleNamespace

from liveboard.errors import InputError

INSTALL_HINT = "the recorder needs the optional TikTokLive client: pip install 'liveboard[tiktok]'"


class RecorderError(InputError):
    """A recording or a replay that cannot go on (the message names the file and line, or the handle)."""


class UnknownMethod(Exception):
    """A webcast message the library has no event class for."""


class Undecodable(Exception):
    """A payload the event class could not parse (the message is the exception's class name)."""


_LIB: SimpleNamespace | None = None


def tiktoklive() -> SimpleNamespace:
    """The parts of TikTokLive the recorder uses, or :class:`RecorderError` saying how to install it."""
    global _LIB
    if _LIB is None:
        try:
            from TikTokLive import TikTokLiveClient
            from TikTokLive.client import errors
            from TikTokLive.events.custom_events import DisconnectEvent, WebsocketResponseEvent
            from TikTokLive.events.proto_events import EVENT_MAPPINGS
        except ImportError as exc:
            raise RecorderError(INSTALL_HINT) from exc
        _LIB = SimpleNamespace(
            TikTokLiveClient=TikTokLiveClient,
            EVENT_MAPPINGS=EVENT_MAPPINGS,
            WebsocketResponseEvent=WebsocketResponseEvent,
            DisconnectEvent=DisconnectEvent,
            UserOfflineError=errors.UserOfflineError,
            UserNotFoundError=errors.UserNotFoundError,
            SignatureRateLimitError=errors.SignatureRateLimitError,
        )
    return _LIB


def decode(method: str, payload: bytes) -> object:
    """A webcast message decoded with the library's own class for ``method`` (``cls().parse(payload)``)."""
    cls = tiktoklive().EVENT_MAPPINGS.get(method)
    if cls is None:
        raise UnknownMethod(method)
    try:
        return cls().parse(payload)
    except Exception as exc:  # noqa: BLE001 - betterproto raises anything on bad bytes
        raise Undecodable(type(exc).__name__) from None
