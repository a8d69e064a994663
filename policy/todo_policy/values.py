"""Reading resource properties as the analyzer hands them over, and writing one violation message.

pulumi-policy wraps properties in proxies that raise on a value not known during preview (an image
digest before the push, a generated password); `plain` turns them into dicts and lists with
`UNKNOWN` in those places, so a rule decides itself what an unknown value means.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

_SENTINELS = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)


class _Unknown:
    """A value computed by another resource and not known yet (during preview)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()
# A key absent from the values: the chart's default applies (a key set to null deletes that default).
MISSING: Final = object()


def plain(value: Any) -> Any:
    """The value as plain dicts, lists and scalars, with UNKNOWN where preview does not know it."""
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in value:
            try:
                result[str(key)] = plain(value[key])
            except UnknownValueError:
                result[str(key)] = UNKNOWN
        return result
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def get(tree: Any, path: str) -> Any:
    """The value at a dotted path, MISSING where a key is absent, UNKNOWN below an unknown value."""
    node = tree
    for key in path.split("."):
        if node is UNKNOWN:
            return UNKNOWN
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node


def walk(tree: Any, prefix: str) -> Iterator[tuple[str, str, Any]]:
    """Every leaf below `tree` as (dotted path, last key, value), keys in sorted order (the engine's
    maps have none of their own); list items are `path[i]`."""
    if isinstance(tree, dict):
        for key, value in sorted(tree.items()):
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict | list):
                yield from walk(value, path)
            else:
                yield path, key, value
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            path = f"{prefix}[{index}]"
            key = prefix.rsplit(".", 1)[-1]
            if isinstance(value, dict | list):
                yield from walk(value, path)
            else:
                yield path, key, value


def shown(value: Any) -> str:
    """A non-secret value as a reviewer reads it in a message (repr escapes control characters)."""
    if value is MISSING:
        return "not set"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    # Numbers cross the engine's gRPC boundary as floats: 2.0 is the 2 the user wrote.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


# Key names that hold a credential (matched case-insensitively against the end of the key):
# `mcpToken`, `jwtSecret`, `password`, `apiKey`; not `existingSecret`, `tlsSecret` or `pullSecrets`,
# which name a Secret.
CREDENTIAL_KEY = re.compile(
    r"(password|passwd|passphrase|token|api[-_]?key|secret[-_]?key|private[-_]?key|client[-_]?secret"
    r"|jwt[-_]?secret|access[-_]?key|credentials?)$",
    re.IGNORECASE,
)
# A URL with a password in its user info: scheme://user:password@host.
URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One violation: where (the value path), what is wrong, and how to fix it."""

    where: str
    problem: str
    fix: str

    def message(self, resource: str) -> str:
        return f"{resource}: {self.where} {self.problem} Fix: {self.fix}"
