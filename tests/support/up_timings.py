"""scripts/lib/up_timings.py as a module (a stdlib script the live tiers and scripts read, not a package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts/lib/up_timings.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("up_timings", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


UP_TIMINGS = _load()
