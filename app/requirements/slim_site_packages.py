"""Slims the image venv's site-packages in the slim stage of dockerfiles/{backend,mcp}.Dockerfile.

Run with the venv's own interpreter after the locked install (which compiled every module):
    /opt/venv/bin/python slim_site_packages.py

- Third-party modules ship as bytecode only: each module's compiled .pyc moves next to it (where
  CPython imports a sourceless module from) and its .py goes. Bytecode is kept, not dropped: a
  read-only root cannot cache it and compiling at every start breaks the 3 s start budget.
- Kept as source: modules whose source a library reads at run time (KEEP_SOURCE), templates, and
  any module without a compiled .pyc.
- Removed: tests/ directories inside packages, the test harnesses TEST_SUPPORT and .pyi type stubs
  (no runtime imports or reads them).
- Shared OpenSSL: psycopg-binary vendors its own libssl/libcrypto (about 7 MB) next to its libpq,
  duplicating the OpenSSL the base image ships for Python's ssl module. Each vendored copy becomes
  an absolute symlink to the library the interpreter itself loaded, only when both libraries' soname
  versions match (libpq finds them by their vendored names via RPATH $ORIGIN); a fresh interpreter
  with LD_BIND_NOW=1 then proves psycopg's libpq loads and binds every symbol against them, or the
  script fails. It runs in a stage FROM the runtime's own base image (for the target platform,
  emulated when cross-building), so the links resolve and the check loads the target's libraries.
Licences, metadata, data files and other native libraries stay (the Dockerfile strips the latter).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
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

# Wheel library directories (auditwheel's <package>.libs) whose vendored OpenSSL may be shared
# with the base image's; each needs its own load check in VERIFY_OPENSSL.
SHARED_OPENSSL = ("psycopg_binary.libs",)
OPENSSL_LIBRARIES = ("libssl", "libcrypto")
# An OpenSSL library name: the system's libssl.so.3, or a wheel's hashed copy libssl-6a9b88ec.so.3.
_OPENSSL_NAME = re.compile(r"(?P<name>libssl|libcrypto)(?P<hash>-[0-9a-f]+)?\.so\.(?P<version>[0-9.]+)")

# Run in a fresh interpreter: psycopg must use the binary wheel's libpq, and report what it mapped.
VERIFY_OPENSSL = """
import json
import psycopg
from psycopg import pq
version = pq.version()
with open("/proc/self/maps") as maps:
    maps_text = maps.read()
print(json.dumps({"impl": pq.__impl__, "libpq": version, "maps": maps_text}))
"""


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


# -- shared OpenSSL -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenSSLLibrary:
    """One OpenSSL shared library: its file, ``libssl``/``libcrypto`` and its soname version (``3``)."""

    path: Path
    name: str
    version: str


def elf_soname(path: Path) -> str | None:
    """The DT_SONAME of an ELF shared library; None when it is not ELF or names none."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    order = "<" if data[5] == 1 else ">"
    # (offset of e_shoff, of e_shentsize, section header layout, dynamic entry layout) per ELF class.
    shoff_at, shentsize_at, section, dynamic = (
        (0x28, 0x3A, "IIQQQQIIQQ", "qQ") if data[4] == 2 else (0x20, 0x2E, "IIIIIIIIII", "iI")
    )
    (shoff,) = struct.unpack_from(order + ("Q" if data[4] == 2 else "I"), data, shoff_at)
    shentsize, shnum = struct.unpack_from(order + "HH", data, shentsize_at)
    headers = [struct.unpack_from(order + section, data, shoff + i * shentsize) for i in range(shnum)]
    entry = struct.calcsize(order + dynamic)
    for header in headers:
        if header[1] != 6:  # SHT_DYNAMIC; its sh_link is the string table (.dynstr)
            continue
        strings = headers[header[6]][4]
        for offset in range(header[4], header[4] + header[5], entry):
            tag, value = struct.unpack_from(order + dynamic, data, offset)
            if tag == 0:  # DT_NULL ends the table
                break
            if tag == 14:  # DT_SONAME
                start = strings + value
                return data[start : data.index(b"\0", start)].decode()
    return None


def openssl_library(path: Path, soname: str | None) -> OpenSSLLibrary | None:
    """``path`` as an OpenSSL library when its soname is libssl/libcrypto (hashed or not), else None."""
    match = _OPENSSL_NAME.fullmatch(soname or "")
    if match is None:
        return None
    return OpenSSLLibrary(path, match["name"], match["version"])


def mapped_files(maps: str) -> list[Path]:
    """The files mapped in a process, from the text of its /proc/PID/maps."""
    fields = (line.split(maxsplit=5) for line in maps.splitlines())
    return sorted({Path(f[5].strip()) for f in fields if len(f) == 6 and f[5].startswith("/")})


def openssl_files(paths: list[Path]) -> dict[str, set[Path]]:
    """The libssl and libcrypto files among ``paths`` (system or wheel-vendored names), by library."""
    found: dict[str, set[Path]] = {}
    for path in paths:
        match = _OPENSSL_NAME.fullmatch(path.name)
        if match is not None:
            found.setdefault(match["name"], set()).add(path)
    return found


def plan_shared_openssl(
    vendored: list[OpenSSLLibrary], base: dict[str, OpenSSLLibrary]
) -> tuple[list[tuple[OpenSSLLibrary, OpenSSLLibrary]], str | None]:
    """Which vendored copies to replace by which base library, or why none is replaced.

    All or nothing: libssl and libcrypto of one process must come from the same OpenSSL build.
    """
    if not vendored:
        return [], "no vendored libssl/libcrypto files"
    missing = sorted(set(OPENSSL_LIBRARIES) - {copy.name for copy in vendored})
    if missing:
        return [], f"the wheel vendors no {', '.join(missing)}, so its OpenSSL cannot be swapped as a whole"
    pairs: list[tuple[OpenSSLLibrary, OpenSSLLibrary]] = []
    for copy in vendored:
        system = base.get(copy.name)
        if system is None:
            return [], f"the interpreter loaded no {copy.name} to share (import ssl maps none)"
        if system.version != copy.version:
            return [], (
                f"soname versions differ: vendored {copy.path.name} is {copy.name}.so.{copy.version}, "
                f"the base image's {system.path} is {system.name}.so.{system.version}"
            )
        pairs.append((copy, system))
    return pairs, None


def _base_openssl() -> tuple[dict[str, OpenSSLLibrary], str | None]:
    """The OpenSSL this interpreter loads for its ssl module, or why there is none to share."""
    try:
        import ssl  # noqa: F401 - loads the base image's libssl and libcrypto into this process
    except ImportError as error:
        return {}, f"this Python has no ssl module ({error})"
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError as error:
        return {}, f"cannot read /proc/self/maps ({error})"
    libraries: dict[str, OpenSSLLibrary] = {}
    for name, mapped in openssl_files(mapped_files(maps)).items():
        if len(mapped) > 1:
            return {}, f"the interpreter mapped several {name} files ({sorted(map(str, mapped))})"
        real = Path(os.path.realpath(mapped.pop()))
        library = openssl_library(real, elf_soname(real))
        if library is not None and library.name == name:
            libraries[name] = library
    return libraries, None


def _vendored_openssl(libs: Path) -> list[OpenSSLLibrary]:
    """The wheel's own OpenSSL files in ``libs`` that are still regular files (not yet linked)."""
    found = []
    for path in sorted(libs.iterdir()):
        if path.is_symlink() or not path.is_file() or not _OPENSSL_NAME.fullmatch(path.name):
            continue
        library = openssl_library(path, elf_soname(path))
        if library is not None:
            found.append(library)
    return found


def _verify_psycopg(linked: list[OpenSSLLibrary]) -> tuple[str | None, str]:
    """(None, libpq version) when psycopg's libpq loads with ``linked`` in a fresh interpreter, else
    (a one-line problem, "")."""
    result = subprocess.run(
        [sys.executable, "-I", "-c", VERIFY_OPENSSL],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        # Bind every symbol at load time (one the base's OpenSSL lacks fails here, not in a pod); only
        # the binary wheel's libpq counts, and its own import error is the one to report.
        env={**os.environ, "LD_BIND_NOW": "1", "PSYCOPG_IMPL": "binary"},
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        return f"`import psycopg` failed: {lines[-1] if lines else f'exit code {result.returncode}'}", ""
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["impl"] != "binary":
        return f"psycopg uses its {report['impl']!r} implementation, not the binary wheel's libpq", ""
    found = openssl_files(mapped_files(report["maps"]))
    mapped = {name: sorted(map(str, paths)) for name, paths in found.items()}
    expected = {library.name: [str(library.path)] for library in linked}
    if mapped != expected:
        return f"psycopg's process mapped OpenSSL {mapped}, not only the base image's {expected}", ""
    version = int(report["libpq"])
    return None, f"{version // 10000}.{version % 10000}"


def share_openssl(site: Path) -> tuple[int, list[str], str | None]:
    """Replaces vendored OpenSSL copies by links to the base image's; answers (bytes saved, what was
    done or kept and why, a fatal problem or None)."""
    base, base_problem = _base_openssl()
    saved = 0
    notes: list[str] = []
    for directory in SHARED_OPENSSL:
        libs = site / directory
        if not libs.is_dir():
            notes.append(f"{directory}: not installed, nothing to share")
            continue
        pairs, why_not = plan_shared_openssl(_vendored_openssl(libs), base)
        if not pairs:
            notes.append(f"{directory}: keeping the vendored OpenSSL: {base_problem or why_not}")
            continue
        for copy, system in pairs:
            saved += copy.path.stat().st_size
            copy.path.unlink()
            copy.path.symlink_to(system.path)
        problem, libpq = _verify_psycopg([system for _, system in pairs])
        if problem is not None:
            targets = ", ".join(f"{copy.path.name} -> {system.path}" for copy, system in pairs)
            fatal = (
                f"{directory}: psycopg's libpq does not work with the base image's OpenSSL ({targets}): "
                f"{problem}. Use a base image whose OpenSSL matches the psycopg-binary wheel, or remove "
                f"{directory!r} from SHARED_OPENSSL in app/requirements/slim_site_packages.py to keep "
                "the wheel's own copy"
            )
            return saved, notes, fatal
        notes.append(
            f"{directory}: "
            + ", ".join(f"{copy.path.name} -> {system.path}" for copy, system in pairs)
            + f" (libpq {libpq} loads and binds with them, checked with LD_BIND_NOW=1)"
        )
    return saved, notes, None


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
    saved, notes, problem = share_openssl(site)
    for note in notes:
        print(f"slim_site_packages: {note}")
    if problem is not None:
        # Never ship a driver that cannot load: the image build stops here.
        print(f"slim_site_packages: {problem}", file=sys.stderr)
        return 1
    print(f"slim_site_packages: shared OpenSSL saved {saved / 1e6:.1f} MB ({saved} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
