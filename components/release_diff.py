"""What a Helm upgrade would change in the cluster, object by object and field by field (issue 21).

A preview of the Release shows its inputs only. This module turns three manifests into the change a
reviewer can read: the objects of the release now deployed (`old`, from Helm's release record), the
objects the chart renders with the planned values (`new`), and the objects as the API server holds
them (`live`). Like Helm 3's upgrade, the plan is a three-way merge: what `new` says wins, what `old`
had and `new` dropped goes, what someone else added (neither `old` nor `new` has it) stays. The merged
object then goes through the API server's dry run (done by the caller), so defaults and admission
apply, and the field diff is live against that answer. A changed field that `old` and `new` agree on
is drift: made in the cluster, not in the change under review.

Pure functions only (no kubectl, no Pulumi): components/release.py wires them to the cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# In a preview, a value the engine does not know yet (an image digest before its push, the Secrets'
# revision before they exist) is rendered twice, with each of these; fields that differ between the
# two renders depend on it and read as KNOWN_AFTER_UP. Both are valid in an image reference.
UNKNOWN_MARKS = ("sha256:" + "0" * 64, "sha256:" + "1" * 64)
KNOWN_AFTER_UP = "(known after up)"
HIDDEN = "(hidden)"
HOOK_ANNOTATION = "helm.sh/hook"

# Fields the API server or a controller writes: never a change anyone reviews.
_METADATA_NOISE = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink")
_ANNOTATION_NOISE = ("deployment.kubernetes.io/revision", "kubectl.kubernetes.io/last-applied-configuration")
# Keys that identify an element of a list the way strategic merge patch does, tried in order.
_LIST_KEYS = ("name", "mountPath", "containerPort", "port", "type")


@dataclass(frozen=True, order=True)
class ObjectKey:
    """An object's identity: group, kind, namespace, name (the apiVersion's version is not part of it)."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


def object_key(obj: Mapping[str, Any], namespace: str) -> ObjectKey:
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    meta = obj.get("metadata") or {}
    return ObjectKey(
        group, str(obj.get("kind", "")), str(meta.get("namespace") or namespace), str(meta.get("name", ""))
    )


def is_hook(obj: Mapping[str, Any]) -> bool:
    return HOOK_ANNOTATION in ((obj.get("metadata") or {}).get("annotations") or {})


def by_key(objects: Iterable[Mapping[str, Any]], namespace: str) -> dict[ObjectKey, dict[str, Any]]:
    return {object_key(obj, namespace): dict(obj) for obj in objects if obj and obj.get("kind")}


# --- placeholders -------------------------------------------------------------------------------


def with_marks(value: Any, is_unknown: Any, mark: str) -> Any:
    """`value` with every part that `is_unknown(part)` says is unknown replaced by `mark`."""
    if is_unknown(value):
        return mark
    if isinstance(value, Mapping):
        return {key: with_marks(item, is_unknown, mark) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [with_marks(item, is_unknown, mark) for item in value]
    return value


def keep_deployed_digests(values: Any, deployed: Any, mark: str, path: str = "") -> tuple[Any, list[str]]:
    """`values` where an image's digest is `mark` (made only by up) but its repository and content
    tag are the deployed ones: the deployed digest instead. The program tags an image by its build
    inputs, so the same tag is the same build, whose push gives back the same digest (pulumi-docker
    plans a rebuild whenever the build context changes at all). Also the paths it filled."""
    if not isinstance(values, Mapping):
        return values, []
    before = deployed if isinstance(deployed, Mapping) else {}
    if values.get("digest") == mark and {"repository", "tag"} <= set(values):
        same = all(before.get(k) == values[k] for k in ("repository", "tag"))
        if same and isinstance(before.get("digest"), str) and before["digest"]:
            return {**values, "digest": before["digest"]}, [path.lstrip(".")]
        return values, []
    result: dict[str, Any] = {}
    filled: list[str] = []
    for key, item in values.items():
        result[key], inner = keep_deployed_digests(item, before.get(key), mark, f"{path}.{key}")
        filled += inner
    return result, filled


def unknown_paths(first: Mapping[str, Any], second: Mapping[str, Any]) -> set[str]:
    """The fields two renders (one per UNKNOWN_MARKS) disagree on: they depend on an unknown value."""
    return {change.path for change in field_changes(first, second)}


# --- the three-way merge ------------------------------------------------------------------------


def _list_key(*lists: Sequence[Any]) -> str | None:
    items = [item for values in lists for item in values]
    if not items or not all(isinstance(item, Mapping) for item in items):
        return None
    return next((key for key in _LIST_KEYS if all(key in item for item in items)), None)


def merge(old: Any, new: Any, live: Any) -> Any:
    """Helm 3's three-way merge: `new` wins; what `old` had and `new` lacks is removed; what only
    `live` has is kept. Lists of named items merge item by item; other lists are `new`'s."""
    if isinstance(new, Mapping) and isinstance(live, Mapping):
        before = old if isinstance(old, Mapping) else {}
        merged = {key: value for key, value in live.items() if key in new or key not in before}
        for key, value in new.items():
            merged[key] = merge(before.get(key), value, live[key]) if key in live else value
        return merged
    if isinstance(new, list) and isinstance(live, list):
        previous: list[Any] = old if isinstance(old, list) else []
        key = _list_key(new, live, previous)
        if key is None:
            return list(new)
        live_items = {item[key]: item for item in live}
        old_items = {item[key]: item for item in previous}
        merged_list = [
            merge(old_items.get(item[key]), item, live_items[item[key]]) if item[key] in live_items else item
            for item in new
        ]
        named = {item[key] for item in new}
        # Items someone else added (a sidecar) stay; items the release had and dropped go.
        merged_list += [
            item for name, item in live_items.items() if name not in named and name not in old_items
        ]
        return merged_list
    return new


# --- field diff ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    path: str
    before: Any  # MISSING when the field is added
    after: Any  # MISSING when the field is removed


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def clean(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object without status and the fields the API server and controllers write."""
    result = {key: value for key, value in obj.items() if key != "status"}
    meta = dict(result.get("metadata") or {})
    for name in _METADATA_NOISE:
        meta.pop(name, None)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _ANNOTATION_NOISE}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    result["metadata"] = meta
    return result


def _segment(key: str) -> str:
    return f".{key}" if key.replace("-", "").replace("_", "").isalnum() else f"[{json.dumps(key)}]"


def field_changes(before: Any, after: Any, path: str = "") -> list[Change]:
    """Leaf-level changes from `before` to `after`; list items with a name are matched by it. A
    mapping on one side only is reported key by key, so paths compare across objects (an annotation
    added where the object had none reads as that annotation, as where it had others)."""
    if before is MISSING and isinstance(after, Mapping) and after:
        before = {}
    if after is MISSING and isinstance(before, Mapping) and before:
        after = {}
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        changes: list[Change] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}{_segment(str(key))}"
            changes += field_changes(before.get(key, MISSING), after.get(key, MISSING), sub)
        return changes
    if isinstance(before, list) and isinstance(after, list):
        key = _list_key(before, after)
        if key is not None:
            old = {str(item[key]): item for item in before}
            new = {str(item[key]): item for item in after}
            changes = []
            for name in [*old, *(n for n in new if n not in old)]:
                changes += field_changes(old.get(name, MISSING), new.get(name, MISSING), f"{path}[{name}]")
            return changes
        if len(before) == len(after):
            return [
                c
                for i, (b, a) in enumerate(zip(before, after, strict=True))
                for c in field_changes(b, a, f"{path}[{i}]")
            ]
    if before is MISSING and after is MISSING:
        return []
    if before == after:
        return []
    return [Change(path.lstrip("."), before, after)]


# --- the plan -----------------------------------------------------------------------------------


@dataclass
class ObjectChange:
    key: ObjectKey
    action: str  # "create", "update", "delete", "drift" (differs, but this run does not upgrade)
    changes: list[Change] = field(default_factory=list)
    drifted: set[str] = field(default_factory=set)  # paths changed in the cluster, not by this change
    error: str = ""  # the API server refused the dry run


@dataclass
class Plan:
    objects: list[ObjectChange]
    hooks: list[ObjectKey]  # run by the upgrade (e.g. the migration Job)
    unknown: set[tuple[ObjectKey, str]]  # fields that depend on values known only after up
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.objects


def is_secret(key: ObjectKey) -> bool:
    return key.group == "" and key.kind == "Secret"


def _hidden(value: Any) -> Any:
    return MISSING if value is MISSING else HIDDEN


def _redact(key: ObjectKey, change: Change) -> Change:
    """A Secret's data shows its key names only, never a value."""
    if is_secret(key) and change.path.split(".")[0].split("[")[0] in ("data", "stringData"):
        return Change(change.path, _hidden(change.before), _hidden(change.after))
    return change


def _within(path: str, paths: set[str]) -> bool:
    """Whether `path` is one of `paths`, inside one, or holds one (a field the change under review
    touches at any depth)."""

    def nested(inner: str, outer: str) -> bool:
        return inner == outer or inner.startswith((outer + ".", outer + "["))

    return any(nested(path, other) or nested(other, path) for other in paths)


def plan_changes(
    *,
    old: Mapping[ObjectKey, Mapping[str, Any]],
    new: Mapping[ObjectKey, Mapping[str, Any]],
    live: Mapping[ObjectKey, Mapping[str, Any]],
    planned: Mapping[ObjectKey, Mapping[str, Any]],
    refused: Mapping[ObjectKey, str],
    upgrade: bool,
    unknown: Iterable[tuple[ObjectKey, str]] = (),
    hooks: Iterable[ObjectKey] = (),
) -> Plan:
    """The object changes: `planned` holds the API server's dry-run answer for each key of `new`
    (merged with `live` where it exists), `refused` its error where it refused one. When `upgrade`
    is false (the Release's inputs are unchanged, so Pulumi leaves it), only drift is reported."""
    unknown_set = set(unknown)
    result: list[ObjectChange] = []
    for key in sorted(set(new) | set(old)):
        if key not in new:
            if key in live:
                result.append(ObjectChange(key, "delete" if upgrade else "drift"))
            continue
        if key in refused:
            # The server's message may quote a field's value: for a Secret, it is withheld.
            error = (
                "(the message is withheld: it may quote the Secret's data)"
                if is_secret(key)
                else refused[key]
            )
            result.append(ObjectChange(key, "update" if key in live else "create", error=error))
            continue
        if key not in live:
            result.append(ObjectChange(key, "create" if upgrade else "drift"))
            continue
        changes = [
            _redact(key, c) for c in field_changes(clean(live[key]), clean(planned.get(key, live[key])))
        ]
        if not changes:
            continue
        reviewed = (
            {c.path for c in field_changes(clean(old.get(key, {})), clean(new[key]))} if key in old else None
        )
        drifted = {c.path for c in changes if reviewed is not None and not _within(c.path, reviewed)}
        if not upgrade:
            changes = [c for c in changes if c.path in drifted]
            if not changes:
                continue
        result.append(ObjectChange(key, "update" if upgrade else "drift", changes, drifted))
    return Plan(result, sorted(hooks) if upgrade else [], unknown_set)


def secret_change(
    key: ObjectKey, live_data: Mapping[str, str] | None, planned: Mapping[str, Any], is_unknown: Any
) -> ObjectChange | None:
    """A Secret the program writes, by key name only: `live_data` decoded from the cluster (None: no
    such Secret), `planned` the values to write (`is_unknown(value)`: known only after up). No value
    leaves this function; equal values are compared here and forgotten."""
    if live_data is None:
        return ObjectChange(
            key, "create", [Change(f"data{_segment(k)}", MISSING, HIDDEN) for k in sorted(planned)]
        )
    changes = []
    for name in sorted(set(planned) | set(live_data)):
        path = f"data{_segment(name)}"
        if name not in planned:
            changes.append(Change(path, HIDDEN, MISSING))
        elif name not in live_data:
            changes.append(Change(path, MISSING, KNOWN_AFTER_UP if is_unknown(planned[name]) else HIDDEN))
        elif is_unknown(planned[name]):
            changes.append(Change(path, HIDDEN, KNOWN_AFTER_UP))
        elif planned[name] != live_data[name]:
            changes.append(Change(path, HIDDEN, HIDDEN))
    return ObjectChange(key, "update", changes) if changes else None


# --- the report ---------------------------------------------------------------------------------


def _value(key: ObjectKey, path: str, value: Any, unknown: set[tuple[ObjectKey, str]]) -> str:
    if (key, path) in unknown:
        return KNOWN_AFTER_UP
    if value is HIDDEN or value is KNOWN_AFTER_UP:
        return str(value)
    text = (
        json.dumps(value, sort_keys=True, separators=(",", ":"))
        if not isinstance(value, str)
        else json.dumps(value)
    )
    for mark in UNKNOWN_MARKS:
        text = text.replace(mark, KNOWN_AFTER_UP)
    return text if len(text) <= 160 else text[:157] + "..."


def _change_line(key: ObjectKey, change: Change, plan: Plan, drift: bool) -> str:
    note = "  (drift: changed in the cluster, not by this change)" if drift else ""
    if change.before is MISSING:
        return f"    + {change.path}: {_value(key, change.path, change.after, plan.unknown)}{note}"
    if change.after is MISSING:
        return f"    - {change.path}: {_value(key, change.path, change.before, set())}{note}"
    before = _value(key, change.path, change.before, set())
    return f"    ~ {change.path}: {before} => {_value(key, change.path, change.after, plan.unknown)}{note}"


SYMBOLS = {"create": "+", "update": "~", "delete": "-", "drift": "!"}


def summary(plan: Plan) -> str:
    counts = {action: sum(1 for o in plan.objects if o.action == action) for action in SYMBOLS}
    words = {"create": "to create", "update": "to update", "delete": "to delete", "drift": "drifted"}
    parts = [f"{counts[a]} {words[a]}" for a in SYMBOLS if counts[a]]
    return "release objects: " + (", ".join(parts) if parts else "no change")


def report(plan: Plan) -> str:
    """The plan as the preview prints it: a summary line, then each object and its fields."""
    if plan.empty:
        return ""
    lines = [summary(plan)]
    for change in plan.objects:
        lines.append(
            f"  {SYMBOLS[change.action]} {change.key}"
            + (f"  REFUSED by the API server: {change.error}" if change.error else "")
        )
        for field_change in change.changes:
            lines.append(_change_line(change.key, field_change, plan, field_change.path in change.drifted))
    if plan.hooks:
        lines.append("  hooks run by the install or upgrade: " + ", ".join(str(h) for h in plan.hooks))
    if any(o.action == "drift" for o in plan.objects):
        lines.append(
            "  drift stays until the release is upgraded: pulumi up --refresh, or any change to the release"
        )
    lines += [f"  note: {note}" for note in plan.notes]
    return "\n".join(lines)


def markdown(plan: Plan, stack: str) -> str:
    """The plan for a pull-request comment: the summary first, the details folded."""
    if plan.empty:
        return f"**{stack}**: release objects: no change\n"
    return (
        f"**{stack}**: {summary(plan)}\n\n<details><summary>objects and fields</summary>\n\n"
        f"```diff\n{report(plan)}\n```\n\n</details>\n"
    )
