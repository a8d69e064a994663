# Tier 'app': placeholder until its issue lands.
tier_app() {
  say "tier 'app' has no tests yet (its issue has not landed); nothing to run"
}
