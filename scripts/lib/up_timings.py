"""Where a `pulumi up` spent its time, read from the CLI's own per-resource lines (stdlib only).

  up_timings.py < pulumi-up-output.txt    one line: the phases that did work and how long each took

The CLI's progress output ends each step with its duration, e.g.
` +  docker:index:Image images-backend created (95s)` (the type as its display name, see
display_name; under a second: `(0.57s)`). (The pinned CLI has no event log:
`--event-log` is gone from v3.274, and its OpenTelemetry spans carry no resource steps.)
Images build side by side, so that phase lasts as long as the slowest; the release's time includes
Helm's wait for the rollout and the migration hook (the chart is installed atomically).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass

IMAGE_TYPES = frozenset({"docker:index/image:Image", "docker-build:index:Image"})
RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
STACK_TYPE = "pulumi:pulumi:Stack"
# A finished step: [type] name, what was done, (N.Ns). Terminal colour codes are dropped first.
_STEP = re.compile(
    r"(?:(?P<type>[\w.-]+:[\w./-]*:[\w./-]+)\s+)?(?P<name>[\w.$:/-]+)\s+"
    r"(?P<op>created|updated|replaced|deleted|created replacement|deleted original)\s+"
    r"\((?:(?P<hours>[0-9]+)h)?(?:(?P<minutes>[0-9]+)m)?(?P<seconds>[0-9]+(?:\.[0-9]+)?)s\)"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def display_name(token: str) -> str:
    """A type as the CLI prints it (tokens.Type.DisplayName): `pkg:mod/file:Name` loses `/file` when
    file is Name in camelCase, so `docker:index/image:Image` reads `docker:index:Image`."""
    parts = token.split(":")
    if len(parts) != 3 or not parts[2] or "/" not in parts[1]:
        return token
    package, module, name = parts
    head, _, file = module.rpartition("/")
    return f"{package}:{head}:{name}" if file == name[:1].lower() + name[1:] else token


@dataclass(frozen=True)
class Step:
    name: str
    type: str
    op: str
    seconds: float


def steps(lines: Iterable[str]) -> list[Step]:
    """The finished steps the output names, once each (the last line for a resource wins)."""
    found: dict[str, Step] = {}
    for line in lines:
        match = _STEP.search(_ANSI.sub("", line))
        if match:
            name = match["name"]
            # Go's time.Duration text, as the CLI prints it: 0.01s, 12s, 1m35s, 1h2m3s.
            seconds = int(match["hours"] or 0) * 3600 + int(match["minutes"] or 0) * 60
            found[name] = Step(name, match["type"] or "", match["op"], seconds + float(match["seconds"]))
    return list(found.values())


def _is_image(step: Step) -> bool:
    images = {display_name(t) for t in IMAGE_TYPES}
    return display_name(step.type) in images or (not step.type and step.name.startswith("images-"))


def _is_release(step: Step) -> bool:
    release = display_name(RELEASE_TYPE)
    return display_name(step.type) == release or (not step.type and step.name.endswith("-chart"))


def _is_whole(step: Step) -> bool:
    """The stack and the program's components: their time spans their children's, counted already."""
    return step.type == STACK_TYPE or step.type.startswith("todo:")


def phases(work: list[Step]) -> dict[str, float]:
    """Seconds per phase: images (the slowest, they run side by side), release, everything else."""
    work = [step for step in work if not _is_whole(step)]
    return {
        "images_build_and_push": max((s.seconds for s in work if _is_image(s)), default=0.0),
        "release_install_and_rollout": sum(s.seconds for s in work if _is_release(s)),
        "other": sum(s.seconds for s in work if not _is_image(s) and not _is_release(s)),
    }


def duration(seconds: float) -> str:
    whole = round(max(seconds, 0.0))
    minutes, rest = divmod(whole, 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def summary(lines: Iterable[str]) -> str:
    work = [step for step in steps(lines) if not _is_whole(step)]
    if not work:
        return "no resource changed"
    took = phases(work)
    images = sorted((s for s in work if _is_image(s)), key=lambda s: -s.seconds)
    releases = [s for s in work if _is_release(s)]
    others = len(work) - len(images) - len(releases)
    parts = []
    if images:
        each = ", ".join(f"{s.name} {duration(s.seconds)}" for s in images)
        slowest = duration(took["images_build_and_push"])
        parts.append(f"images {slowest} ({each}; built and pushed side by side)")
    for release in releases:
        parts.append(f"release {duration(release.seconds)} ({release.op}: chart, migration hook, rollout)")
    if others:
        parts.append(f"{others} other step{'s' if others > 1 else ''}")
    return ", ".join(parts)


def main() -> int:
    print(summary(sys.stdin))
    return 0


if __name__ == "__main__":
    sys.exit(main())
