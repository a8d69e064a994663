"""Checks `pulumi up` makes before building anything: a registry that does not answer would
otherwise fail each image's push after its build, followed by the SDK's traceback."""

from __future__ import annotations

import socket

PROBE_SECONDS = 3.0


def registry_problem(registry_server: str) -> str | None:
    """Why host[:port] takes no connection, in one sentence; None when it does (no port: 443)."""
    host, _, port = registry_server.partition(":")
    try:
        with socket.create_connection((host, int(port or 443)), timeout=PROBE_SECONDS):
            return None
    except OSError as error:
        return f"registry {registry_server} does not answer ({error.strerror or error})"
