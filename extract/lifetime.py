"""Child processes that do not outlive their parent.

A worker killed with its parent (``kill -9`` of ``priorauth batch``, a crashed server) must not
keep reviewing for minutes holding gigabytes: on Linux each child asks the kernel for SIGKILL
when its parent dies (``PR_SET_PDEATHSIG``), and checks the parent is still the one it was
started by, in case it died before the request. A parsing child also sets its own memory and
CPU limits here before it reads a byte of the file (:func:`start_limited_child`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import resource
import signal
import sys

__all__ = ["die_with_parent", "start_limited_child"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> bool:
    """Have this process killed when ``parent_pid`` (its parent) dies.

    Returns:
        Whether the kernel took the request (Linux only; elsewhere ``False``).
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    done = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)
    return done


def _limit(kind: int, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard if hard != resource.RLIM_INFINITY else value))


def start_limited_child() -> tuple[dict, bytes]:
    """The start of a parsing child (``pdf_child``, ``tiff``): read one line of JSON options
    from stdin, die with the parent it names, set ``RLIMIT_AS`` and ``RLIMIT_CPU`` from them,
    then read the file's bytes (the rest of stdin). Returns (options, data)."""
    stdin = sys.stdin.buffer
    options = json.loads(stdin.readline())
    die_with_parent(options["parent_pid"])
    _limit(resource.RLIMIT_AS, options["memory_bytes"])
    _limit(resource.RLIMIT_CPU, options["cpu_seconds"])
    return options, stdin.read()
