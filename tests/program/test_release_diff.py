"""components/release_diff.py, the object-level diff a preview prints (issue 21): over generated
objects, an object compared with itself has no change and any difference is found; the three-way merge
keeps what others added and drops what the release dropped; a Secret's values never reach the report;
a value known only after up reads as such. The engine and live tiers run it against a real API server."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from components import release_diff as rd

NS = "todo"
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("abc", max_size=3))
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(scalars, max_size=3)
        | st.dictionaries(st.text("xyz", min_size=1, max_size=2), inner, max_size=3)
    ),
    max_leaves=12,
)
objects = st.dictionaries(st.text("pqr", min_size=1, max_size=2), json_values, max_size=4)


def deployment(replicas: int = 2, period: int = 10, image: str = "r/backend@sha256:aa") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "todo-todo-chatbot-backend", "labels": {"app": "backend"}},
        "spec": {
            "replicas": replicas,
            "template": {
                "spec": {
                    "containers": [
                        {"name": "backend", "image": image, "readinessProbe": {"periodSeconds": period}},
                    ]
                }
            },
        },
    }


def live_of(obj: dict[str, Any]) -> dict[str, Any]:
    """As the API server stores it: namespace, server fields, defaults, Helm's own annotations."""
    live = copy.deepcopy(obj)
    live["metadata"].update(
        namespace=NS,
        resourceVersion="41",
        uid="u-1",
        annotations={"meta.helm.sh/release-name": "todo"},
        managedFields=[{"manager": "helm"}],
    )
    for container in live.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
        container.setdefault("terminationMessagePath", "/dev/termination-log")
    live["status"] = {"readyReplicas": 2}
    return live


def plan(
    old: dict[str, Any] | None, new: dict[str, Any] | None, live: dict[str, Any] | None, **kw: Any
) -> rd.Plan:
    olds = rd.by_key([old] if old else [], NS)
    news = rd.by_key([new] if new else [], NS)
    lives = rd.by_key([live] if live else [], NS)
    # The API server's dry run of the merged object: here, the merge with its defaults kept.
    planned = {k: rd.merge(olds.get(k), news[k], lives[k]) for k in news if k in lives}
    return rd.plan_changes(
        old=olds, new=news, live=lives, planned=planned, refused={}, upgrade=kw.pop("upgrade", True), **kw
    )


@given(objects)
def test_an_object_has_no_change_against_itself(obj: dict[str, Any]) -> None:
    assert rd.field_changes(obj, copy.deepcopy(obj)) == []


@given(objects, objects)
def test_any_difference_is_a_change(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert (rd.field_changes(a, b) == []) == (a == b)


@given(objects, objects)
def test_the_merge_with_nothing_new_elsewhere_is_the_new_object(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    assert rd.merge(old, new, copy.deepcopy(new)) == new
    assert rd.merge(None, new, {}) == new


def test_the_merge_keeps_what_others_added_and_drops_what_the_release_dropped() -> None:
    old = {"a": 1, "b": 2, "list": [{"name": "app", "x": 1}]}
    new = {"a": 3, "list": [{"name": "app", "x": 2}]}
    live = {
        "a": 1,
        "b": 2,
        "c": "sidecar-set",
        "list": [{"name": "app", "x": 1, "d": "default"}, {"name": "sidecar"}],
    }
    assert rd.merge(old, new, live) == {
        "a": 3,
        "c": "sidecar-set",
        "list": [{"name": "app", "x": 2, "d": "default"}, {"name": "sidecar"}],
    }


def test_a_template_only_change_is_exactly_that_field() -> None:
    old, new = deployment(period=10), deployment(period=5)
    result = plan(old, new, live_of(old))
    assert [(o.action, str(o.key)) for o in result.objects] == [
        ("update", "Deployment todo/todo-todo-chatbot-backend")
    ]
    [change] = result.objects[0].changes
    assert (change.path, change.before, change.after) == (
        "spec.template.spec.containers[backend].readinessProbe.periodSeconds",
        10,
        5,
    )
    assert result.objects[0].drifted == set()
    text = rd.report(result)
    assert text.splitlines()[0] == "release objects: 1 to update"
    assert "~ spec.template.spec.containers[backend].readinessProbe.periodSeconds: 10 => 5" in text


def test_a_no_op_prints_nothing() -> None:
    result = plan(
        deployment(), deployment(), live_of(deployment()), hooks=[rd.ObjectKey("batch", "Job", NS, "m")]
    )
    assert result.empty and rd.report(result) == ""


def test_a_hand_made_change_is_drift_even_when_the_release_is_left_alone() -> None:
    scaled = live_of(deployment(replicas=2))
    scaled["spec"]["replicas"] = 5
    for upgrade in (True, False):
        result = plan(deployment(), deployment(), scaled, upgrade=upgrade)
        [obj] = result.objects
        assert obj.action == ("update" if upgrade else "drift")
        assert [(c.path, c.before, c.after) for c in obj.changes] == [("spec.replicas", 5, 2)]
        assert obj.drifted == {"spec.replicas"}
        assert "(drift: changed in the cluster, not by this change)" in rd.report(result)


def test_objects_to_create_and_to_delete() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "todo-todo-chatbot-mcp"}}
    created = plan(None, deployment(), None)
    assert [(o.action, str(o.key)) for o in created.objects] == [
        ("create", "Deployment todo/todo-todo-chatbot-backend")
    ]
    olds, lives = rd.by_key([service], NS), rd.by_key([live_of(service)], NS)
    deleted = rd.plan_changes(old=olds, new={}, live=lives, planned={}, refused={}, upgrade=True)
    assert [(o.action, str(o.key)) for o in deleted.objects] == [
        ("delete", "Service todo/todo-todo-chatbot-mcp")
    ]
    assert rd.summary(deleted) == "release objects: 1 to delete"


secret_values = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=12, max_size=40)


@given(
    st.dictionaries(
        st.text("abcdef-", min_size=1, max_size=8), st.tuples(secret_values, secret_values), min_size=1
    )
)
def test_a_secret_shows_its_key_names_never_a_value(data: dict[str, tuple[str, str]]) -> None:
    def secret(index: int) -> dict[str, Any]:
        body = {k: v[index] for k, v in data.items()}
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "data": body,
            "stringData": body,
        }

    result = plan(secret(0), secret(1), live_of(secret(0)))
    text, comment = rd.report(result), rd.markdown(result, "dev")
    for before, after in data.values():
        assert before not in text and after not in text and before not in comment and after not in comment
    for key, (before, after) in data.items():
        if before != after:
            assert f"data.{key}: {rd.HIDDEN} => {rd.HIDDEN}" in text or f'data["{key}"]' in text


def test_a_value_known_only_after_up_reads_so() -> None:
    first, second = (deployment(image=f"r/backend@{mark}") for mark in rd.UNKNOWN_MARKS)
    key = rd.object_key(first, NS)
    unknown = {(key, path) for path in rd.unknown_paths(first, second)}
    assert unknown == {(key, "spec.template.spec.containers[backend].image")}
    result = plan(deployment(), first, live_of(deployment()), unknown=unknown)
    text = rd.report(result)
    assert '~ spec.template.spec.containers[backend].image: "r/backend@sha256:aa" => (known after up)' in text
    assert all(mark not in text for mark in rd.UNKNOWN_MARKS)


def test_the_comment_puts_the_summary_first_and_folds_the_details() -> None:
    result = plan(deployment(period=10), deployment(period=5), live_of(deployment(period=10)))
    comment = rd.markdown(result, "staging")
    assert comment.startswith("**staging**: release objects: 1 to update\n")
    assert "<details>" in comment and "periodSeconds: 10 => 5" in comment
    assert rd.markdown(plan(deployment(), deployment(), live_of(deployment())), "dev") == (
        "**dev**: release objects: no change\n"
    )


keys = st.text("abcdef-", min_size=1, max_size=6)


def _data_key(path: str) -> str:
    """The Secret key a `data.<key>` or `data["<key>"]` path names."""
    rest = path.removeprefix("data")
    return str(json.loads(rest[1:-1])) if rest.startswith("[") else rest.removeprefix(".")


@given(
    st.dictionaries(keys, secret_values, max_size=4),
    st.dictionaries(keys, secret_values | st.none(), max_size=4),
)
def test_the_programs_secrets_show_changed_key_names_only(
    live: dict[str, str], planned: dict[str, Any]
) -> None:
    key = rd.ObjectKey("", "Secret", NS, "todo-app")
    change = rd.secret_change(key, live, planned, lambda v: v is None)  # None: known after up
    changed = {
        k
        for k in set(live) | set(planned)
        if k not in live or k not in planned or planned[k] is None or planned[k] != live[k]
    }
    if not changed:
        assert change is None
        return
    assert change is not None
    assert {_data_key(c.path) for c in change.changes} == changed
    text = rd.report(rd.Plan([change], [], set()))
    for value in [*live.values(), *(v for v in planned.values() if v)]:
        assert value not in text
    for name in changed:
        assert name in text


def test_a_secret_still_to_be_created_lists_its_keys() -> None:
    key = rd.ObjectKey("", "Secret", NS, "todo-llm")
    change = rd.secret_change(key, None, {"api-key": "sk-not-shown-123456"}, lambda v: False)
    assert change is not None and change.action == "create"
    assert "+ data.api-key: (hidden)" in rd.report(rd.Plan([change], [], set()))


def test_an_annotation_the_change_adds_is_no_drift_where_the_manifest_had_none() -> None:
    # live_of adds Helm's own annotations: the path is the annotation's on both sides.
    old: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "todo-todo-chatbot-mcp"},
        "spec": {},
    }
    new = copy.deepcopy(old)
    new["metadata"]["annotations"] = {"todo-chatbot/live-tier": "marker"}
    [obj] = plan(old, new, live_of(old)).objects
    assert [(c.path, c.after) for c in obj.changes] == [
        ('metadata.annotations["todo-chatbot/live-tier"]', "marker")
    ]
    assert obj.drifted == set()


def test_an_image_rebuilt_under_its_deployed_tag_keeps_its_deployed_digest() -> None:
    mark = rd.UNKNOWN_MARKS[0]
    deployed = {
        "images": {
            "backend": {"repository": "r/b", "tag": "t1", "digest": "sha256:" + "b" * 64},
            "frontend": {"repository": "r/f", "tag": "t1", "digest": "sha256:" + "f" * 64},
        }
    }
    planned = {
        "images": {
            "pullPolicy": "IfNotPresent",
            "backend": {"repository": "r/b", "tag": "t1", "digest": mark},  # same build: same digest
            "frontend": {"repository": "r/f", "tag": "t2", "digest": mark},  # a new build: made by up
        }
    }
    values, filled = rd.keep_deployed_digests(planned, deployed, mark)
    assert filled == ["images.backend"]
    assert values["images"]["backend"]["digest"] == "sha256:" + "b" * 64
    assert values["images"]["frontend"]["digest"] == mark and values["images"]["pullPolicy"] == "IfNotPresent"
    assert rd.keep_deployed_digests(planned, {}, mark) == (planned, [])


def test_a_refused_secret_keeps_the_servers_message_to_itself() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"k": "c2VjcmV0LXZhbHVl"},
    }
    news = rd.by_key([secret], NS)
    refused = dict.fromkeys(news, 'Secret "s" is invalid: data[k]: Invalid value: "secret-value"')
    result = rd.plan_changes(old={}, new=news, live={}, planned={}, refused=refused, upgrade=True)
    text = rd.report(result)
    assert "REFUSED" in text and "secret-value" not in text, text
