"""Slims the image venv's site-packages in the builder stage of dockerfiles/{backend,mcp}.Dockerfile.

Run with the venv's own interpreter after the locked install (which compiled every module):
    /opt/venv/bin/python slim_site_packages.py

- Third-party modules ship as bytecode only: each module's compiled .pyc moves next to it (where
  CPython imports a sourceless module from) and its .py goes. Bytecode is kept, not dropped: a
  read-only root cannot cache it and compiling at every start breaks the 3 s start budget.
- Kept as source: modules whose source a library reads at run time (KEEP_SOURCE), templates, and
  any module without a compiled .pyc.
- Removed: tests/ directories inside packages, the test harnesses TEST_SUPPORT and .pyi type stubs
  (no runtime imports or reads them).
Licences, metadata, data files and native libraries stay (the Dockerfile strips the latter).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import sysconfig
from pathlib import Path

# Modules whose source their library reads at run time (inspect.getsource), relative to site-packages.
KEEP_SOURCE = {
    # anyio builds its lazy-import map from its own __init__ sources (else it imports eagerly).
    "anyio/__init__.py",
    "anyio/abc/__init__.py",
    # openai-agents reads this module's source when agents.sandbox.sandboxes.unix_local is imported.
    "agents/sandbox/sandboxes/_unix_local_file_ops.py",
}

# Test-suite harnesses shipped inside runtime libraries; only their own test suites import them.
TEST_SUPPORT = ("sqlalchemy/testing", "alembic/testing")


def slim(site: Path) -> tuple[int, int]:
    """Answers (bytes before, bytes after) of the Python sources, bytecode, stubs and tests."""
    before = after = 0
    harnesses = [site / name for name in TEST_SUPPORT]
    for package_tests in [*site.glob("*/tests"), *site.glob("*/test"), *harnesses]:
        if package_tests.is_dir() and (package_tests.parent / "__init__.py").exists():
            before += _size(package_tests)
            shutil.rmtree(package_tests)
    for stub in site.rglob("*.pyi"):
        before += stub.stat().st_size
        stub.unlink()
    for source in sorted(site.rglob("*.py")):
        relative = source.relative_to(site).as_posix()
        cached = Path(importlib.util.cache_from_source(str(source)))
        size = source.stat().st_size + (cached.stat().st_size if cached.exists() else 0)
        before += size
        if relative in KEEP_SOURCE or "templates" in source.parts or not cached.exists():
            after += size
            continue
        cached.replace(source.with_suffix(".pyc"))
        source.unlink()
        after += source.with_suffix(".pyc").stat().st_size
    for cache_dir in sorted(site.rglob("__pycache__"), reverse=True):
        if not any(cache_dir.iterdir()):
            cache_dir.rmdir()
    return before, after


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> int:
    site = Path(sysconfig.get_path("purelib"))
    missing = [
        name for name in KEEP_SOURCE if (site / name.split("/")[0]).is_dir() and not (site / name).exists()
    ]
    if missing:
        # A library moved a module whose source it reads: update KEEP_SOURCE rather than ship it broken.
        print(f"slim_site_packages: {missing} not found in {site}; update KEEP_SOURCE", file=sys.stderr)
        return 1
    before, after = slim(site)
    print(f"slim_site_packages: {site}: Python files {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
