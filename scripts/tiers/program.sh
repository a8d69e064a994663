# shellcheck shell=bash
# Tier 'program': the Pulumi program under Pulumi's mocks (no CLI, no cluster), the content tags,
# the project and stack files, scripts/up's prerequisite checks, and the program-to-chart
# contract (values.schema.json + real `helm template`). Budget: 2 minutes once helm is cached.
tier_program() {
  ensure_venv dev
  source "$REPO_ROOT/scripts/toolchain/helm.sh"
  ensure_helm
  run_pytest tests/program -q
}
