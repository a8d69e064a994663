"""scripts/lib/up_timings.py, which scripts/up prints its phase timings with: over generated runs,
the images phase lasts as long as its slowest build, every step that did work is named, idle steps
are not, and no event log (cut short, foreign lines, nothing at all) makes it fail."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
from types import ModuleType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.program.harness import REPO


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("up_timings", REPO / "scripts/lib/up_timings.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


TIMINGS = _module()
IMAGE = "docker:index/image:Image"
OPS = ("create", "update", "replace", "same", "read")


def _event(stamp: int, kind: str, name: str, type_: str, op: str) -> dict[str, Any]:
    urn = f"urn:pulumi:dev::todo-chatbot::todo:index:Images${type_}::{name}"
    return {"sequence": 0, "timestamp": stamp, kind: {"metadata": {"op": op, "urn": urn, "type": type_}}}


steps = st.lists(
    st.tuples(
        st.sampled_from(("images-backend", "images-mcp", "images-frontend", "release", "app-secret")),
        st.sampled_from(OPS),
        st.integers(0, 300),  # start, seconds after the run began
        st.integers(0, 400),  # duration
    ),
    unique_by=lambda step: step[0],
    max_size=5,
)


def _log(run: list[tuple[str, str, int, int]]) -> list[dict[str, Any]]:
    types = {"release": TIMINGS.RELEASE_TYPE, "app-secret": "kubernetes:core/v1:Secret"}
    events: list[dict[str, Any]] = [{"sequence": 0, "timestamp": 1_000, "preludeEvent": {}}]
    for name, op, start, seconds in run:
        type_ = types.get(name, IMAGE)
        events.append(_event(1_000 + start, "resourcePreEvent", name, type_, op))
        events.append(_event(1_000 + start + seconds, "resOutputsEvent", name, type_, op))
    events.sort(key=lambda event: event["timestamp"])
    return events


@given(steps)
def test_each_phase_is_its_steps_time_and_idle_steps_are_left_out(
    run: list[tuple[str, str, int, int]],
) -> None:
    line = TIMINGS.summary(_log(run))
    working = [step for step in run if step[1] not in ("same", "read")]
    wall = max([0] + [start + seconds for _, _, start, seconds in run])
    assert line.startswith(TIMINGS.duration(wall))
    if not working:
        assert line.endswith("nothing changed")
        return
    images = [seconds for name, _, _, seconds in working if name.startswith("images-")]
    if images:
        assert f"images {TIMINGS.duration(max(images))} (" in line
    for name, _, _, seconds in working:
        if name.startswith("images-"):
            assert f"{name} {TIMINGS.duration(seconds)}" in line
        elif name == "release":
            assert f"release {TIMINGS.duration(seconds)}" in line
    for name, op, *_ in run:
        if op in ("same", "read"):
            assert f"{name} " not in line


def test_a_cold_deploy_reads_as_phases() -> None:
    run = [
        ("images-backend", "create", 2, 95),
        ("images-frontend", "create", 2, 130),
        ("app-secret", "create", 3, 1),
        ("release", "create", 133, 61),
    ]
    assert TIMINGS.summary(_log(run)) == (
        "3m14s: images 2m10s (images-frontend 2m10s, images-backend 1m35s; built and pushed side by side), "
        "release 1m01s (create: chart, migration hook, rollout), 1 other step"
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
# Events of the right shape with any values in them, foreign JSON and broken lines.
malformed_events = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": json_values,
        "resourcePreEvent": json_values | st.fixed_dictionaries({"metadata": json_values}),
        "resOutputsEvent": json_values | st.fixed_dictionaries({"metadata": json_values}),
        "resOpFailedEvent": json_values,
    },
)
lines = st.lists(st.text(max_size=40) | st.builds(json.dumps, json_values | malformed_events))


@given(lines)
def test_no_log_makes_it_fail(log: list[str]) -> None:
    stdin, out = sys.stdin, io.StringIO()
    sys.stdin = io.StringIO("\n".join(line.replace("\n", " ") for line in log))
    try:
        with contextlib.redirect_stdout(out):
            assert TIMINGS.main() == 0
    finally:
        sys.stdin = stdin
    assert out.getvalue().strip()
