"""`pulumi preview --policy-pack policy` for real: the CLI starts the Python policy pack through the
language host (in the project's .venv, PulumiPolicy.yaml), runs every rule on the dev stack's
resources and on a stack that breaks a rule, and says so in its output and exit code."""

from __future__ import annotations

from components.services import SERVICE_NAMES
from tests.support.pulumi_cli import Result, Workspace
from todo_policy import POLICIES

# The --diff display lists the packs it ran as a table: name|local|path, version.
PACK_RUN = "todo-chatbot|local|policy  1.0.0"
NAMESPACE = "todo"  # the dev stack's (Pulumi.yaml)


def _review(ws: Workspace, stack: str) -> Result:
    return ws.pulumi("preview", "--diff", "--stack", stack, "--policy-pack", "policy", check=False)


def test_the_dev_stack_passes_every_rule(workspace: Workspace) -> None:
    workspace.new_stack("dev")
    preview = _review(workspace, "dev")
    text = preview.output
    assert preview.returncode == 0, text[-6000:]
    assert PACK_RUN in text, text[-6000:]
    # No rule skipped a value it could not read during preview, and none warned or failed.
    assert "can't run policy" not in text and "[advisory]" not in text, text[-6000:]
    assert "[mandatory]" not in text, text[-6000:]


def test_a_stack_that_breaks_a_rule_fails_with_where_and_how_to_fix(workspace: Workspace) -> None:
    # `qa` is not dev, yet keeps the in-cluster database on the cluster's default StorageClass.
    workspace.new_stack("qa")
    preview = _review(workspace, "qa")
    text = preview.output
    assert preview.returncode != 0, text[-6000:]
    assert PACK_RUN in text and "error: preview failed" in text, text[-6000:]
    assert "[mandatory]  durable-database-outside-dev  (kubernetes:helm.sh/v3:Release: release-chart)" in text
    assert (
        "release-chart: values.postgresql.persistence.storageClass is '' on stack 'qa' with the "
        "in-cluster database"
    ) in text, text[-6000:]
    assert "Fix: use an external database" in text
    # Only that rule failed: the rest of the stack is as compliant as dev.
    others = [policy.name for policy in POLICIES if policy.name != "durable-database-outside-dev"]
    assert [name for name in others if f"]  {name}" in text] == [], text[-6000:]
    assert "Traceback" not in text

    # Naming a StorageClass is the fix the message gives; with it the same stack passes.
    workspace.set("qa", "postgresStorageClass", "durable-ssd")
    fixed = _review(workspace, "qa")
    assert fixed.returncode == 0, fixed.output[-6000:]
    assert PACK_RUN in fixed.output and "[mandatory]" not in fixed.output


def test_a_template_that_weakens_a_pod_fails_naming_the_object_and_field(workspace: Workspace) -> None:
    # The rule reads the objects the chart renders (the release component's renderedObjects), so a
    # template edit that no values rule can see fails the preview too.
    template = workspace.root / "charts/todo-chatbot/templates/_workloads.tpl"
    text = template.read_text()
    context = "            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}\n"
    assert text.count(context) == 1
    weakened = context.replace(
        "$root.Values.containerSecurityContext",
        '(set (deepCopy $root.Values.containerSecurityContext) "runAsNonRoot" false)',
    )
    template.write_text(text.replace(context, weakened))
    try:
        workspace.new_stack("dev")
        preview = _review(workspace, "dev")
    finally:
        template.write_text(text)
    out = preview.output
    assert preview.returncode != 0 and "error: preview failed" in out, out[-6000:]
    assert "[mandatory]  pod-security-restricted  (todo:index:ChatbotRelease: release)" in out, out[-6000:]
    for service in SERVICE_NAMES:
        where = (
            f"release: renderedObjects[Deployment {NAMESPACE}/todo-chatbot-{service}]"
            f".spec.template.spec.containers[{service}].securityContext.runAsNonRoot is false."
        )
        assert where in out, out[-6000:]
