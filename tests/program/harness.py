"""Runs the real __main__.py under Pulumi's mocks (pulumi.runtime.set_mocks) and records what it declares.

The stack config is assembled the way the Pulumi CLI does it: Pulumi.yaml's declared defaults,
overridden by the stack file's values, every value a string, secret keys marked secret, handed to
the program in the PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS variables as the language host does.
Only public SDK APIs: set_mocks with a recording monitor, reset_options and pulumi.runtime.test.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import runpy
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import yaml
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, rpc
from pulumi.runtime.mocks import MockMonitor

REPO = Path(__file__).resolve().parents[2]
PROJECT = "todo-chatbot"
MAIN = REPO / "__main__.py"

IMAGE = "docker:index/image:Image"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"
PROVIDER = "pulumi:providers:kubernetes"
PASSWORD = "random:index/randomPassword:RandomPassword"
HELM_TEMPLATE = "kubernetes:helm:template"
STACK = "pulumi:pulumi:Stack"


def _cli_string(value: object) -> str:
    """The CLI hands every config value to the program as a string (booleans lowercase)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def project_config_declarations() -> dict[str, dict[str, Any]]:
    declared: dict[str, dict[str, Any]] = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    return declared


def stack_config(stack: str, overrides: Mapping[str, object] | None = None) -> dict[str, str]:
    """Project defaults + Pulumi.<stack>.yaml + overrides, as fully qualified keys with string values."""
    merged = {
        f"{PROJECT}:{key}": _cli_string(spec["default"])
        for key, spec in project_config_declarations().items()
        if "default" in spec
    }
    stack_file = REPO / f"Pulumi.{stack}.yaml"
    if stack_file.exists():
        for key, value in (yaml.safe_load(stack_file.read_text()).get("config") or {}).items():
            merged[key] = _cli_string(value)
    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            merged.pop(full, None)
        else:
            merged[full] = _cli_string(value)
    return merged


def is_secret(value: Any) -> bool:
    return bool(rpc.is_rpc_secret(value))


def secret_at(value: Any, *path: str) -> bool:
    """Whether the value at `path` is secret, itself or via a secret ancestor (Pulumi marks whole maps)."""
    for key in path:
        if is_secret(value):
            return True
        value = value[key]
    return is_secret(value)


def as_ints(value: Any) -> Any:
    """Config numbers cross the mock gRPC boundary as floats; compare them as the ints they are."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_ints(item) for item in value]
    return value


def unwrap(value: Any) -> Any:
    """The plain value, with every secret wrapper removed (recursively)."""
    if is_secret(value):
        return unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def fake_digest(image_name: str) -> str:
    """FAKE registry digest, derived from the pushed name:tag so equal content gives equal digests."""
    return "sha256:" + hashlib.sha256(image_name.encode()).hexdigest()


class FakeCloudMocks(Mocks):
    """Stands in for the providers: echoes inputs and adds the outputs the program reads (all fake)."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == IMAGE:
            name = unwrap(args.inputs["imageName"])
            state["repoDigest"] = f"{name.rsplit(':', 1)[0]}@{fake_digest(name)}"
        elif args.typ == PASSWORD:
            state["result"] = pulumi.Output.secret(f"fake{args.name.replace('-', '')}"[:32])
        elif args.typ == SECRET:
            state["metadata"] = {**unwrap(args.inputs["metadata"]), "resourceVersion": "101"}
        elif args.typ == RELEASE:
            state["status"] = {"status": "deployed", "name": unwrap(args.inputs.get("name")), "revision": 1}
        return f"{args.name}-id", state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == HELM_TEMPLATE:
            return {"result": helm_template(json.loads(args.args["jsonOpts"]))}, []
        return {}, []


def helm_template(opts: dict[str, Any]) -> list[dict[str, Any]]:
    """What the provider's `kubernetes:helm:template` answers, made by the real helm CLI: the chart's
    objects with its hooks, without its tests (the same Helm library, a client-only install)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as values:
        json.dump(opts.get("values") or {}, values)
        values.flush()
        done = subprocess.run(
            [
                "helm",
                "template",
                opts["release_name"],
                # As the provider loads a local chart: <path>/<chart>, `chart` empty for the path itself.
                str(Path(opts["path"]) / opts.get("chart", "")),
                "--namespace",
                opts["namespace"],
                "--values",
                values.name,
                "--skip-tests",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"helm template failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if isinstance(doc, dict)]


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    provider: str
    custom: bool
    dependencies: list[str]
    inputs: dict[str, Any]
    retain_on_delete: bool = False


@dataclass
class ProgramRun:
    """Everything one run of the program declared."""

    registrations: list[Registration] = field(default_factory=list)
    stack_outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str) -> Registration:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.registrations if r.urn == urn)

    def named(self, name: str) -> Registration:
        return next(r for r in self.registrations if r.name == name)

    def release_values(self) -> dict[str, Any]:
        values: dict[str, Any] = unwrap(self.one(RELEASE).inputs["values"])
        return values


class RecordingMonitor(MockMonitor):
    """The mock monitor, also keeping each registration's parent, provider, dependencies and inputs."""

    def __init__(self, mocks: Mocks, run: ProgramRun) -> None:
        super().__init__(mocks)
        self.run = run

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != STACK:
            self.run.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    provider=request.provider,
                    custom=request.custom,
                    dependencies=list(request.dependencies),
                    inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
                    retain_on_delete=bool(request.retainOnDelete),
                )
            )
        return response


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    old = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def run_program(
    stack: str,
    overrides: Mapping[str, object] | None = None,
    *,
    secret_config: Mapping[str, str] | None = None,
    context: Path = REPO,
    preview: bool = False,
    record: ProgramRun | None = None,
) -> ProgramRun:
    """Run __main__.py once, as `pulumi up` (or preview) would for `stack`, with `context` as the working dir.

    `record` receives what was declared even when the program fails.
    """
    run = ProgramRun() if record is None else record
    mocks = FakeCloudMocks()
    # A fresh root Stack per run (reset_options drops the previous one; set_mocks makes the new one).
    pulumi.runtime.reset_options(project=PROJECT, stack=stack, preview=preview)
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=stack, preview=preview, monitor=RecordingMonitor(mocks, run)
    )
    config = stack_config(stack, overrides)
    secret_keys = []
    for key, value in (secret_config or {}).items():
        config[f"{PROJECT}:{key}"] = value
        secret_keys.append(f"{PROJECT}:{key}")

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        runpy.run_path(str(MAIN), run_name="__main__")
        # Stack outputs are kept on the root Stack (the mocks' Stack registered none of them).
        exported: dict[str, Any] = getattr(pulumi.runtime.get_root_resource(), "outputs", {})
        return pulumi.Output.from_input(exported).apply(run.stack_outputs.update)

    environ = {
        "PULUMI_CONFIG": json.dumps(config),
        "PULUMI_CONFIG_SECRET_KEYS": json.dumps(secret_keys),
        # The program's network preflights (registry, kube context) have nothing to reach under mocks.
        "TODO_PREFLIGHT": "off",
    }
    # The program takes SIGINT for a quiet exit (components/interrupt.py); pytest keeps its own.
    pytest_sigint = signal.getsignal(signal.SIGINT)
    try:
        with _cwd(context), _environ(**environ):
            # What the language host's exec shim does with the two variables before it runs the program.
            pulumi.runtime.set_all_config(
                pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env()
            )
            program()
    finally:
        signal.signal(signal.SIGINT, pytest_sigint)
    return run
