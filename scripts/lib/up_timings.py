"""Where a `pulumi up` spent its time, from the engine's event log (stdlib only, like stack_state.py).

  up_timings.py < events.jsonl     one line: the wall time, then each phase that changed something
                                   (images: each Image's build and push; release: the Helm upgrade,
                                   its migration hook and the rollout it waits for; other steps)

The log is `pulumi up --event-log FILE`: one engine event per line, each with a `timestamp` (Unix
seconds) and one kind of event. A step runs from its resourcePreEvent to its resOutputsEvent (or
resOpFailedEvent); steps whose op is `same` or `read` took no work and are left out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

IMAGE_TYPES = frozenset({"docker:index/image:Image", "docker-build:index:Image"})
RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
IDLE_OPS = frozenset({"same", "read", "refresh"})


@dataclass(frozen=True)
class Step:
    name: str
    type: str
    op: str
    seconds: int


def _metadata(part: object) -> dict[str, str]:
    """A step event's metadata with its string fields; {} for anything else."""
    metadata = part.get("metadata") if isinstance(part, dict) else None
    if not isinstance(metadata, dict):
        return {}
    return {key: value for key, value in metadata.items() if isinstance(value, str)}


def steps(events: Iterable[dict[str, Any]]) -> tuple[list[Step], int]:
    """The steps that did work, in the order they started, and the run's wall time in seconds."""
    started: dict[str, tuple[int, dict[str, str]]] = {}
    done: list[tuple[int, Step]] = []
    stamps: list[int] = []
    for event in events:
        stamp = event.get("timestamp")
        stamp = stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else 0
        if stamp:
            stamps.append(stamp)
        pre = _metadata(event.get("resourcePreEvent"))
        if pre.get("urn") and pre.get("op") not in IDLE_OPS:
            started[pre["urn"]] = (stamp, pre)
        end = _metadata(event.get("resOutputsEvent")) or _metadata(event.get("resOpFailedEvent"))
        urn = end.get("urn", "")
        if urn in started:
            begin, metadata = started.pop(urn)
            name = urn.rsplit("::", 1)[-1]
            done.append((begin, Step(name, metadata.get("type", ""), metadata.get("op", ""), stamp - begin)))
    wall = max(stamps) - min(stamps) if stamps else 0
    return [step for _, step in sorted(done, key=lambda pair: pair[0])], wall


def duration(seconds: int) -> str:
    minutes, rest = divmod(max(seconds, 0), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def phases(work: list[Step]) -> dict[str, int]:
    """Seconds per phase. The images build side by side, so that phase lasts as long as the slowest;
    the release's time includes Helm's wait for the rollout (the chart is installed atomically)."""
    return {
        "images_build_and_push": max((s.seconds for s in work if s.type in IMAGE_TYPES), default=0),
        "release_install_and_rollout": sum(s.seconds for s in work if s.type == RELEASE_TYPE),
        "other": sum(s.seconds for s in work if s.type not in IMAGE_TYPES and s.type != RELEASE_TYPE),
    }


def summary(events: Iterable[dict[str, Any]]) -> str:
    work, wall = steps(events)
    if not work:
        return f"{duration(wall)}; nothing changed"
    took = phases(work)
    images = sorted((s for s in work if s.type in IMAGE_TYPES), key=lambda s: -s.seconds)
    releases = [s for s in work if s.type == RELEASE_TYPE]
    others = len(work) - len(images) - len(releases)
    parts = []
    if images:
        each = ", ".join(f"{s.name} {duration(s.seconds)}" for s in images)
        parts.append(
            f"images {duration(took['images_build_and_push'])} ({each}; built and pushed side by side)"
        )
    for release in releases:
        parts.append(f"release {duration(release.seconds)} ({release.op}: chart, migration hook, rollout)")
    if others:
        parts.append(f"{others} other step{'s' if others > 1 else ''}")
    return f"{duration(wall)}: " + ", ".join(parts)


def read(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The events of a log; a line cut short by an interrupted run, or not an event, is skipped."""
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def main() -> int:
    print(summary(read(sys.stdin)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
