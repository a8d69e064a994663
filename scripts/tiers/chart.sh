# Tier 'chart': placeholder until its issue lands.
tier_chart() {
  say "tier 'chart' has no tests yet (its issue has not landed); nothing to run"
}
