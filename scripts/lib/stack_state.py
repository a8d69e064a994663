"""Reads and edits a `pulumi stack export` document for scripts/lib/interrupted.sh (stdlib only:
it runs on the python3 scripts/up requires, before the project's venv matters).

  stack_state.py report  < export.json    one tab-separated line per fact:
      pending  OP  URN  TYPE  NAMESPACE  NAME   an operation the last run left unfinished
      release  URN  NAMESPACE  NAME  STATUS     a Helm release the stack manages or was creating,
                                                with the status its state records ("" if none)
  stack_state.py mark-for-upgrade URN < export-with-secrets.json > edited.json
      the document with the release's recorded chart checksum changed, so the next update upgrades it
  stack_state.py during-last-update TIME < history.json
      exit 0 when TIME (RFC 3339) falls within the newest finished update of `pulumi stack history --json`
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"


def _where(resource: dict[str, Any]) -> tuple[str, str]:
    """(namespace, name) of a Kubernetes object or a Helm release, from its recorded inputs."""
    inputs = resource.get("inputs") or {}
    if resource.get("type") == RELEASE_TYPE:
        return str(inputs.get("namespace") or ""), str(inputs.get("name") or "")
    metadata = inputs.get("metadata") or {}
    return str(metadata.get("namespace") or ""), str(metadata.get("name") or "")


def report(state: dict[str, Any]) -> Iterator[str]:
    deployment = state.get("deployment") or {}
    pending = deployment.get("pending_operations") or []
    for operation in pending:
        resource = operation.get("resource") or {}
        namespace, name = _where(resource)
        yield "\t".join(
            ["pending", str(operation.get("type")), resource["urn"], resource["type"], namespace, name]
        )
    resources = [*deployment.get("resources", []), *(op.get("resource") or {} for op in pending)]
    seen: set[str] = set()
    for resource in resources:
        if resource.get("type") == RELEASE_TYPE and resource["urn"] not in seen:
            seen.add(resource["urn"])
            status = ((resource.get("outputs") or {}).get("status") or {}).get("status", "")
            yield "\t".join(["release", resource["urn"], *_where(resource), str(status)])


# How `pulumi stack export --show-secrets` writes a secret: this marker key and value, and "plaintext".
SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


def mark_for_upgrade(state: dict[str, Any], urn: str) -> dict[str, Any]:
    """The Release's recorded inputs (its secret `__inputs` output, which the provider diffs against
    the program) get a checksum no chart has: the next update sees a change and upgrades."""
    (resource,) = [r for r in state["deployment"]["resources"] if r["urn"] == urn]
    recorded = resource["outputs"]["__inputs"]
    if (
        not isinstance(recorded, dict)
        or recorded.get(SECRET_SIG[0]) != SECRET_SIG[1]
        or "plaintext" not in recorded
    ):
        raise SystemExit(f"{urn}: its __inputs are not a shown secret (export with --show-secrets)")
    inputs = json.loads(recorded["plaintext"])
    inputs["checksum"] = "interrupted-upgrade"
    recorded["plaintext"] = json.dumps(inputs)
    return state


def during_last_update(history: list[dict[str, Any]], moment: str) -> bool:
    """Whether ``moment`` lies within the newest update that has ended (times to the second)."""
    finished = [update for update in history if update.get("endTime")]
    if not finished:
        return False

    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(microsecond=0)

    newest = max(finished, key=lambda update: parse(update["startTime"]))
    start, end = parse(newest["startTime"]), parse(newest["endTime"]) + timedelta(seconds=1)
    return start <= parse(moment) <= end


def main(argv: list[str]) -> int:
    state = json.load(sys.stdin)
    if argv[:1] == ["during-last-update"] and len(argv) == 2:
        return 0 if during_last_update(state, argv[1]) else 1
    if argv[:1] == ["mark-for-upgrade"] and len(argv) == 2:
        json.dump(mark_for_upgrade(state, argv[1]), sys.stdout)
        return 0
    if argv[:1] == ["report"]:
        for line in report(state):
            print(line)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
