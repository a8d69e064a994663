"""Whether the stack's kube context answers, so a preview can say when it ran without the cluster.

The kubernetes provider quietly skips its server-side dry runs when the API server does not answer;
a reviewer would then read a preview that never met the cluster. The program warns instead.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

PROBE_SECONDS = 3.0
KUBECTL_SECONDS = 20


class KubectlError(Exception):
    """kubectl is missing or could not answer; the message says which, in one sentence."""


def kubeconfig_paths() -> list[Path]:
    """The files kubectl reads: $KUBECONFIG (colon-separated) or ~/.kube/config."""
    listed = os.environ.get("KUBECONFIG", "")
    paths = [Path(p) for p in listed.split(os.pathsep) if p] if listed else [Path.home() / ".kube" / "config"]
    return [path for path in paths if path.is_file()]


def _load(path: Path) -> dict[str, Any]:
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return config if isinstance(config, dict) else {}


def is_minikube(context: str) -> bool:
    """Whether minikube made the context (it tags its kubeconfig entries with a context_info extension)."""
    for path in kubeconfig_paths():
        for item in _load(path).get("contexts") or []:
            if item.get("name") == context:
                extensions = (item.get("context") or {}).get("extensions") or []
                return any(
                    (ext.get("extension") or {}).get("provider") == "minikube.sigs.k8s.io"
                    for ext in extensions
                )
    return False


def context_server(context: str) -> str | None:
    """The API server URL of a context (first file that defines it wins, as kubectl merges)."""
    contexts: dict[str, str | None] = {}
    servers: dict[str, str | None] = {}
    for path in kubeconfig_paths():
        config = _load(path)
        for item in config.get("contexts") or []:
            contexts.setdefault(item.get("name"), (item.get("context") or {}).get("cluster"))
        for item in config.get("clusters") or []:
            servers.setdefault(item.get("name"), (item.get("cluster") or {}).get("server"))
    cluster = contexts.get(context)
    return servers.get(cluster) if cluster else None


def context_problem(context: str) -> str | None:
    """Why the context cannot be reached, in one sentence; None when its API server accepts a connection."""
    server = context_server(context)
    if server is None:
        files = ", ".join(str(p) for p in kubeconfig_paths()) or "no kubeconfig file found"
        return f"kube context {context!r} is not in your kubeconfig ({files})"
    url = urlsplit(server)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=PROBE_SECONDS):
            return None
    except OSError as error:
        return f"kube context {context!r} does not answer at {server} ({error.strerror or error})"


def _kubectl(context: str, *args: str, stdin: str | None = None) -> str:
    """kubectl ARGS against the context with the user's credentials; its stdout, or KubectlError
    naming the command and kubectl's last line when it is missing, slow or fails."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise KubectlError("kubectl is not on PATH")
    command = [kubectl, "--context", context, "--request-timeout", f"{KUBECTL_SECONDS}s", *args]
    words = list(args[2:] if args[:1] == ("-n",) else args)  # the verb first, not the namespace
    what = "kubectl " + " ".join(arg for arg in words[:3] if not arg.startswith("-"))
    try:
        done = subprocess.run(
            command, input=stdin, capture_output=True, text=True, timeout=KUBECTL_SECONDS + 10, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise KubectlError(f"{what} took more than {error.timeout:.0f} s") from error
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        raise KubectlError(f"{what} failed: {lines[-1]}")
    return done.stdout


def live_namespace(context: str, name: str) -> dict[str, Any] | None:
    """The namespace as the context's API server has it (kubectl, with the user's credentials), or
    None when there is none; KubectlError when kubectl is missing or fails."""
    out = _kubectl(context, "get", "namespace", name, "--ignore-not-found", "-o", "json")
    found: dict[str, Any] | None = json.loads(out) if out.strip() else None
    return found


def node_architectures(context: str) -> list[str]:
    """The CPU architecture each node of the context reports (amd64, arm64, ...), one per node;
    KubectlError when kubectl is missing or fails."""
    out = _kubectl(context, "get", "nodes", "-o", "jsonpath={.items[*].status.nodeInfo.architecture}")
    return out.split()


def helm_release_record(context: str, namespace: str, release: str) -> dict[str, Any] | None:
    """The deployed revision of a Helm release as Helm stores it (a Secret of type helm.sh/release.v1:
    base64 of gzipped JSON with the manifest, the values and the description), or None when there is
    none; KubectlError when kubectl is missing or fails."""
    out = _kubectl(
        context,
        "-n",
        namespace,
        "get",
        "secrets",
        "-l",
        f"owner=helm,name={release},status=deployed",
        "-o",
        "json",
    )
    items = sorted(
        json.loads(out).get("items") or [],
        key=lambda item: int((item.get("metadata", {}).get("labels") or {}).get("version", "0") or 0),
    )
    if not items:
        return None
    data = base64.b64decode(base64.b64decode(items[-1]["data"]["release"]))
    record: dict[str, Any] = json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    return record


def _listed(out: str) -> list[dict[str, Any]]:
    """The objects of `kubectl get -o json`: a List's items, the one object, or none."""
    if not out.strip():
        return []
    found = json.loads(out)
    items: list[dict[str, Any]] = found.get("items", []) if found.get("kind") == "List" else [found]
    return items


def live_objects(context: str, namespace: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Those of `objects` the API server has, as it has them (kubectl get -f, missing ones left out)."""
    if not objects:
        return []
    manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
    out = _kubectl(
        context, "-n", namespace, "get", "--ignore-not-found", "-o", "json", "-f", "-", stdin=manifest
    )
    return _listed(out)


def server_dry_run(context: str, namespace: str, obj: dict[str, Any], exists: bool) -> dict[str, Any]:
    """The object as the API server would store it (defaults and admission applied, nothing stored):
    a replace of the existing object or a create of a new one, with --dry-run=server."""
    verb = "replace" if exists else "create"
    out = _kubectl(
        context, "-n", namespace, verb, "--dry-run=server", "-o", "json", "-f", "-", stdin=json.dumps(obj)
    )
    answer: dict[str, Any] = json.loads(out)
    return answer


def live_secret_data(context: str, namespace: str, names: list[str]) -> dict[str, dict[str, str]]:
    """The data of those Secrets that exist, decoded, by Secret name (kept in memory only: the
    preview compares it with the planned values and prints key names)."""
    if not names:
        return {}
    out = _kubectl(context, "-n", namespace, "get", "secrets", *names, "--ignore-not-found", "-o", "json")
    return {
        item["metadata"]["name"]: {
            key: base64.b64decode(value).decode(errors="replace")
            for key, value in (item.get("data") or {}).items()
        }
        for item in _listed(out)
    }
