"""scripts/lib/stack_state.py, which scripts/up's recovery from an interrupted run reads the stack's
state with: over generated states, it reports every unfinished operation and every Helm release
once, edits only the release it is asked to, and dates a Helm record by the last update exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.support.scripts import load_script

STATE = load_script("scripts/lib/stack_state.py")
TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:core/v1:Secret", "docker:index/image:Image")
OPERATIONS = ("creating", "updating", "deleting", "reading")
names = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)


@st.composite
def resources(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(TYPES))
    name, namespace = draw(names), draw(names)
    urn = f"urn:pulumi:dev::todo-chatbot::todo:index:X${kind}::{draw(names)}"
    if kind == TYPES[0]:
        inputs: dict[str, Any] = {"name": name, "namespace": namespace}
        outputs: dict[str, Any] = {"status": {"status": draw(st.sampled_from(("deployed", "failed")))}}
    else:
        inputs, outputs = {"metadata": {"name": name, "namespace": namespace}}, {}
    return {"urn": urn, "type": kind, "inputs": inputs, "outputs": outputs}


@st.composite
def states(draw: st.DrawFn) -> dict[str, Any]:
    done = draw(st.lists(resources(), max_size=6, unique_by=lambda r: r["urn"]))
    pending = [
        {"type": draw(st.sampled_from(OPERATIONS)), "resource": resource}
        for resource in draw(st.lists(resources(), max_size=4, unique_by=lambda r: r["urn"]))
    ]
    return {"version": 3, "deployment": {"resources": done, "pending_operations": pending}}


@given(states())
def test_every_unfinished_operation_and_every_release_is_reported_once(state: dict[str, Any]) -> None:
    lines = [line.split("\t") for line in STATE.report(state)]
    pending = state["deployment"]["pending_operations"]
    reported = [fields for fields in lines if fields[0] == "pending"]
    assert sorted((f[1], f[2]) for f in reported) == sorted(
        (op["type"], op["resource"]["urn"]) for op in pending
    )
    every = state["deployment"]["resources"] + [op["resource"] for op in pending]
    releases = {r["urn"] for r in every if r["type"] == TYPES[0]}
    assert sorted(f[1] for f in lines if f[0] == "release") == sorted(releases)
    for fields in lines:
        assert all("\t" not in field and "\n" not in field for field in fields)


@given(states(), st.data())
def test_marking_a_release_changes_its_recorded_checksum_and_nothing_else(
    state: dict[str, Any], data: st.DataObject
) -> None:
    done = [r for r in state["deployment"]["resources"] if r["type"] == TYPES[0]]
    if not done:
        return
    for resource in done:
        shown = {"checksum": "abc", "name": resource["inputs"]["name"]}
        resource["outputs"]["__inputs"] = {
            STATE.SECRET_SIG[0]: STATE.SECRET_SIG[1],
            "plaintext": json.dumps(shown),
        }
    target = data.draw(st.sampled_from(done))["urn"]
    before = json.loads(json.dumps(state))
    after = STATE.mark_for_upgrade(state, target)
    for old, new in zip(before["deployment"]["resources"], after["deployment"]["resources"], strict=True):
        if old["urn"] != target:
            assert old == new
            continue
        recorded = json.loads(new["outputs"]["__inputs"]["plaintext"])
        assert recorded == {
            **json.loads(old["outputs"]["__inputs"]["plaintext"]),
            "checksum": "interrupted-upgrade",
        }


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
    st.integers(min_value=0, max_value=600),
    st.integers(min_value=-120, max_value=720),
)
def test_a_record_is_dated_by_the_newest_finished_update(start: datetime, length: int, offset: int) -> None:
    begin = start.replace(microsecond=0, tzinfo=UTC)
    history = [
        {"startTime": _stamp(begin), "endTime": _stamp(begin + timedelta(seconds=length))},
        # An older update, and one still running (no end): neither dates a record.
        {"startTime": _stamp(begin - timedelta(hours=2)), "endTime": _stamp(begin - timedelta(hours=1))},
        {"startTime": _stamp(begin - timedelta(days=1))},
    ]
    moment = (begin + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert STATE.during_last_update(history, moment) == (0 <= offset <= length + 1)
