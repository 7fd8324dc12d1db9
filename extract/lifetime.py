"""Child processes that do not outlive their parent.

A worker killed with its parent (``kill -9`` of ``priorauth batch``, a crashed server) must not
keep reviewing for minutes holding gigabytes: on Linux each child asks the kernel for SIGKILL
when its parent dies (``PR_SET_PDEATHSIG``), and checks the parent is still the one it was
started by, in case it died before the request.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

__all__ = ["die_with_parent"]

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
