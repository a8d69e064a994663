# Tier 'frontend': placeholder until its issue lands.
tier_frontend() {
  say "tier 'frontend' has no tests yet (its issue has not landed); nothing to run"
}
