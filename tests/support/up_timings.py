"""scripts/lib/up_timings.py as a module (a stdlib script the live tiers and scripts read, not a package)."""

from __future__ import annotations

from tests.support.scripts import load_script

UP_TIMINGS = load_script("scripts/lib/up_timings.py")
