"""The values the program hands to the chart validate against values.schema.json and render with real Helm."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from components.names import component_name
from components.release import RENDERED_OBJECTS
from components.services import SERVICE_NAMES
from tests.chart.helm import chart_catalogue
from tests.program.conftest import STAGING_SECRETS
from tests.program.harness import RELEASE, SECRET, ProgramRun, as_ints, run_program, unwrap

CHART = Path(__file__).resolve().parents[2] / "charts" / "todo-chatbot"
SCHEMA = CHART / "values.schema.json"
WORKLOADS = {"Deployment", "StatefulSet", "Job", "Pod"}

VARIANTS = {
    "dev": ("dev", {}, {}),
    "staging": ("staging", {}, STAGING_SECRETS),
    "staging-openai": ("staging", {"agentEngine": "openai"}, {**STAGING_SECRETS, "openaiApiKey": "sk-fake"}),
}


def _merged(defaults: Any, overrides: Any) -> Any:
    """Helm's coalescing of user values over the chart's values.yaml (maps merge, the rest replaces)."""
    if isinstance(defaults, dict) and isinstance(overrides, dict):
        return {
            key: _merged(defaults.get(key), overrides[key]) if key in overrides else defaults[key]
            for key in {**defaults, **overrides}
        }
    return overrides


def _helm() -> str:
    helm = shutil.which("helm") or str(Path(__file__).resolve().parents[2] / ".cache" / "bin" / "helm")
    if not Path(helm).exists():
        pytest.fail("helm is not installed: run `scripts/test program`, which builds it.")
    return helm


def test_the_program_deploys_the_workloads_the_chart_lists() -> None:
    # The one place where two lists must agree: the chart cannot import components/services.py.
    assert chart_catalogue(_helm()) == list(SERVICE_NAMES)


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_the_release_component_carries_the_objects_its_release_renders(stack: str, tmp_path: Path) -> None:
    # The policy pack checks these (policy/todo_policy/rendered.py): they must be what Helm installs.
    secrets = STAGING_SECRETS if stack == "staging" else None
    run = run_program(stack, secret_config=secrets)
    carried = unwrap(run.one("todo:index:ChatbotRelease").inputs[RENDERED_OBJECTS])
    helm = [
        doc
        for doc in _render(run, tmp_path)
        if "test" not in doc["metadata"].get("annotations", {}).get("helm.sh/hook", "")
    ]

    def keys(docs: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return sorted((doc["kind"], doc["metadata"]["name"]) for doc in docs)

    assert keys(carried) == keys(helm)
    # The same objects field for field, hooks (the migration Job) included.
    dump = lambda doc: json.dumps(doc, sort_keys=True)  # noqa: E731
    assert sorted(map(dump, as_ints(carried))) == sorted(map(dump, as_ints(helm)))
    deployments = [doc for doc in carried if doc["kind"] == "Deployment"]
    assert len(deployments) == len(SERVICE_NAMES)
    for doc in deployments:
        assert all("@sha256:" in c["image"] for c in _containers(doc)), doc["metadata"]["name"]


def _render(run: ProgramRun, tmp_path: Path) -> list[dict[str, Any]]:
    return render_release(unwrap(run.one(RELEASE).inputs), tmp_path)


def render_release(release: dict[str, Any], tmp_path: Path) -> list[dict[str, Any]]:
    """A Helm release's inputs as the program declares them, rendered by the real `helm template`."""
    values_file = tmp_path / "values.json"
    values_file.write_text(json.dumps(as_ints(release["values"])))
    result = subprocess.run(
        [
            _helm(),
            "template",
            release["name"],
            str(CHART),
            "--namespace",
            release["namespace"],
            "-f",
            str(values_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"helm template failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]
    pod = spec if doc["kind"] == "Pod" else spec["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


@pytest.mark.parametrize("variant", VARIANTS)
def test_program_values_match_the_chart_schema(context: Path, variant: str) -> None:
    stack, overrides, secrets = VARIANTS[variant]
    values = as_ints(run_program(stack, overrides, secret_config=secrets, context=context).release_values())
    schema = json.loads(SCHEMA.read_text())
    # Helm validates the schema against the chart's defaults coalesced with the given values.
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    jsonschema.Draft7Validator(schema).validate(_merged(defaults, values))
    # And no key the program sets is one the chart does not know (the schema forbids extra keys).
    assert _merged(defaults, values).keys() == defaults.keys()


@pytest.mark.parametrize("variant", VARIANTS)
def test_program_values_render_the_release_the_outputs_describe(
    context: Path, tmp_path: Path, variant: str
) -> None:
    stack, overrides, secrets = VARIANTS[variant]
    run = run_program(stack, overrides, secret_config=secrets, context=context)
    values = run.release_values()
    docs = _render(run, tmp_path)
    by_kind_name = {(d["kind"], d["metadata"]["name"]): d for d in docs}

    # The Service the outputs name (openCommand, port-forward) is the chart's frontend Service.
    outputs = run.stack_outputs
    frontend = by_kind_name[("Service", outputs["frontendService"])]
    assert frontend["spec"]["type"] == values["frontend"]["service"]["type"]
    if "nodePort" in outputs:
        assert frontend["spec"]["ports"][0]["nodePort"] == int(outputs["nodePort"])

    # Pods run exactly the pushed digests.
    pushed = set(outputs["images"].values())
    used = {c["image"] for d in docs if d["kind"] in WORKLOADS for c in _containers(d)}
    app_images = {image for image in used if "/todo-" in image}
    assert app_images == pushed

    # The Secrets the program creates are the ones the pods read, key for key.
    created = {
        unwrap(s.inputs["metadata"])["name"]: set(unwrap(s.inputs["stringData"])) for s in run.of_type(SECRET)
    }
    for doc in docs:
        if doc["kind"] not in WORKLOADS:
            continue
        for container in _containers(doc):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    assert ref["key"] in created.get(ref["name"], set()), (
                        f"{doc['metadata']['name']} reads {ref}"
                    )
        for volume in (doc["spec"].get("template", {}).get("spec", doc["spec"])).get("volumes", []):
            if "secret" in volume:
                name = volume["secret"]["secretName"]
                assert name in created, f"{doc['metadata']['name']} mounts missing Secret {name}"
                for item in volume["secret"].get("items", []):
                    assert item["key"] in created[name]

    replicas = {d["metadata"]["name"]: d["spec"].get("replicas") for d in docs if d["kind"] == "Deployment"}
    for service in SERVICE_NAMES:
        assert replicas[component_name(outputs["releaseName"], service)] == values[service]["replicas"]

    if values["postgresql"]["mode"] == "inCluster":
        # The URL in the database Secret points at the chart's PostgreSQL Service, user and database.
        database = next(
            s for s in run.of_type(SECRET) if unwrap(s.inputs["metadata"])["name"] == "todo-chatbot-database"
        )
        # The program creates only the password; the chart composes the URL every service reads
        # from its own Service, user and database, with the password from that Secret.
        assert set(unwrap(database.inputs["stringData"])) == {"password"}
        statefulset = next(d for d in docs if d["kind"] == "StatefulSet")
        env = {
            e["name"]: e.get("value") for e in statefulset["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        for doc in docs:
            if doc["kind"] not in WORKLOADS:
                continue
            for container in _containers(doc):
                by_name = {e["name"]: e for e in container.get("env", [])}
                if "TODO_DATABASE_URL" not in by_name:
                    continue
                reference = by_name["TODO_DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"]
                assert (reference["name"], reference["key"]) == ("todo-chatbot-database", "password")
                url = urlsplit(by_name["TODO_DATABASE_URL"]["value"])
                assert url.password == "$(TODO_DATABASE_PASSWORD)", container["name"]
                assert ("Service", url.hostname) in by_kind_name
                assert (env["POSTGRES_USER"], env["POSTGRES_DB"]) == (url.username, url.path.lstrip("/"))
    else:
        assert not any(d["kind"] == "StatefulSet" for d in docs)

    if values["ingress"]["enabled"]:
        ingress = next(d for d in docs if d["kind"] == "Ingress")
        assert ingress["spec"]["rules"][0]["host"] == urlsplit(outputs["url"]).hostname

    rendered = json.dumps(docs)
    for secret in run.of_type(SECRET):
        for text in unwrap(secret.inputs["stringData"]).values():
            assert text not in rendered, "a secret value reached the rendered manifests"


def _schema_node(*path: str) -> Any:
    node = json.loads(SCHEMA.read_text())
    for key in path:
        node = node["properties"][key]
    return node


def _schema_enum(*path: str) -> list[str]:
    return list(_schema_node(*path)["enum"])


# JSON Schema's `$` is the end of the text; Python's `$` also matches before a final newline.
SIZE_PATTERN = re.compile(
    re.sub(r"\$$", r"\\Z", _schema_node("postgresql", "persistence", "size")["pattern"])
)


@settings(max_examples=300, deadline=None)
@given(
    text=st.builds(
        str.__add__,
        st.from_regex(r"[-+]?[0-9.]{0,4}[eEKMGTPEimnuk]{0,2}[-+]?[0-9]{0,2}", fullmatch=True),
        st.sampled_from(["", "", "", "\n", " "]),
    )
    | st.text(max_size=8)
)
def test_the_charts_size_pattern_is_the_programs_quantity_grammar(text: str) -> None:
    """The chart's schema (plain helm users) and the program read sizes by the same grammar, and
    every size the program accepts for PostgreSQL's volume passes the chart's schema."""
    from components.config_checks import quantity_value, storage_size_problem

    assert bool(SIZE_PATTERN.search(text)) == (quantity_value(text) is not None), text
    if storage_size_problem(text) is None:
        assert SIZE_PATTERN.search(text)


def test_the_programs_choices_are_the_charts_and_the_apps() -> None:
    """Each set of names the program validates stack config against is, exactly, what the chart's
    schema accepts; the engine names are also the app's enum and the backend Dockerfile's cases."""
    from components.settings import AGENT_ENGINE_NAMES, DATABASE_MODES, SERVICE_TYPES
    from todo.core.settings import AgentEngine

    assert _schema_enum("agent", "engine") == list(AGENT_ENGINE_NAMES)
    assert _schema_enum("frontend", "service", "type") == list(SERVICE_TYPES)
    assert _schema_enum("postgresql", "mode") == list(DATABASE_MODES)
    assert [engine.value for engine in AgentEngine] == list(AGENT_ENGINE_NAMES)
    dockerfile = (CHART.parents[1] / "dockerfiles" / "backend.Dockerfile").read_text()
    cases = re.findall(r"^\s+(\w+)\) lock=", dockerfile, re.MULTILINE)
    assert cases == list(AGENT_ENGINE_NAMES)
