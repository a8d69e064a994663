"""The Release's change object by object, in `pulumi preview` (issue 21; the logic: release_diff.py).

In a preview, the chart is rendered by the kubernetes provider's own Helm (the `kubernetes:helm:template`
invoke, so no helm binary is needed) with the planned values, twice when some value is not known yet.
The objects go through the API server's dry run and are compared with the live ones and with the
deployed revision's manifest (Helm's release record). The result is one diagnostic on the release
component, and, when TODO_PREVIEW_REPORT names a file, the same as Markdown for a pull-request comment.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.output import UNKNOWN, Unknown

from components import kubecontext, release_diff
from components.release_diff import ObjectKey

REPORT_ENV = "TODO_PREVIEW_REPORT"
DRY_RUN_WORKERS = 4


@dataclass(frozen=True)
class PreviewTarget:
    release_name: str
    kube_context: str
    chart_path: str
    description: str
    stack: str


async def _resolved(value: Any) -> Any:
    """`value` with every Output awaited; one the engine does not know yet becomes Unknown()."""
    if isinstance(value, pulumi.Output):
        if not await value.is_known():
            return UNKNOWN
        return await _resolved(await value.future(with_unknowns=True))
    if isinstance(value, Mapping):
        return {key: await _resolved(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [await _resolved(item) for item in value]
    return value


@dataclass(frozen=True)
class Rendered:
    """The chart rendered with the planned values; a value not known yet is UNKNOWN_MARKS[0] in
    `values` and `objects`, and `variant` is the render with UNKNOWN_MARKS[1] (None: all known)."""

    namespace: str
    values: dict[str, Any]
    objects: list[dict[str, Any]]
    variant: list[dict[str, Any]] | None
    seconds: float = 0.0  # the renders' time


async def _template(
    target: PreviewTarget, namespace: str, values: dict[str, Any], provider: pulumi.ProviderResource | None
) -> list[dict[str, Any]]:
    """The chart's objects, hooks included (not its tests), by the provider's own Helm."""
    # A local chart is `path` alone: the provider loads path/<chart>, so `chart` must stay empty.
    chart = str(Path(target.chart_path).resolve())
    opts = {"path": chart, "release_name": target.release_name, "namespace": namespace}
    answer = await pulumi.runtime.invoke_async(
        "kubernetes:helm:template",
        {"jsonOpts": json.dumps({**opts, "values": values})},
        pulumi.InvokeOptions(provider=provider),
    )
    objects: list[dict[str, Any]] = [obj for obj in ((answer or {}).get("result") or []) if obj]
    return objects


async def render_release(
    target: PreviewTarget,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    provider: pulumi.ProviderResource | None,
) -> Rendered | None:
    """The release's objects as the chart renders them with these values; None (and one warning)
    when they cannot be rendered: the Release's own install then says why, in Helm's words."""
    try:
        resolved = await _resolved({"namespace": namespace, "values": dict(values)})
        if isinstance(resolved["namespace"], Unknown):
            return None
        marked = [
            release_diff.with_marks(resolved["values"], lambda v: isinstance(v, Unknown), mark)
            for mark in release_diff.UNKNOWN_MARKS
        ]
        ns = str(resolved["namespace"])
        start = time.monotonic()
        objects = await _template(target, ns, marked[0], provider)
        variant = await _template(target, ns, marked[1], provider) if marked[0] != marked[1] else None
    except Exception as error:  # noqa: BLE001 - reported once; the Release's own step still runs
        pulumi.log.warn(f"the chart could not be rendered for review ({type(error).__name__}: {error})")
        return None
    return Rendered(ns, marked[0], objects, variant, time.monotonic() - start)


def _comparable(values: Any) -> str:
    """Values as Helm keeps them in a release record: nulls dropped (the provider drops them), keys
    sorted, numbers as JSON numbers."""

    def drop(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: drop(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [drop(v) for v in value]
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    return json.dumps(drop(values), sort_keys=True)


def _cluster_plan(
    target: PreviewTarget,
    render: Rendered,
    secrets: Mapping[str, Mapping[str, Any]],
    record: dict[str, Any] | None,
) -> release_diff.Plan:
    """Everything that asks the API server (kubectl, so no extra credentials): blocking, off the loop."""
    context, namespace, values = target.kube_context, render.namespace, render.values
    rendered = render.objects
    hooks = [release_diff.object_key(o, namespace) for o in rendered if release_diff.is_hook(o)]
    new = release_diff.by_key((o for o in rendered if not release_diff.is_hook(o)), namespace)
    unknown: set[tuple[ObjectKey, str]] = set()
    if render.variant is not None:
        other = release_diff.by_key((o for o in render.variant if not release_diff.is_hook(o)), namespace)
        for key, obj in new.items():
            unknown |= {(key, path) for path in release_diff.unknown_paths(obj, other.get(key, {}))}
    notes: list[str] = []
    old: dict[ObjectKey, dict[str, Any]] = {}
    upgrade = True
    if record is not None:
        docs = [doc for doc in yaml.safe_load_all(record.get("manifest") or "") if isinstance(doc, dict)]
        old = release_diff.by_key(docs, namespace)
        same_values = _comparable(record.get("config") or {}) == _comparable(values)
        same_chart = (record.get("info") or {}).get("description") == target.description
        upgrade = not (same_values and same_chart) or render.variant is not None
    # This up may create the namespace: nothing in it can be dry-run yet, so its objects are listed.
    namespace_exists = record is not None or kubecontext.live_namespace(context, namespace) is not None
    if not namespace_exists:
        notes.append(f"namespace {namespace} is created by this up: its objects are listed, not dry-run")
    wanted = [*new.values(), *(obj for key, obj in old.items() if key not in new)] if namespace_exists else []
    live = release_diff.by_key(kubecontext.live_objects(context, namespace, wanted), namespace)
    planned: dict[ObjectKey, dict[str, Any]] = {}
    refused: dict[ObjectKey, str] = {}

    def dry_run(key: ObjectKey) -> None:
        exists = key in live
        obj = release_diff.merge(old.get(key), new[key], live[key]) if exists else new[key]
        if exists:
            # An unconditional replace: a controller that writes the object between the read and the
            # dry run (a Deployment's status after a scale) would otherwise make it a Conflict.
            obj = {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}}
        try:
            planned[key] = kubecontext.server_dry_run(context, namespace, obj, exists)
        except kubecontext.KubectlError as error:
            refused[key] = str(error)

    if namespace_exists:
        with ThreadPoolExecutor(DRY_RUN_WORKERS) as pool:
            list(pool.map(dry_run, sorted(new)))
    plan = release_diff.plan_changes(
        old=old,
        new=new,
        live=live,
        planned=planned,
        refused=refused,
        upgrade=upgrade,
        unknown=unknown,
        hooks=hooks,
    )
    plan.notes += notes
    # The program's own Secrets (components/secrets.py), which the release reads by name: key names only.
    live_secrets = (
        kubecontext.live_secret_data(context, namespace, sorted(secrets)) if namespace_exists else {}
    )
    for name, data in sorted(secrets.items()):
        key = ObjectKey("", "Secret", namespace, name)
        change = release_diff.secret_change(
            key, live_secrets.get(name), data, lambda v: isinstance(v, Unknown)
        )
        if change is not None:
            plan.objects.append(change)
    return plan


async def _with_deployed_digests(
    render: Rendered,
    record: dict[str, Any] | None,
    target: PreviewTarget,
    provider: pulumi.ProviderResource | None,
) -> tuple[Rendered, list[str]]:
    """The render again where an unknown digest belongs to an image whose content tag is deployed
    (release_diff.keep_deployed_digests), so only the images that really change read "known after up"."""
    if record is None or render.variant is None:
        return render, []
    first, second = release_diff.UNKNOWN_MARKS
    values, filled = release_diff.keep_deployed_digests(render.values, record.get("config") or {}, first)
    if not filled:
        return render, []
    start = time.monotonic()
    objects = await _template(target, render.namespace, values, provider)
    varies = first in json.dumps(values)
    variant_values = json.loads(json.dumps(values).replace(first, second)) if varies else None
    variant = await _template(target, render.namespace, variant_values, provider) if variant_values else None
    seconds = render.seconds + time.monotonic() - start
    return Rendered(render.namespace, values, objects, variant, seconds), filled


async def preview_diff(
    resource: pulumi.Resource,
    target: PreviewTarget,
    rendered: Awaitable[Rendered | None],
    secrets: Mapping[str, Mapping[str, pulumi.Input[str]]],
    provider: pulumi.ProviderResource | None = None,
) -> str:
    """Logs the plan on `resource` and returns its text ("" for a no-op). Never fails the preview:
    a diff that cannot be made is one warning saying why (the Release's own diff still stands)."""
    unavailable = (
        "release objects: not compared with the cluster ({}); the Release's inputs are the whole preview"
    )
    render = await rendered
    if render is None:
        return ""
    try:
        planned_secrets = await _resolved({name: dict(data) for name, data in secrets.items()})
        start = time.monotonic()
        record = await asyncio.to_thread(
            kubecontext.helm_release_record, target.kube_context, render.namespace, target.release_name
        )
        render, filled = await _with_deployed_digests(render, record, target, provider)
        plan = await asyncio.to_thread(_cluster_plan, target, render, planned_secrets, record)
        if filled:
            plan.notes.append(
                "rebuilt with an unchanged content tag, so shown with the deployed digest: "
                + ", ".join(filled)
            )
        renders = "two renders" if render.variant is not None else "one render"
        plan.notes.append(
            f"compared with the cluster in {time.monotonic() - start:.1f} s, after {renders} in"
            f" {render.seconds:.1f} s ({len(render.objects)} objects)"
        )
    except kubecontext.KubectlError as error:
        pulumi.log.warn(unavailable.format(error), resource)
        return ""
    except Exception as error:  # noqa: BLE001 - the Release's own preview still runs and says more
        pulumi.log.warn(unavailable.format(f"{type(error).__name__}: {error}"), resource)
        return ""
    text = release_diff.report(plan)
    if text:
        pulumi.log.info(text, resource)
    report_file = os.environ.get(REPORT_ENV)
    if report_file:
        Path(report_file).write_text(release_diff.markdown(plan, target.stack))
    return text
