"""Shared data layer: settings, database, models and the task service used by every service."""
