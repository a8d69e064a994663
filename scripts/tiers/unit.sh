# Tier 'unit': placeholder until its issue lands.
tier_unit() {
  say "tier 'unit' has no tests yet (its issue has not landed); nothing to run"
}
