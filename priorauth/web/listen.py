"""Where and how the reviewer page listens: loopback only, and the HTTP server's limits.

Standard library only, so that the command line can read the defaults without uvicorn; the
server itself is :mod:`priorauth.web.server`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

__all__ = ["NotLoopback", "ServerLimits", "check_listen_host", "is_loopback"]


@dataclass(frozen=True)
class ServerLimits:
    """Limits of the HTTP server.

    Attributes:
        header_timeout: Seconds a connection may take to send a request's headers (counted
            from the connection, or from the end of the previous response).
        body_timeout: Seconds a request body may pause between two reads.
        body_deadline: Seconds a request body may take in all.
        keep_alive: Seconds an idle keep-alive connection stays open (uvicorn's
            ``timeout_keep_alive``).
        max_connections: Open connections and running requests above which a request gets
            503 (uvicorn's ``limit_concurrency``).
        max_waiting: Connections that may wait for their headers at once; beyond it the oldest
            is closed. ``None``: half of ``max_connections``.
        log_interval: Seconds during which a log line of one cause is written once.
    """

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    body_deadline: float = 300.0
    keep_alive: int = 5
    max_connections: int = 100
    max_waiting: int | None = None
    log_interval: float = 60.0

    @property
    def waiting_limit(self) -> int:
        return self.max_waiting if self.max_waiting is not None else max(
            1, self.max_connections // 2)


class NotLoopback(ValueError):
    """Refused to listen on an address other machines can reach."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only: ``localhost``, 127.0.0.0/8 or ::1."""
    name = host.strip()
    if name.lower() == "localhost":
        return True
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # another host name: it could resolve to anything
        return False


def check_listen_host(host: str, *, sign_in_enabled: bool = False) -> None:
    """Refuse to listen beyond this machine while the page has no sign-in.

    Raises:
        NotLoopback: ``host`` is not a loopback address and sign-in is not enabled.
    """
    if sign_in_enabled or is_loopback(host):
        return
    raise NotLoopback(f"refusing to listen on {host}: the page has no sign-in yet, so it only "
                      "listens on this machine (127.0.0.1, ::1 or localhost)")
