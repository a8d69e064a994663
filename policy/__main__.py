"""Entry point the Pulumi CLI runs for `--policy-pack policy` (with this directory first on sys.path)."""

from pulumi_policy import EnforcementLevel, PolicyPack

from todo_policy import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
