"""Rules on what will actually run: the objects the chart renders with the planned values.

The program's ChatbotRelease component carries them as its input `renderedObjects`
(components/release.py renders the chart with the kubernetes provider's own Helm), so a template
edit is checked as surely as a values override. Each finding names the object and the field path.
In preview, a digest the push has not made yet is rendered as a stand-in digest, so it passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from pulumi_policy import EnforcementLevel

from todo_policy.rules import Resource, Rule
from todo_policy.values import UNKNOWN, Finding, shown

RELEASE_COMPONENT: Final = "todo:index:ChatbotRelease"
RENDERED_OBJECTS: Final = "renderedObjects"
DIGEST_REFERENCE = re.compile(r"@sha256:[0-9a-f]{64}$")
# Pod Security Standards, "restricted" profile (kubernetes.io/docs/concepts/security/pod-security-standards).
RESTRICTED_VOLUMES: Final = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
SAFE_SYSCTLS: Final = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
SECCOMP_ALLOWED: Final = ("RuntimeDefault", "Localhost")
SELINUX_TYPES: Final = ("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t")
# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: Final = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
CONTAINER_LISTS: Final = ("initContainers", "containers", "ephemeralContainers")
FIX_TEMPLATE = (
    "change the chart (charts/todo-chatbot: the template or the value it reads) so this field meets "
    "Pod Security 'restricted'; the namespace enforces it, and a pod that breaks it is refused mid-rollout."
)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def rendered_objects(resource: Resource) -> list[dict[str, Any]]:
    if resource.type != RELEASE_COMPONENT:
        return []
    return [obj for obj in _list(resource.props.get(RENDERED_OBJECTS)) if isinstance(obj, dict)]


def _label(obj: dict[str, Any]) -> str:
    meta = _dict(obj.get("metadata"))
    where = f"{meta['namespace']}/{meta.get('name')}" if meta.get("namespace") else str(meta.get("name"))
    return f"{RENDERED_OBJECTS}[{obj.get('kind')} {where}]"


def pod_specs(resource: Resource) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path of the pod spec, the pod spec) of every workload the release renders."""
    for obj in rendered_objects(resource):
        path = POD_SPEC_PATHS.get(str(obj.get("kind")))
        if path is None:
            continue
        spec: Any = obj
        for key in path:
            spec = _dict(spec).get(key)
        if isinstance(spec, dict):
            yield f"{_label(obj)}.{'.'.join(path)}", spec


def containers(pod_path: str, spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in CONTAINER_LISTS:
        for container in _list(spec.get(kind)):
            if isinstance(container, dict):
                yield f"{pod_path}.{kind}[{container.get('name')}]", container


def _set(value: Any) -> bool:
    return value is not None and value is not UNKNOWN


# --- Pod Security "restricted" --------------------------------------------------------------------


def _pod_level(path: str, spec: dict[str, Any]) -> list[Finding]:
    findings = []
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            findings.append(
                Finding(f"{path}.{key}", "is true: the pod shares the node's namespace.", FIX_TEMPLATE)
            )
    for volume in _list(spec.get("volumes")):
        kinds = [k for k in _dict(volume) if k != "name"]
        if not kinds or any(kind not in RESTRICTED_VOLUMES for kind in kinds):
            findings.append(
                Finding(
                    f"{path}.volumes[{_dict(volume).get('name')}]",
                    f"is a {'/'.join(kinds) or 'typeless'} volume; 'restricted' allows only "
                    f"{', '.join(sorted(RESTRICTED_VOLUMES))}.",
                    FIX_TEMPLATE,
                )
            )
    context = _dict(spec.get("securityContext"))
    for sysctl in _list(context.get("sysctls")):
        name = _dict(sysctl).get("name")
        if name not in SAFE_SYSCTLS:
            findings.append(
                Finding(f"{path}.securityContext.sysctls[{name}]", "is not a safe sysctl.", FIX_TEMPLATE)
            )
    return findings


def _container_level(path: str, container: dict[str, Any], pod: dict[str, Any]) -> list[Finding]:
    findings = []
    own = _dict(container.get("securityContext"))
    pod_context = _dict(pod.get("securityContext"))
    where = f"{path}.securityContext"

    def finding(field: str, problem: str) -> None:
        findings.append(Finding(f"{where}.{field}", problem, FIX_TEMPLATE))

    if own.get("privileged") is True:
        finding("privileged", "is true.")
    if (
        own.get("allowPrivilegeEscalation") is not False
        and own.get("allowPrivilegeEscalation") is not UNKNOWN
    ):
        finding(
            "allowPrivilegeEscalation", f"is {shown(own.get('allowPrivilegeEscalation'))}; must be false."
        )
    capabilities = _dict(own.get("capabilities"))
    if "ALL" not in _list(capabilities.get("drop")) and capabilities.get("drop") is not UNKNOWN:
        finding("capabilities.drop", f"is {shown(capabilities.get('drop'))}; must include ALL.")
    added = [cap for cap in _list(capabilities.get("add")) if cap != "NET_BIND_SERVICE"]
    if added:
        finding("capabilities.add", f"adds {shown(added)}; only NET_BIND_SERVICE may be added.")
    if own.get("runAsNonRoot") is False:
        finding("runAsNonRoot", "is false.")
    elif own.get("runAsNonRoot") is not True and pod_context.get("runAsNonRoot") is not True:
        finding("runAsNonRoot", "is not set here nor on the pod; one of them must be true.")
    if own.get("runAsUser") == 0 and not isinstance(own.get("runAsUser"), bool):
        finding("runAsUser", "is 0 (root).")
    seccomp = _dict(own.get("seccompProfile")).get("type")
    pod_seccomp = _dict(pod_context.get("seccompProfile")).get("type")
    if _set(seccomp) and seccomp not in SECCOMP_ALLOWED:
        finding("seccompProfile.type", f"is {shown(seccomp)}; must be RuntimeDefault or Localhost.")
    elif not _set(seccomp) and pod_seccomp not in SECCOMP_ALLOWED and pod_seccomp is not UNKNOWN:
        finding("seccompProfile.type", "is not set here nor RuntimeDefault/Localhost on the pod.")
    if _set(own.get("procMount")) and own.get("procMount") != "Default":
        finding("procMount", f"is {shown(own.get('procMount'))}; must be Default.")
    selinux = _dict(own.get("seLinuxOptions"))
    if selinux.get("user") or selinux.get("role") or selinux.get("type", "") not in SELINUX_TYPES:
        finding("seLinuxOptions", f"is {shown(selinux)}; only the container types may be set.")
    if _dict(own.get("appArmorProfile")).get("type") == "Unconfined":
        finding("appArmorProfile.type", "is Unconfined.")
    for port in _list(container.get("ports")):
        if _dict(port).get("hostPort") not in (None, 0, UNKNOWN):
            findings.append(
                Finding(f"{path}.ports[{_dict(port).get('containerPort')}].hostPort", "is set.", FIX_TEMPLATE)
            )
    return findings


def pod_security_restricted(resource: Resource) -> list[Finding]:
    findings = []
    for pod_path, spec in pod_specs(resource):
        findings += _pod_level(pod_path, spec)
        context = _dict(spec.get("securityContext"))
        if context.get("runAsUser") == 0 and not isinstance(context.get("runAsUser"), bool):
            findings.append(Finding(f"{pod_path}.securityContext.runAsUser", "is 0 (root).", FIX_TEMPLATE))
        for path, container in containers(pod_path, spec):
            findings += _container_level(path, container, spec)
    return findings


POD_SECURITY_RESTRICTED = Rule(
    "pod-security-restricted",
    EnforcementLevel.MANDATORY,
    "Every pod the release renders meets Pod Security 'restricted': non-root, no privilege escalation, "
    "capabilities dropped, a seccomp profile, no host namespaces, ports or paths.",
    "The namespace enforces 'restricted' (components/target.py): a pod that breaks it is refused in the "
    "middle of the rollout, and on a cluster that does not enforce it the app would run with those "
    "privileges. Checked on the rendered objects, so a template edit counts as much as a value.",
    pod_security_restricted,
)


# --- every container's image by digest ------------------------------------------------------------


def rendered_images_by_digest(resource: Resource) -> list[Finding]:
    findings = []
    for pod_path, spec in pod_specs(resource):
        for path, container in containers(pod_path, spec):
            image = container.get("image")
            if image is UNKNOWN or (isinstance(image, str) and DIGEST_REFERENCE.search(image)):
                continue
            findings.append(
                Finding(
                    f"{path}.image",
                    f"is {shown(image)}, not a reference by digest (…@sha256:<64 hex digits>).",
                    "render the image as repository@digest (the chart's todo-chatbot.image helper does, "
                    "given images.<service>.digest); a tag can be pushed again with other content.",
                )
            )
    return findings


RENDERED_IMAGES_BY_DIGEST = Rule(
    "rendered-images-by-digest",
    EnforcementLevel.MANDATORY,
    "Every container and init container the release renders names its image by digest.",
    "A digest is exactly the bytes that were built and tested; a template that hard-codes an image "
    "by tag (a sidecar, an init container) would bypass the values-level rule.",
    rendered_images_by_digest,
)


# --- requests and limits on every container -------------------------------------------------------


def rendered_resources_set(resource: Resource) -> list[Finding]:
    findings = []
    for pod_path, spec in pod_specs(resource):
        for path, container in containers(pod_path, spec):
            if path.split(".")[-1].startswith("ephemeralContainers"):
                continue
            resources = _dict(container.get("resources"))
            missing = [
                f"{section}.{kind}"
                for section in ("requests", "limits")
                for kind in ("cpu", "memory")
                if not _set(_dict(resources.get(section)).get(kind))
            ]
            if missing:
                findings.append(
                    Finding(
                        f"{path}.resources",
                        f"has no {', '.join(missing)}.",
                        "give the container requests and limits (the chart's values.yaml has them per "
                        "component): without a request the scheduler overcommits, without a limit one "
                        "pod can take the node.",
                    )
                )
    return findings


RENDERED_RESOURCES_SET = Rule(
    "rendered-resources-set",
    EnforcementLevel.MANDATORY,
    "Every container the release renders has cpu and memory requests and limits.",
    "Requests let the scheduler place the pods honestly and limits keep one pod from starving the node; "
    "checked on the rendered objects, so a container a template adds counts too.",
    rendered_resources_set,
)

RENDERED_RULES: Final = (POD_SECURITY_RESTRICTED, RENDERED_IMAGES_BY_DIGEST, RENDERED_RESOURCES_SET)
