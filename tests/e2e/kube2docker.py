"""Translate a rendered Helm release into `docker run` specifications (no cluster needed).

The machine has a Docker engine but no Kubernetes, so the e2e tier runs the chart's RENDERED
manifests as containers. This module is the pure half of that: it reads `helm template` output and
answers, per pod, what Kubernetes would have given each container — image, command/args, env
resolved against the rendered ConfigMaps and the given Secrets, securityContext, emptyDir mounts,
resource limits, probes — and which Service names reach it. Anything it cannot map faithfully is an
error that names the object and field, never a silent skip: a reference that does not resolve is a
chart bug to report.

    release = Release.parse(rendered_yaml)
    runs = release.pod_containers(release.deployment("todo-todo-chatbot-backend"), secrets, "e2e-backend-0")

Kinds with no Docker counterpart (NetworkPolicy, PodDisruptionBudget, ...) are listed by
`Release.not_emulated` so the test can say what it did not prove.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

# Kinds that only matter to a real cluster; the translator records them and runs nothing for them.
CLUSTER_ONLY_KINDS = frozenset(
    {"ServiceAccount", "NetworkPolicy", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Ingress"}
)
# Kinds the translator understands.
RUNNABLE_KINDS = frozenset({"ConfigMap", "Service", "Deployment", "Job", "Pod", "Secret"})

# securityContext keys with a Docker mapping (or, like fsGroupChangePolicy, nothing to map).
_POD_SECURITY_KEYS = frozenset(
    {"runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup", "fsGroupChangePolicy", "seccompProfile",
     "supplementalGroups"}
)  # fmt: skip
_CONTAINER_SECURITY_KEYS = frozenset(
    {"runAsNonRoot", "runAsUser", "runAsGroup", "readOnlyRootFilesystem", "allowPrivilegeEscalation",
     "privileged", "capabilities", "seccompProfile"}
)  # fmt: skip

_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class TranslationError(ValueError):
    """The rendered release cannot be run as given; the message names the object and the field."""


# -- small typed accessors over parsed YAML ---------------------------------------------------------


def _map(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TranslationError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TranslationError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise TranslationError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _str_map(value: Any, where: str) -> dict[str, str]:
    mapping = _map(value, where)
    for key, item in mapping.items():
        if not isinstance(item, str):
            raise TranslationError(f"{where}.{key}: expected a string, got {item!r}")
    return dict(mapping)


def parse_quantity(text: str | int | float, where: str) -> float:
    """A Kubernetes resource quantity (`64Mi`, `500m`, `1.5`) as a plain number."""
    match = _QUANTITY.match(str(text))
    if match is None:
        raise TranslationError(f"{where}: {text!r} is not a Kubernetes quantity such as 64Mi, 500m or 2")
    number, suffix = float(match.group(1)), match.group(2)
    if suffix is None:
        return number
    if suffix == "m":
        return number / 1000
    return number * (_BINARY.get(suffix) or _DECIMAL[suffix])


def expand_vars(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: defined names are replaced, unknown ones kept, `$$` is `$`."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "$"
        return env.get(name, match.group(0))

    return _VAR_REF.sub(replace, text)


# -- the model ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Obj:
    """One rendered Kubernetes object."""

    kind: str
    name: str
    body: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def annotations(self) -> dict[str, str]:
        return _str_map(
            _map(self.body.get("metadata"), self.where).get("annotations"), f"{self.where} annotations"
        )

    @property
    def hooks(self) -> frozenset[str]:
        """The Helm hook events of this object (empty for a regular release object)."""
        raw = self.annotations.get("helm.sh/hook", "")
        return frozenset(part.strip() for part in raw.split(",") if part.strip())

    def pod_template(self) -> tuple[dict[str, str], dict[str, Any]]:
        """(pod labels, pod spec) of a Deployment, Job or Pod."""
        if self.kind == "Pod":
            meta, spec = _map(self.body.get("metadata"), self.where), self.body.get("spec")
        elif self.kind in {"Deployment", "Job"}:
            template = _map(_map(self.body.get("spec"), self.where).get("template"), f"{self.where} template")
            meta, spec = _map(template.get("metadata"), f"{self.where} template"), template.get("spec")
        else:
            raise TranslationError(f"{self.where}: {self.kind} has no pod template this translator runs")
        return _str_map(meta.get("labels"), f"{self.where} pod labels"), _map(spec, f"{self.where} pod spec")

    def replicas(self) -> int:
        """Pod count of a Deployment (1 for a Job or Pod)."""
        if self.kind != "Deployment":
            return 1
        replicas = _map(self.body.get("spec"), self.where).get("replicas", 1)
        if not isinstance(replicas, int) or replicas < 0:
            raise TranslationError(f"{self.where}: spec.replicas {replicas!r} is not a non-negative integer")
        return replicas


@dataclass(frozen=True)
class HttpProbe:
    """An httpGet probe resolved to a container port number."""

    path: str
    port: int
    period_seconds: float
    timeout_seconds: float
    failure_threshold: int
    initial_delay_seconds: float

    @property
    def budget_seconds(self) -> float:
        """How long Kubernetes would wait before declaring the probe failed for good."""
        return self.initial_delay_seconds + self.period_seconds * self.failure_threshold


@dataclass(frozen=True)
class ContainerRun:
    """Everything `docker run` needs for one container of one pod. `env` holds secrets: never print it."""

    pod: str
    container: str
    image: str
    entrypoint: str | None
    args: tuple[str, ...] | None
    env: dict[str, str] = field(repr=False)
    user: str
    group_add: tuple[str, ...]
    read_only: bool
    no_new_privileges: bool
    cap_drop: tuple[str, ...]
    cap_add: tuple[str, ...]
    seccomp_unconfined: bool
    tmpfs: tuple[str, ...]
    memory_bytes: int | None
    cpus: float | None
    stop_timeout: int | None
    ports: dict[str, int]
    labels: dict[str, str]
    is_init: bool
    startup_probe: HttpProbe | None = None
    readiness_probe: HttpProbe | None = None
    liveness_probe: HttpProbe | None = None

    @property
    def name(self) -> str:
        """Docker container name: `<pod>-<container>`."""
        return f"{self.pod}-{self.container}"

    def env_file_text(self) -> str:
        """The environment in `docker run --env-file` format (keeps values off the command line)."""
        lines = []
        for key, value in self.env.items():
            if "\n" in value or "\r" in value:
                raise TranslationError(
                    f"{self.name}: env {key} holds a line break, which docker --env-file cannot carry"
                )
            lines.append(f"{key}={value}")
        return "\n".join(lines) + "\n"

    def docker_run_args(
        self,
        *,
        network: str,
        aliases: Sequence[str],
        env_file: str,
        extra_labels: Mapping[str, str],
        publish: Sequence[str] = (),
        ip: str | None = None,
    ) -> list[str]:
        """Arguments after `docker run`: detached, on `network` with the Service `aliases`."""
        args = ["--detach", "--name", self.name, "--hostname", self.pod[:63], "--network", network]
        args += [f"--network-alias={alias}" for alias in aliases]
        if ip is not None:
            args += ["--ip", ip]
        args += ["--env-file", env_file, "--user", self.user]
        args += [f"--group-add={group}" for group in self.group_add]
        if self.read_only:
            args.append("--read-only")
        if self.no_new_privileges:
            args += ["--security-opt", "no-new-privileges"]
        if self.seccomp_unconfined:
            args += ["--security-opt", "seccomp=unconfined"]
        args += [f"--cap-drop={cap}" for cap in self.cap_drop]
        args += [f"--cap-add={cap}" for cap in self.cap_add]
        args += [f"--tmpfs={mount}" for mount in self.tmpfs]
        if self.memory_bytes is not None:
            # Equal swap limit: Kubernetes nodes run without swap, so the limit is the whole budget.
            args += ["--memory", str(self.memory_bytes), "--memory-swap", str(self.memory_bytes)]
        if self.cpus is not None:
            args += ["--cpus", f"{self.cpus:g}"]
        if self.stop_timeout is not None:
            args += ["--stop-timeout", str(self.stop_timeout)]
        args += [f"--publish={spec}" for spec in publish]
        for key, value in {**self.labels, **extra_labels}.items():
            args += ["--label", f"{key}={value}"]
        if self.entrypoint is not None:
            args += ["--entrypoint", self.entrypoint]
        args.append(self.image)
        if self.args is not None:
            args += list(self.args)
        return args


@dataclass(frozen=True)
class Release:
    """A parsed `helm template` output."""

    objects: tuple[Obj, ...]
    namespace: str

    @classmethod
    def parse(cls, rendered: str, namespace: str = "default") -> Release:
        """Parse `helm template` output; unknown kinds are an error, so nothing is dropped unseen."""
        objects: list[Obj] = []
        for document in yaml.safe_load_all(rendered):
            if document is None:
                continue
            body = _map(document, "rendered document")
            kind = _str(body.get("kind"), "rendered document kind")
            name = _str(_map(body.get("metadata"), kind).get("name"), f"{kind} metadata.name")
            if kind not in RUNNABLE_KINDS | CLUSTER_ONLY_KINDS:
                raise TranslationError(
                    f"{kind}/{name}: kind {kind} has no Docker translation here; run this values file "
                    "on a real cluster or extend tests/e2e/kube2docker.py"
                )
            objects.append(Obj(kind=kind, name=name, body=body))
        return cls(objects=tuple(objects), namespace=namespace)

    def of_kind(self, kind: str) -> list[Obj]:
        return [obj for obj in self.objects if obj.kind == kind]

    def get(self, kind: str, name: str) -> Obj:
        for obj in self.objects:
            if obj.kind == kind and obj.name == name:
                return obj
        have = sorted(obj.name for obj in self.of_kind(kind))
        raise TranslationError(f"{kind}/{name} is not in the rendered release; rendered {kind}s: {have}")

    @property
    def not_emulated(self) -> list[str]:
        """Objects that only a real cluster acts on (for the test's report of what it did not prove)."""
        return [obj.where for obj in self.objects if obj.kind in CLUSTER_ONLY_KINDS]

    @property
    def deployments(self) -> list[Obj]:
        return self.of_kind("Deployment")

    def hook_jobs(self, event: str) -> list[Obj]:
        """Jobs Helm runs at `event` (e.g. `pre-install`), in hook-weight order."""
        jobs = [job for job in self.of_kind("Job") if event in job.hooks]
        return sorted(jobs, key=lambda job: (int(job.annotations.get("helm.sh/hook-weight", "0")), job.name))

    def test_pods(self) -> list[Obj]:
        """The pods `helm test` runs."""
        return [pod for pod in self.of_kind("Pod") if "test" in pod.hooks or "test-success" in pod.hooks]

    def config_maps(self) -> dict[str, dict[str, str]]:
        return {
            cm.name: _str_map(cm.body.get("data"), f"{cm.where} data") for cm in self.of_kind("ConfigMap")
        }

    def rendered_secrets(self) -> dict[str, dict[str, str]]:
        """Secrets the chart itself renders (create mode), by name, with `stringData` values."""
        found: dict[str, dict[str, str]] = {}
        for secret in self.of_kind("Secret"):
            if secret.body.get("data"):
                raise TranslationError(
                    f"{secret.where}: base64 `data` is not supported; the chart uses stringData"
                )
            found[secret.name] = _str_map(secret.body.get("stringData"), f"{secret.where} stringData")
        return found

    # -- Services -----------------------------------------------------------------------------------

    def service_aliases(self, workloads: Sequence[Obj]) -> dict[str, list[str]]:
        """For each workload, the Service names whose selector matches its pod labels.

        Every Service must select at least one of `workloads`, and its port must equal the
        container port it targets: a Docker network alias reaches the container port directly and
        cannot remap ports as a Service does.
        """
        aliases: dict[str, list[str]] = {workload.name: [] for workload in workloads}
        for service in self.of_kind("Service"):
            spec = _map(service.body.get("spec"), service.where)
            selector = _str_map(spec.get("selector"), f"{service.where} spec.selector")
            if not selector:
                raise TranslationError(f"{service.where}: a Service without a selector has no pods to alias")
            matched = [w for w in workloads if _selects(selector, w.pod_template()[0])]
            if not matched:
                raise TranslationError(
                    f"{service.where}: selector {selector} matches no pod of {[w.where for w in workloads]}; "
                    "its name would resolve to nothing (check the selector labels in the chart)"
                )
            for workload in matched:
                _check_service_ports(service, spec, workload)
                aliases[workload.name] += [
                    service.name,
                    f"{service.name}.{self.namespace}",
                    f"{service.name}.{self.namespace}.svc",
                    f"{service.name}.{self.namespace}.svc.cluster.local",
                ]
        return aliases

    # -- pods ---------------------------------------------------------------------------------------

    def pod_containers(
        self, workload: Obj, secrets: Mapping[str, Mapping[str, str]], pod_name: str
    ) -> list[ContainerRun]:
        """The init containers (in order) then the containers of one pod of `workload`."""
        labels, spec = workload.pod_template()
        where = f"{workload.where} pod spec"
        pod_security = _map(spec.get("securityContext"), f"{where}.securityContext")
        _reject_unknown(pod_security, _POD_SECURITY_KEYS, f"{where}.securityContext")
        volumes = {
            _str(_map(volume, f"{where}.volumes").get("name"), f"{where}.volumes[].name"): _map(
                volume, f"{where}.volumes"
            )
            for volume in _list(spec.get("volumes"), f"{where}.volumes")
        }
        grace = spec.get("terminationGracePeriodSeconds")
        runs: list[ContainerRun] = []
        config_maps = self.config_maps()
        all_secrets = {**self.rendered_secrets(), **{name: dict(data) for name, data in secrets.items()}}
        for is_init, key in ((True, "initContainers"), (False, "containers")):
            for raw in _list(spec.get(key), f"{where}.{key}"):
                container = _map(raw, f"{where}.{key}[]")
                cname = _str(container.get("name"), f"{where}.{key}[].name")
                cwhere = f"{workload.where} container {cname}"
                env = resolve_env(container, config_maps, all_secrets, pod_name, self.namespace, cwhere)
                entrypoint, args = _command(container, env, cwhere)
                security = _container_security(pod_security, container, cwhere)
                ports = _ports(container, cwhere)
                memory, cpus = _limits(container, cwhere)
                runs.append(
                    ContainerRun(
                        pod=pod_name,
                        container=cname,
                        image=_str(container.get("image"), f"{cwhere} image"),
                        entrypoint=entrypoint,
                        args=args,
                        env=env,
                        tmpfs=_tmpfs_mounts(container, volumes, cwhere),
                        memory_bytes=memory,
                        cpus=cpus,
                        stop_timeout=int(grace) if isinstance(grace, int) else None,
                        ports=ports,
                        labels=labels,
                        is_init=is_init,
                        startup_probe=_probe(container.get("startupProbe"), ports, f"{cwhere} startupProbe"),
                        readiness_probe=_probe(
                            container.get("readinessProbe"), ports, f"{cwhere} readinessProbe"
                        ),
                        liveness_probe=_probe(
                            container.get("livenessProbe"), ports, f"{cwhere} livenessProbe"
                        ),
                        **security,
                    )
                )
        return runs


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def _check_service_ports(service: Obj, spec: Mapping[str, Any], workload: Obj) -> None:
    _, pod_spec = workload.pod_template()
    named: dict[str, int] = {}
    for container in _list(pod_spec.get("containers"), f"{workload.where} containers"):
        named.update(_ports(_map(container, workload.where), workload.where))
    for raw in _list(spec.get("ports"), f"{service.where} ports"):
        port = _map(raw, f"{service.where} ports[]")
        number = port.get("port")
        target = port.get("targetPort", number)
        if isinstance(target, str):
            if target not in named:
                raise TranslationError(
                    f"{service.where}: targetPort {target!r} names no container port of {workload.where} "
                    f"(its named ports: {sorted(named)})"
                )
            target = named[target]
        if target != number:
            raise TranslationError(
                f"{service.where}: port {number} targets container port {target}; a Docker network alias "
                "cannot remap ports, so the e2e needs Service port == container port"
            )


def _reject_unknown(section: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(section) - known)
    if unknown:
        raise TranslationError(f"{where}: {unknown} have no Docker mapping in tests/e2e/kube2docker.py")


def resolve_env(
    container: Mapping[str, Any],
    config_maps: Mapping[str, Mapping[str, str]],
    secrets: Mapping[str, Mapping[str, str]],
    pod_name: str,
    namespace: str,
    where: str,
) -> dict[str, str]:
    """The environment Kubernetes would give the container: envFrom first, then env (which wins)."""
    env: dict[str, str] = {}
    for raw in _list(container.get("envFrom"), f"{where} envFrom"):
        source = _map(raw, f"{where} envFrom[]")
        prefix = str(source.get("prefix", ""))
        if "configMapRef" in source:
            kind, sources, ref = (
                "ConfigMap",
                config_maps,
                _map(source["configMapRef"], f"{where} configMapRef"),
            )
        elif "secretRef" in source:
            kind, sources, ref = "Secret", secrets, _map(source["secretRef"], f"{where} secretRef")
        else:
            raise TranslationError(
                f"{where}: envFrom entry {sorted(source)} is neither configMapRef nor secretRef"
            )
        name = _str(ref.get("name"), f"{where} envFrom {kind} name")
        if name not in sources:
            if ref.get("optional") is True:
                continue
            raise TranslationError(
                f"{where}: envFrom {kind} {name!r} does not exist (have: {sorted(sources)}); a pod would "
                "fail with CreateContainerConfigError"
            )
        env.update({prefix + key: value for key, value in sources[name].items()})
    for raw in _list(container.get("env"), f"{where} env"):
        item = _map(raw, f"{where} env[]")
        name = _str(item.get("name"), f"{where} env[].name")
        if "valueFrom" not in item:
            env[name] = expand_vars(str(item.get("value", "")), env)
            continue
        value = _value_from(_map(item["valueFrom"], f"{where} env {name}"), config_maps, secrets,
                            pod_name, namespace, f"{where} env {name}")  # fmt: skip
        if value is not None:
            env[name] = value
    return env


def _value_from(
    source: Mapping[str, Any],
    config_maps: Mapping[str, Mapping[str, str]],
    secrets: Mapping[str, Mapping[str, str]],
    pod_name: str,
    namespace: str,
    where: str,
) -> str | None:
    for ref_key, kind, sources in (
        ("configMapKeyRef", "ConfigMap", config_maps),
        ("secretKeyRef", "Secret", secrets),
    ):
        if ref_key not in source:
            continue
        ref = _map(source[ref_key], f"{where} {ref_key}")
        name, key = (
            _str(ref.get("name"), f"{where} {ref_key}.name"),
            _str(ref.get("key"), f"{where} {ref_key}.key"),
        )
        optional = ref.get("optional") is True
        if name not in sources:
            if optional:
                return None
            raise TranslationError(
                f"{where}: {ref_key} names {kind} {name!r}, which does not exist (have: {sorted(sources)}); "
                "a pod would fail with CreateContainerConfigError"
            )
        if key not in sources[name]:
            if optional:
                return None
            raise TranslationError(
                f"{where}: {ref_key} names key {key!r} of {kind} {name!r}, "
                f"which has only {sorted(sources[name])}"
            )
        return sources[name][key]
    if "fieldRef" in source:
        path = _str(
            _map(source["fieldRef"], f"{where} fieldRef").get("fieldPath"), f"{where} fieldRef.fieldPath"
        )
        fields = {"metadata.name": pod_name, "metadata.namespace": namespace}
        if path not in fields:
            raise TranslationError(f"{where}: fieldRef {path!r} is not emulated (only {sorted(fields)})")
        return fields[path]
    raise TranslationError(f"{where}: valueFrom {sorted(source)} is not emulated")


def _command(
    container: Mapping[str, Any], env: Mapping[str, str], where: str
) -> tuple[str | None, tuple[str, ...] | None]:
    """Kubernetes command/args as Docker entrypoint/args: `command` replaces ENTRYPOINT (and the CMD)."""
    command = [expand_vars(str(part), env) for part in _list(container.get("command"), f"{where} command")]
    args_raw = container.get("args")
    args = (
        None
        if args_raw is None
        else tuple(expand_vars(str(p), env) for p in _list(args_raw, f"{where} args"))
    )
    if command:
        return command[0], (*command[1:], *(args or ()))
    return None, args


def _container_security(pod: Mapping[str, Any], container: Mapping[str, Any], where: str) -> dict[str, Any]:
    own = _map(container.get("securityContext"), f"{where} securityContext")
    _reject_unknown(own, _CONTAINER_SECURITY_KEYS, f"{where} securityContext")
    merged = {**pod, **own}
    uid, gid = merged.get("runAsUser"), merged.get("runAsGroup")
    if merged.get("runAsNonRoot") is True:
        if not isinstance(uid, int):
            raise TranslationError(
                f"{where}: runAsNonRoot without a numeric runAsUser cannot be checked here"
            )
        if uid == 0:
            raise TranslationError(
                f"{where}: runAsNonRoot is true but runAsUser is 0; the kubelet refuses to start it"
            )
    if merged.get("privileged") is True:
        raise TranslationError(
            f"{where}: privileged containers are not run by this e2e (and break the chart's policy)"
        )
    user = "" if uid is None else str(uid)
    if gid is not None:
        user = f"{user or 0}:{gid}"
    groups = [str(group) for group in _list(pod.get("supplementalGroups"), f"{where} supplementalGroups")]
    if isinstance(pod.get("fsGroup"), int):
        groups.append(str(pod["fsGroup"]))
    capabilities = _map(own.get("capabilities"), f"{where} capabilities")
    seccomp = _map(merged.get("seccompProfile"), f"{where} seccompProfile").get("type", "RuntimeDefault")
    if seccomp not in {"RuntimeDefault", "Unconfined"}:
        raise TranslationError(
            f"{where}: seccompProfile type {seccomp!r} is not emulated (RuntimeDefault, Unconfined)"
        )
    return {
        "user": user,
        "group_add": tuple(dict.fromkeys(groups)),
        "read_only": own.get("readOnlyRootFilesystem") is True,
        # Kubernetes sets no_new_privs exactly when allowPrivilegeEscalation is false.
        "no_new_privileges": own.get("allowPrivilegeEscalation") is False,
        "cap_drop": tuple(str(c) for c in _list(capabilities.get("drop"), f"{where} capabilities.drop")),
        "cap_add": tuple(str(c) for c in _list(capabilities.get("add"), f"{where} capabilities.add")),
        "seccomp_unconfined": seccomp == "Unconfined",
    }


def _ports(container: Mapping[str, Any], where: str) -> dict[str, int]:
    ports: dict[str, int] = {}
    for raw in _list(container.get("ports"), f"{where} ports"):
        port = _map(raw, f"{where} ports[]")
        number = port.get("containerPort")
        if not isinstance(number, int):
            raise TranslationError(f"{where}: containerPort {number!r} is not a number")
        ports[str(port.get("name") or number)] = number
    return ports


def _limits(container: Mapping[str, Any], where: str) -> tuple[int | None, float | None]:
    limits = _map(_map(container.get("resources"), f"{where} resources").get("limits"), f"{where} limits")
    memory = limits.get("memory")
    cpu = limits.get("cpu")
    return (
        None if memory is None else int(parse_quantity(memory, f"{where} limits.memory")),
        None if cpu is None else parse_quantity(cpu, f"{where} limits.cpu"),
    )


def _tmpfs_mounts(
    container: Mapping[str, Any], volumes: Mapping[str, Mapping[str, Any]], where: str
) -> tuple[str, ...]:
    """Each emptyDir mount as a tmpfs: world-writable with the sticky bit, like an emptyDir."""
    mounts: list[str] = []
    for raw in _list(container.get("volumeMounts"), f"{where} volumeMounts"):
        mount = _map(raw, f"{where} volumeMounts[]")
        name = _str(mount.get("name"), f"{where} volumeMounts[].name")
        path = _str(mount.get("mountPath"), f"{where} volumeMounts {name}.mountPath")
        if name not in volumes:
            raise TranslationError(
                f"{where}: volumeMount {name!r} names no volume of the pod (have: {sorted(volumes)})"
            )
        volume = volumes[name]
        if "emptyDir" not in volume:
            kinds = sorted(set(volume) - {"name"})
            raise TranslationError(
                f"{where}: volume {name!r} is {kinds}; only emptyDir is emulated (as tmpfs)"
            )
        if mount.get("subPath"):
            raise TranslationError(f"{where}: volumeMount {name!r} uses subPath, which tmpfs cannot emulate")
        options = ["rw", "nosuid", "nodev", "mode=1777"]
        size = _map(volume.get("emptyDir"), f"{where} volume {name}").get("sizeLimit")
        if size is not None:
            options.append(f"size={int(parse_quantity(size, f'{where} volume {name} sizeLimit'))}")
        if mount.get("readOnly") is True:
            options[0] = "ro"
        mounts.append(f"{path}:{','.join(options)}")
    return tuple(mounts)


def _probe(raw: Any, ports: Mapping[str, int], where: str) -> HttpProbe | None:
    if raw is None:
        return None
    probe = _map(raw, where)
    if "httpGet" not in probe:
        raise TranslationError(f"{where}: only httpGet probes are emulated, got {sorted(probe)}")
    http = _map(probe["httpGet"], f"{where} httpGet")
    if str(http.get("scheme", "HTTP")).upper() != "HTTP":
        raise TranslationError(f"{where}: scheme {http.get('scheme')!r} is not emulated (HTTP only)")
    port = http.get("port")
    if isinstance(port, str):
        if port not in ports:
            raise TranslationError(f"{where}: port {port!r} names no container port (have: {sorted(ports)})")
        port = ports[port]
    if not isinstance(port, int):
        raise TranslationError(f"{where}: port {port!r} is neither a number nor a port name")
    # Defaults are Kubernetes' own (periodSeconds 10, timeoutSeconds 1, failureThreshold 3).
    return HttpProbe(
        path=str(http.get("path", "/")),
        port=port,
        period_seconds=float(probe.get("periodSeconds", 10)),
        timeout_seconds=float(probe.get("timeoutSeconds", 1)),
        failure_threshold=int(probe.get("failureThreshold", 3)),
        initial_delay_seconds=float(probe.get("initialDelaySeconds", 0)),
    )
