# shellcheck shell=bash
# Tier 'policy': the review policy pack (policy/) rule by rule, on the program's own dev and staging
# stacks (under Pulumi's mocks) and on non-compliant inputs, with the exact violations. The real
# `pulumi preview --policy-pack policy` runs in the engine tier. helm renders the chart for the
# rules on rendered objects (the mocks answer the provider's template invoke with it).
tier_policy() {
  ensure_venv dev
  source "$REPO_ROOT/scripts/toolchain/helm.sh"
  ensure_helm
  run_pytest tests/policy -q
}
