"""Which files a Dockerfile takes from the context, with Docker's .dockerignore semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.build_context import DockerIgnore, content_tag, context_files, parse_dockerfile


def test_parser_reads_copy_add_and_bind_mounts_but_not_other_stages() -> None:
    inputs = parse_dockerfile(
        "# a comment\n"
        "ARG SRC=app/src\n"
        "FROM python:3.13-slim AS build\n"
        "COPY --chown=10001:10001 ${SRC}/todo /opt/todo\n"
        'COPY ["frontend/package.json", "frontend/package-lock.json", "/web/"]\n'
        "copy lowercase.txt /x\n"
        "ADD https://example.com/tool.tgz /tmp/\n"
        "RUN --mount=type=cache,target=/root/.cache \\\n"
        "    --mount=type=bind,source=uv.lock,target=uv.lock \\\n"
        "    --mount=type=bind,from=build,source=/x,target=/y \\\n"
        "    echo 'quote: unbalanced\n"
        "COPY --from=build /opt/todo /opt/todo\n"
        "COPY --from=docker.io/library/busybox /bin/sh /bin/sh\n"
        "COPY <<EOF /etc/motd\nhello\nEOF\n"
        "COPY $UNKNOWN/x /x\n"
    )
    assert inputs.sources == (
        "app/src/todo",
        "frontend/package.json",
        "frontend/package-lock.json",
        "lowercase.txt",
        "uv.lock",
        "*/x",
    )
    assert inputs.remote == ("https://example.com/tool.tgz",)


@pytest.mark.parametrize(
    ("rules", "path", "ignored"),
    [
        (["*.md"], "README.md", True),
        (["*.md"], "app/README.md", False),  # Docker's '*' never crosses '/': root only
        (["**/*.md"], "app/docs/README.md", True),
        (["node_modules"], "node_modules/react/index.js", True),  # a matched directory takes its files
        (["**/node_modules"], "frontend/node_modules/react/index.js", True),
        (["frontend/dist"], "frontend/dist/assets/app.js", True),
        (["*.md", "!CHANGELOG.md"], "CHANGELOG.md", False),
        (["docs", "!docs/keep.txt"], "docs/keep.txt", False),
        (["docs", "!docs/keep.txt"], "docs/other.txt", True),
        (["/app/tmp"], "app/tmp/x", True),
        (["app/?.py"], "app/a.py", True),
        (["app/?.py"], "app/ab.py", False),
    ],
)
def test_dockerignore_semantics(rules: list[str], path: str, ignored: bool) -> None:
    assert DockerIgnore(rules).ignores(path) is ignored


def test_context_files_follow_the_dockerfile_and_the_ignore_file(context: Path) -> None:
    assert context_files(context, "dockerfiles/frontend.Dockerfile") == [
        "frontend/nginx/start.sh",
        "frontend/package-lock.json",
        "frontend/package.json",
        "frontend/src/main.tsx",
    ]
    assert context_files(context, "dockerfiles/backend.Dockerfile") == [
        "app/pyproject.toml",
        "app/requirements/backend.txt",
        "app/src/todo/api/routes.py",
        "app/src/todo/core/tasks.py",
    ]


def test_a_dockerfile_specific_ignore_file_wins(context: Path) -> None:
    (context / "dockerfiles/frontend.Dockerfile.dockerignore").write_text("frontend/src\n")
    assert "frontend/src/main.tsx" not in context_files(context, "dockerfiles/frontend.Dockerfile")
    # The other images still use the context's .dockerignore.
    assert "app/src/todo/core/tasks.py" in context_files(context, "dockerfiles/backend.Dockerfile")


def test_tag_depends_on_platform_build_args_and_content(context: Path) -> None:
    def tag(**changes: object) -> str:
        options: dict[str, object] = {"platform": "linux/amd64", "build_args": {"A": "1"}, **changes}
        return content_tag(context, "dockerfiles/mcp.Dockerfile", **options)  # type: ignore[arg-type]

    base = tag()
    assert len(base) == 16 and int(base, 16) >= 0
    assert tag() == base
    assert tag(platform="linux/arm64") != base
    assert tag(build_args={"A": "2"}) != base
    (context / "app/src/todo/mcp/server.py").write_text("TOOLS = ['add_task']\n")
    assert tag() != base


def test_a_new_file_under_a_copied_directory_changes_the_tag(context: Path) -> None:
    before = content_tag(context, "dockerfiles/mcp.Dockerfile", platform="linux/amd64", build_args={})
    (context / "app/src/todo/mcp/tools.py").write_text("")
    after = content_tag(context, "dockerfiles/mcp.Dockerfile", platform="linux/amd64", build_args={})
    assert before != after


def test_ignored_directories_are_pruned_only_when_nothing_inside_can_come_back() -> None:
    allowlist = DockerIgnore(["*", "!app/src/", "!frontend/", "frontend/node_modules", "!**/keep.txt"])
    assert not allowlist.can_prune("app")  # !app/src re-includes something below it
    assert not allowlist.can_prune("frontend")  # not ignored at all
    assert not allowlist.can_prune("frontend/node_modules")  # !**/keep.txt could match inside
    strict = DockerIgnore(["*", "!app/src/", "!frontend/", "frontend/node_modules"])
    assert strict.can_prune("frontend/node_modules")
    assert strict.can_prune("tests")
    assert not strict.ignores("app/src/todo/x.py")
