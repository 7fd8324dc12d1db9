"""The reviewer page under uvicorn, with limits: loopback only, timeouts, a connection limit.

* :func:`check_listen_host`: the page has no sign-in yet, so it listens on this machine only
  (127.0.0.0/8, ::1, ``localhost``). A future sign-in feature passes ``sign_in_enabled``.
* :class:`GuardedH11Protocol`: uvicorn's h11 protocol has a keep-alive timeout but none for a
  request's headers or body, so a client that opens connections and never finishes its
  headers (slowloris) holds them for ever. Here a timer starts when a connection opens (and
  again when it waits for its next request) and is cancelled once the request's headers are
  complete; a request body must keep arriving (``body_timeout`` between two reads, while the
  app is reading) and end within ``body_deadline``. When more than ``max_waiting``
  connections wait for headers, the oldest of them is closed, so that such connections cannot
  fill the connection limit (``limit_concurrency``: a request beyond it gets 503).
* :class:`RateLimitFilter`: one log line per cause per interval (with the count of the lines
  it held back), a traceback turned into one line naming the exception type and where it was
  raised (never its message, which may quote a chart).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import traceback
from typing import Any, ClassVar

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from priorauth.web.listen import NotLoopback, ServerLimits, check_listen_host, is_loopback

__all__ = ["GuardedH11Protocol", "NotLoopback", "RateLimitFilter", "ServerLimits",
           "check_listen_host", "install_log_limits", "is_loopback", "make_config",
           "protocol_class"]

log = logging.getLogger("priorauth.web.server")

#: Loggers whose lines are rate-limited: uvicorn's own (per connection and per request
#: warnings, tracebacks), asyncio's (accept errors when out of file descriptors), ours.
LIMITED_LOGGERS = ("uvicorn.error", "asyncio", "priorauth.web.server")


# ---- logs ----------------------------------------------------------------------------------

class RateLimitFilter(logging.Filter):
    """Let one record per cause through per ``interval`` seconds.

    The cause is the logger, the message template and the exception type. The next record of
    a cause after its interval says how many were held back. Tracebacks become one line.
    """

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str, str], list[float | int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        key = (record.name, str(record.msg), exc_type)
        clock = time.monotonic()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and clock - seen[0] < self.interval:
                seen[1] += 1
                return False
            held_back = int(seen[1]) if seen is not None else 0
            self._seen[key] = [clock, 0]
        message = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            frames = traceback.extract_tb(record.exc_info[2]) if record.exc_info[2] else []
            where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" \
                if frames else ""
            message = f"{message} [{exc_type}{where}]"
            record.exc_info = None
            record.exc_text = None
        if held_back:
            message = f"{message} ({held_back} more like this in the last " \
                      f"{self.interval:g} s not logged)"
        record.msg, record.args = message, None
        return True


def install_log_limits(interval: float) -> RateLimitFilter:
    """Rate-limit :data:`LIMITED_LOGGERS` (replacing an earlier filter of this kind)."""
    limiter = RateLimitFilter(interval)
    for name in LIMITED_LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, RateLimitFilter)]:
            logger.removeFilter(old)
        logger.addFilter(limiter)
    return limiter


# ---- the protocol --------------------------------------------------------------------------

class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with header and body timeouts (see the module docstring).

    Use :func:`protocol_class` to get one bound to a :class:`ServerLimits`.
    """

    limits: ClassVar[ServerLimits] = ServerLimits()
    # Connections waiting for their headers, oldest first (an ordered set), per server.
    waiting: ClassVar[dict[GuardedH11Protocol, None]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_started = 0.0
        self._body_last = 0.0

    # connection life -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._after_events(data_arrived=True)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._after_events(data_arrived=False)

    # timers ------------------------------------------------------------------------------------

    def _after_events(self, *, data_arrived: bool) -> None:
        """Set the timers for where the client now is in its request."""
        if self.transport.is_closing():
            self._stop_timers()
            return
        state = self.conn.their_state
        if state is h11.IDLE:  # waiting for (the rest of) a request's headers
            self._cancel_body_timer()
            self._await_headers()
            return
        self._headers_done()
        if state is h11.SEND_BODY:
            now = self.loop.time()
            if self._body_timer is None:
                self._body_started = self._body_last = now
                self._body_timer = self.loop.call_later(self.limits.body_timeout,
                                                        self._check_body)
            elif data_arrived:
                self._body_last = now
        else:
            self._cancel_body_timer()

    def _await_headers(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.limits.header_timeout,
                                                      self._header_timed_out)
        waiting = type(self).waiting
        waiting[self] = None
        limit = self.limits.waiting_limit
        while len(waiting) > limit:
            oldest = next(iter(waiting))
            oldest._close("closed the oldest connection still waiting for request headers: "
                          f"more than {limit} connections were waiting")

    def _headers_done(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        type(self).waiting.pop(self, None)

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _stop_timers(self) -> None:
        self._headers_done()
        self._cancel_body_timer()

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE:
            self._close(f"closed a connection that sent no complete request headers within "
                        f"{self.limits.header_timeout:g} s")

    def _check_body(self) -> None:
        self._body_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
            return
        now = self.loop.time()
        if self.flow.read_paused:  # the app is not reading yet: not the client's delay
            self._body_last = now
        limits = self.limits
        if now - self._body_started >= limits.body_deadline:
            self._close(f"closed a connection whose request body took over "
                        f"{limits.body_deadline:g} s")
        elif now - self._body_last >= limits.body_timeout:
            self._close(f"closed a connection whose request body stalled for "
                        f"{limits.body_timeout:g} s")
        else:
            due = min(self._body_last + limits.body_timeout,
                      self._body_started + limits.body_deadline)
            self._body_timer = self.loop.call_at(due, self._check_body)

    def _close(self, cause: str) -> None:
        self._stop_timers()
        if not self.transport.is_closing():
            log.warning(cause)
            self.transport.close()


def protocol_class(limits: ServerLimits) -> type[GuardedH11Protocol]:
    """A :class:`GuardedH11Protocol` subclass bound to ``limits``, with its own set of waiting
    connections (one per server)."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits, "waiting": {}})


def make_config(app: Any, *, host: str, port: int, limits: ServerLimits,
                log_level: str = "info") -> uvicorn.Config:
    """uvicorn's configuration for the reviewer page, with :class:`ServerLimits` applied and the
    log rate limit installed (after uvicorn has configured its loggers)."""
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level,
                            server_header=False, http=protocol_class(limits), ws="none",
                            limit_concurrency=limits.max_connections,
                            timeout_keep_alive=limits.keep_alive,
                            timeout_graceful_shutdown=5)
    install_log_limits(limits.log_interval)
    return config
