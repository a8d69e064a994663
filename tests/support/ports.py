"""Free loopback ports for test servers: the one implementation every layer uses.

Each layer owns a range (PostgreSQL 15400-15499, MCP/agent/chat 15500-15599, images' containers,
the live tier's port-forwards), so parallel test runs rarely meet; within this process a port is
never handed out twice while others are left, since a server told to use one may not have bound it
yet.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Sequence

_handed_out: set[int] = set()


class NoFreePort(RuntimeError):
    """Every port of the range is taken."""


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(candidates: Sequence[int]) -> int:
    """A loopback port from ``candidates`` that nobody listens on, searched from a start that differs
    per process, preferring ports this process has not handed out yet."""
    ports = list(candidates)
    if not ports:
        raise NoFreePort("no candidate ports given")
    start = (os.getpid() * 7 + time.monotonic_ns()) % len(ports)
    ordered = ports[start:] + ports[:start]
    fresh = [port for port in ordered if port not in _handed_out]
    for port in [*fresh, *(p for p in ordered if p in _handed_out)]:
        if _bindable(port):
            _handed_out.add(port)
            return port
    raise NoFreePort(f"no free loopback port in {ports[0]}-{ports[-1]}")
