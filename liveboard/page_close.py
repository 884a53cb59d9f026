"""A closed tab shuts its kernel down at once, instead of holding it (and a place under the kernel cap) until culled.

On ``beforeunload`` Voilà 0.5.13's page posts ``voila/api/shutdown/<kernel>`` with the ``_xsrf`` value it reads
from its cookie, but nothing on the way to the page ever sets that cookie, so every shutdown gets "403: '_xsrf'
argument missing from POST" (upstream voila-dashboards/voila#1458, open). Tornado sets the cookie when a
handler first reads ``xsrf_token``; jupyter_server asks the identity provider for the user at the start of every
request, so this provider reads it there for page views. The XSRF check itself stays on.

``liveboard serve`` runs Voilà with ``--Voila.identity_provider_class`` set to :class:`XsrfCookieIdentityProvider`.
"""

from __future__ import annotations

import inspect

from jupyter_server.auth.identity import PasswordIdentityProvider


class XsrfCookieIdentityProvider(PasswordIdentityProvider):
    """Voilà's default identity provider, plus the ``_xsrf`` cookie on every page view."""

    async def get_user(self, handler):  # noqa: ANN001, ANN201 - jupyter_server's signature
        user = super().get_user(handler)
        if inspect.isawaitable(user):
            user = await user
        request = handler.request
        if request.method == "GET" and request.headers.get("Upgrade", "").lower() != "websocket":
            handler.current_user = user  # tornado's xsrf_token reads it (jupyter_server sets it after us)
            handler.xsrf_token  # noqa: B018 - reading it sets the cookie
        return user
