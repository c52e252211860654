"""The SSRF guard: a webhook URL must be https and resolve only to public addresses.

Checked when an endpoint is created or its URL changed, and again before every delivery, so a
name that later resolves to a private address (DNS rebinding) is refused then.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


def refusal(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` may not receive webhooks, or None when it may."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The URL cannot be parsed."
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        return "The URL must use https."
    host = parts.hostname
    if not host:
        return "The URL has no host."
    if parts.username or parts.password:
        return "The URL must not carry credentials."
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return f"The host {host!r} does not resolve."
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            return f"The host {host!r} resolves to a non-public address ({address})."
    return None
