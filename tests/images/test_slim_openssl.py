"""The shared-OpenSSL step of app/requirements/slim_site_packages.py, without Docker: reading
sonames from real ELF libraries, finding OpenSSL in a process map, and when to link or keep."""

from __future__ import annotations

import ssl
from pathlib import Path

import psycopg
import pytest

from tests.support.scripts import load_script

slim = load_script("app/requirements/slim_site_packages.py")


def _library(path: str, name: str, version: str) -> object:
    return slim.OpenSSLLibrary(Path(path), name, version)


def test_elf_soname_reads_real_libraries(tmp_path: Path) -> None:
    # This process maps Python's OpenSSL (import ssl) and psycopg-binary's vendored copy (hashed
    # names, renamed with their sonames by auditwheel); each file's soname is its file name.
    mapped = slim.openssl_files(slim.mapped_files(Path("/proc/self/maps").read_text()))
    assert ssl.OPENSSL_VERSION and set(mapped) == {"libssl", "libcrypto"}, mapped
    paths = sorted(path for group in mapped.values() for path in group)
    assert {path.name for path in paths} >= {"libssl.so.3", "libcrypto.so.3"}, paths
    libs = Path(psycopg.__file__).parents[1] / "psycopg_binary.libs"
    assert any(path.parent == libs for path in paths), f"psycopg's vendored OpenSSL is not mapped: {paths}"
    for path in paths:
        assert slim.elf_soname(path) == path.name
    not_elf = tmp_path / "libssl.so.3"
    not_elf.write_text("not a library")
    assert slim.elf_soname(not_elf) is None
    assert slim.openssl_library(not_elf, None) is None


def test_openssl_files_picks_only_libssl_and_libcrypto() -> None:
    maps = "\n".join(
        f"7f00-7f10 r--p 00000000 00:2a 123 {path}"
        for path in (
            "/usr/lib/x86_64-linux-gnu/libssl.so.3",
            "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
            "/venv/psycopg_binary.libs/libcrypto-3a0647ea.so.3",
            "/venv/psycopg_binary.libs/libk5crypto-459efceb.so.3.1",
            "/venv/psycopg_binary.libs/libcrypt-bc2db45e.so.1",
            "/usr/lib/x86_64-linux-gnu/libssl3.so",
        )
    )
    assert slim.openssl_files(slim.mapped_files(maps + "\n7f10-7f20 rw-p 00000000 00:00 0 [heap]")) == {
        "libssl": {Path("/usr/lib/x86_64-linux-gnu/libssl.so.3")},
        "libcrypto": {
            Path("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"),
            Path("/venv/psycopg_binary.libs/libcrypto-3a0647ea.so.3"),
        },
    }


BASE = {
    "libssl": _library("/usr/lib/libssl.so.3", "libssl", "3"),
    "libcrypto": _library("/usr/lib/libcrypto.so.3", "libcrypto", "3"),
}
VENDORED = [
    _library("/libs/libcrypto-3a0647ea.so.3", "libcrypto", "3"),
    _library("/libs/libssl-6a9b88ec.so.3", "libssl", "3"),
]


def test_plan_links_both_libraries_when_soname_versions_match() -> None:
    pairs, why_not = slim.plan_shared_openssl(VENDORED, BASE)
    assert why_not is None
    assert [(copy.path.name, system.path) for copy, system in pairs] == [
        ("libcrypto-3a0647ea.so.3", Path("/usr/lib/libcrypto.so.3")),
        ("libssl-6a9b88ec.so.3", Path("/usr/lib/libssl.so.3")),
    ]


@pytest.mark.parametrize(
    ("vendored", "base", "reason"),
    [
        (
            [
                _library("/libs/libcrypto-1.so.1.1", "libcrypto", "1.1"),
                _library("/libs/libssl-2.so.1.1", "libssl", "1.1"),
            ],
            BASE,
            "soname versions differ: vendored libcrypto-1.so.1.1 is libcrypto.so.1.1, "
            "the base image's /usr/lib/libcrypto.so.3 is libcrypto.so.3",
        ),
        (VENDORED, {"libssl": BASE["libssl"]}, "the interpreter loaded no libcrypto"),
        (VENDORED[1:], BASE, "the wheel vendors no libcrypto"),
        ([], BASE, "no vendored libssl/libcrypto files"),
    ],
)
def test_plan_keeps_the_vendored_openssl_and_says_why(
    vendored: list[object], base: dict[str, object], reason: str
) -> None:
    pairs, why_not = slim.plan_shared_openssl(vendored, base)
    assert pairs == []
    assert why_not is not None and why_not.startswith(reason), why_not
