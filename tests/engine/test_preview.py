"""`pulumi preview` of the committed stacks under the real engine: the CLI's own config checks, the
program, the providers' server-side dry runs, and the checkout left exactly as it was."""

from __future__ import annotations

import hashlib

from components.services import SERVICE_NAMES
from tests.support.pulumi_cli import UNREACHABLE_CONTEXT, Workspace, changes, planned, release_objects

# Everything the dev stack declares: 4 images, Namespace, 3 passwords, 2 Secrets, the release, the
# four components and the explicit kubernetes provider (default providers are not steps).
DEV_CREATES = sorted(
    [
        "todo-chatbot-dev",
        "images",
        "images-backend",
        "images-mcp",
        "images-frontend",
        "images-postgres",
        "cluster",
        "cluster-k8s",
        "cluster-namespace",
        "secrets",
        "secrets-jwt-secret",
        "secrets-mcp-token",
        "secrets-db-password",
        "secrets-app",
        "secrets-database",
        "release",
        "release-chart",
    ]
)


def _tracked_digest(ws: Workspace) -> dict[str, str]:
    files = ("Pulumi.yaml", "Pulumi.staging.yaml", "requirements.txt", ".gitignore")
    return {name: hashlib.sha256((ws.root / name).read_bytes()).hexdigest() for name in files}


def test_dev_preview_runs_for_a_new_user_and_leaves_the_checkout_clean(workspace: Workspace) -> None:
    before = _tracked_digest(workspace)
    workspace.new_stack("dev")
    preview = workspace.preview("dev")
    assert planned(preview) == {"create": DEV_CREATES}
    assert _tracked_digest(workspace) == before, "the CLI rewrote a committed file"
    # dev's stack file is the user's own (salt only) and ignored by git.
    assert "encryptionsalt" in workspace.read("Pulumi.dev.yaml")
    assert "warning" not in preview.stderr.lower(), preview.stderr
    # No release yet: the object diff lists every object the chart will create, and only that.
    diff = release_objects(preview.json())
    lines = diff.splitlines()
    assert lines[0].startswith("release objects: ") and lines[0].endswith(" to create"), diff
    objects = [line.strip() for line in lines[1:] if line[:3] in ("  +", "  ~", "  -", "  !")]
    assert objects and all(line.startswith("+ ") for line in objects), diff
    assert int(lines[0].split()[2]) == len(objects), diff
    for service in SERVICE_NAMES:
        assert any(line.startswith("+ Deployment ") and line.endswith(f"-{service}") for line in objects), (
            diff
        )
    [hooks] = [line for line in lines if line.startswith("  hooks run by the install or upgrade: ")]
    assert "Job todo/todo-chatbot-migrate" in hooks, diff  # the migration hook


def test_staging_preview_with_its_secrets_set(workspace: Workspace, standins: dict[str, str]) -> None:
    committed = workspace.read("Pulumi.staging.yaml")
    workspace.new_stack("staging")
    # staging builds on preview: the stand-ins replace the official bases, and the registry stays
    # on loopback (registry.example.com must never be contacted from here).
    workspace.set("staging", "registry", "localhost:5000/staging")
    for key, image in standins.items():
        workspace.set("staging", key, image)
    workspace.set("staging", "registryPassword", "not-a-real-token", secret=True)
    workspace.set("staging", "databaseUrl", "postgresql+psycopg://todo:pw@127.0.0.1:5432/todo", secret=True)
    after = workspace.read("Pulumi.staging.yaml")
    # The CLI adds lines and rewrites none: every committed line but the one overridden here
    # (registry) is still there, byte for byte and in order.
    expected = [
        line for line in committed.splitlines() if line.strip() and "todo-chatbot:registry:" not in line
    ]
    kept = [line for line in after.splitlines() if line in expected]
    assert kept == expected, "the CLI rewrote committed lines"
    assert "not-a-real-token" not in after and "pw@127.0.0.1" not in after
    assert after.count("secure: v1:") == 2
    preview = workspace.preview("staging")
    created = planned(preview)["create"]
    assert {"images-backend", "images-mcp", "images-frontend", "secrets-database", "release-chart"} <= set(
        created
    )
    assert "images-postgres" not in created and "secrets-db-password" not in created


def test_preview_against_a_cluster_that_does_not_answer_says_so(workspace: Workspace) -> None:
    workspace.new_stack("dev")
    workspace.set("dev", "kubeContext", UNREACHABLE_CONTEXT)
    preview = workspace.preview("dev", check=False)
    text = preview.output
    assert UNREACHABLE_CONTEXT in text and "does not answer" in text, text[-3000:]
    assert "Traceback" not in text


def test_a_second_preview_plans_the_same(workspace: Workspace) -> None:
    workspace.new_stack("dev")
    cold = workspace.preview("dev")
    warm = workspace.preview("dev")
    assert changes(cold) == changes(warm)
    print(f"\npreview wall time: cold {cold.seconds:.1f} s, warm {warm.seconds:.1f} s")
