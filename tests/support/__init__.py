"""Helpers the test tiers share: a throwaway PostgreSQL server and the full-stack launcher."""
