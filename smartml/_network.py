"""Where a network endpoint is: ``host:port`` parsing, and whether it is on this machine
(a fake or an emulator, reached in plaintext with anonymous credentials; the only place
smartml may reach when it is offline)."""

from __future__ import annotations

import ipaddress


def split_host(endpoint: str) -> str:
    """The host part of ``host:port``, ``[v6]:port``, or a bare host."""
    if endpoint.startswith("["):
        return endpoint[1 : endpoint.find("]")]
    return endpoint.rsplit(":", 1)[0] if endpoint.count(":") == 1 else endpoint


def is_loopback(endpoint: str) -> bool:
    """Whether ``endpoint`` is on this machine (127.0.0.0/8, ``localhost``, ``::1``)."""
    host = split_host(endpoint.strip()).lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host(url: str) -> str:
    """The host of an http(s) URL (``""`` when it has none)."""
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or ""
