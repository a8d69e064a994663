"""The local cluster of `scripts/cluster up` runs real workloads the way the chart needs them.

Skips (with the reason) when that cluster is not up. Proves, against the real API server, kubelet,
containerd, CNI bridge, kube-proxy and CoreDNS: an image pulled by digest from the registry on
127.0.0.1:5000, the `restricted` Pod Security level enforced, a PVC bound by the default
StorageClass and writable by a non-root pod, a Service reached from another pod by its cluster DNS
name, no DNS answers for names outside the cluster, and `kubectl port-forward` on 127.0.0.1.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.deployment import proxy_forwards_to, ready_endpoints
from tests.support.wait import wait_for

REPO = Path(__file__).resolve().parents[2]


def _kube_vars() -> dict[str, str]:
    """KUBE_BIN and KUBE_KUBECONFIG from scripts/toolchain/kube/init.sh, the one place that pins them."""
    script = (
        f'source "{REPO}/scripts/toolchain/common.sh"; source "{REPO}/scripts/toolchain/kube/init.sh"; '
        'printf "%s\\n%s\\n%s\\n" "$KUBE_BIN" "$KUBE_KUBECONFIG" "$KUBE_CONTEXT"'
    )
    out = subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True).stdout.split(
        "\n"
    )
    return {"bin": out[0], "kubeconfig": out[1], "context": out[2]}


KUBE = _kube_vars()
KUBECTL = [f"{KUBE['bin']}/kubectl", "--kubeconfig", KUBE["kubeconfig"], "--context", KUBE["context"]]

RESTRICTED_CONTAINER: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
}
RESTRICTED_POD: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "runAsGroup": 10001,
    "fsGroup": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def kubectl(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KUBECTL, *args], input=stdin, capture_output=True, text=True, check=check, timeout=300
    )


def apply(obj: dict[str, Any]) -> None:
    kubectl("apply", "-f", "-", stdin=json.dumps(obj))


def _cluster_up() -> str | None:
    if not Path(KUBE["kubeconfig"]).exists():
        return f"no local cluster: {KUBE['kubeconfig']} is missing (start one with scripts/cluster up)"
    try:
        kubectl("get", "--raw", "/readyz")
    except (subprocess.CalledProcessError, FileNotFoundError, subprocess.TimeoutExpired) as error:
        return f"the local cluster's API server does not answer ({error}); run scripts/cluster up"
    return None


pytestmark = pytest.mark.skipif(_cluster_up() is not None, reason=str(_cluster_up()))


@pytest.fixture(scope="module")
def image() -> str:
    """The stand-in Python image pushed to 127.0.0.1:5000, as REPOSITORY@sha256:DIGEST."""
    result = subprocess.run(
        [str(REPO / "tests/live/push_image.sh")], capture_output=True, text=True, timeout=1800
    )
    if result.returncode != 0:
        pytest.fail(f"tests/live/push_image.sh failed:\n{result.stderr[-3000:]}", pytrace=False)
    ref = result.stdout.strip().splitlines()[-1]
    assert "@sha256:" in ref, ref
    return ref


@pytest.fixture(scope="module")
def namespace() -> Iterator[str]:
    name = f"todo-live-{secrets.token_hex(3)}"
    apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
        }
    )
    yield name
    kubectl("delete", "namespace", name, "--wait=true", "--timeout=120s", check=False)


def get(kind: str, name: str, namespace: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(kubectl("-n", namespace, "get", kind, name, "-o", "json").stdout)
    return out


def pod(name: str, image: str, command: list[str], **spec: Any) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "main",
        "image": image,
        "command": command,
        "securityContext": RESTRICTED_CONTAINER,
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
    }
    container.update(spec.pop("container", {}))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"securityContext": RESTRICTED_POD, "containers": [container], **spec},
    }


def run_to_completion(namespace: str, manifest: dict[str, Any]) -> tuple[str, str]:
    """Runs a restartPolicy=Never pod; returns its phase and log."""
    manifest["spec"]["restartPolicy"] = "Never"
    manifest["metadata"]["namespace"] = namespace
    apply(manifest)
    name = manifest["metadata"]["name"]
    phase = wait_for(
        f"pod {name} to finish",
        lambda: (p := get("pod", name, namespace)["status"].get("phase")) in ("Succeeded", "Failed") and p,
        180,
        seen=lambda: json.dumps(get("pod", name, namespace)["status"])[-1500:],
    )
    return str(phase), kubectl("-n", namespace, "logs", name).stdout


@pytest.fixture(scope="module")
def web(namespace: str, image: str) -> str:
    """A PVC on the default StorageClass, a non-root pod serving a file it wrote there, a Service."""
    apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": namespace},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "64Mi"}}},
        }
    )
    server = pod(
        "web",
        image,
        [
            "sh",
            "-c",
            "echo hello-from-$(id -u) > /data/index.html && exec python3 -m http.server 8080 -d /data",
        ],
        container={
            "ports": [{"containerPort": 8080}],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            "readinessProbe": {"httpGet": {"path": "/index.html", "port": 8080}, "periodSeconds": 1},
        },
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
    )
    server["metadata"]["namespace"] = namespace
    apply(server)
    apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
        }
    )
    kubectl("-n", namespace, "wait", "pod/web", "--for=condition=Ready", "--timeout=300s")
    # A Ready pod is not yet a reachable Service: the EndpointSlice must list it, then kube-proxy
    # must write its rule (until then the Service's rule rejects connections: "No route to host").
    (address,) = wait_for(
        "the EndpointSlice of Service web to list its ready endpoint",
        lambda: ready_endpoints(get_json, namespace, "web"),
        120,
        seen=lambda: kubectl("-n", namespace, "get", "endpointslices", "-o", "wide").stdout,
    )
    wait_for(f"kube-proxy to forward Service web to {address}", lambda: proxy_forwards_to(address), 60)
    return namespace


def get_json(*args: str) -> Any:
    return json.loads(kubectl(*args, "-o", "json").stdout)


def test_pvc_binds_on_the_default_storage_class(web: str) -> None:
    claim = get("pvc", "data", web)
    assert claim["status"]["phase"] == "Bound"
    assert claim["spec"]["storageClassName"] == "standard"
    volume = get("pv", claim["spec"]["volumeName"], web)
    assert volume["spec"]["hostPath"]["path"].startswith("/tmp/hostpath_pv/")


def test_image_is_pulled_by_digest_from_the_local_registry(web: str, image: str) -> None:
    status = get("pod", "web", web)["status"]["containerStatuses"][0]
    assert status["imageID"].endswith(image.split("@", 1)[1])
    assert status["image"].startswith("127.0.0.1:5000/") or status["imageID"].startswith("127.0.0.1:5000/")


def test_restricted_namespace_refuses_a_root_pod(namespace: str, image: str) -> None:
    rootful = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "root", "namespace": namespace},
        "spec": {"containers": [{"name": "main", "image": image, "command": ["true"]}]},
    }
    result = kubectl("create", "--dry-run=server", "-f", "-", stdin=json.dumps(rootful), check=False)
    assert result.returncode != 0
    assert 'violates PodSecurity "restricted' in result.stderr


def test_service_reached_from_another_pod_by_cluster_dns_name(web: str, image: str) -> None:
    script = (
        "import urllib.request\n"
        f"for url in ('http://web', 'http://web.{web}.svc.cluster.local'):\n"
        "    print(url, urllib.request.urlopen(url, timeout=10).read().decode().strip())\n"
    )
    phase, log = run_to_completion(web, pod("client", image, ["python3", "-c", script]))
    assert phase == "Succeeded", log
    assert f"http://web.{web}.svc.cluster.local hello-from-10001" in log
    assert "http://web hello-from-10001" in log


def test_names_outside_the_cluster_do_not_resolve(web: str, image: str) -> None:
    script = (
        "import socket\n"
        "print(socket.gethostbyname('kubernetes.default'))\n"
        "try:\n"
        "    socket.gethostbyname('deb.debian.org')\n"
        "    print('RESOLVED')\n"
        "except socket.gaierror as e:\n"
        "    print('NXDOMAIN', e)\n"
    )
    phase, log = run_to_completion(web, pod("dns", image, ["python3", "-c", script]))
    assert phase == "Succeeded", log
    assert log.splitlines()[0] == "10.96.0.1"
    assert "NXDOMAIN" in log and "RESOLVED" not in log


def test_port_forward_on_loopback(web: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    forward = subprocess.Popen(
        [*KUBECTL, "-n", web, "port-forward", "--address", "127.0.0.1", "svc/web", f"{port}:80"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def served() -> str:
        if forward.poll() is not None:
            raise AssertionError(f"kubectl port-forward exited: {forward.communicate()[1]}")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as response:
            return str(response.read().decode())

    try:
        body = wait_for(
            f"kubectl port-forward to answer on 127.0.0.1:{port}", served, 30, retry_on=(OSError,)
        )
        assert body.strip() == "hello-from-10001"
    finally:
        forward.terminate()
        forward.wait(timeout=10)
