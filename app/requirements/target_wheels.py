"""Installs a hashed lock's wheels for the image's CPU architecture, from a builder that may be another one.

The builder stages of dockerfiles/{backend,mcp}.Dockerfile run on the build machine's own platform
($BUILDPLATFORM), so an arm64 image built on an amd64 machine (or the reverse) compiles nothing and
runs no installer under emulation. The image's runtime stage is the same base image for the target
architecture, so the Python version and glibc are the builder's own; only the machine differs.

    python3 target_wheels.py TARGETARCH SITE_PACKAGES -r LOCK [pip install options...]

runs `pip install --target SITE_PACKAGES` with wheels only (`--only-binary=:all:`), for this
interpreter's version, CPython, and every manylinux tag this glibc accepts on TARGETARCH's machine.
A package without such a wheel stops the build with pip's own message naming it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

# Docker's architecture names (BuildKit's TARGETARCH) -> the machine part of a manylinux wheel tag.
MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}
# The oldest glibc a manylinux tag names (PEP 600: manylinux_2_5 is manylinux1).
OLDEST_GLIBC_MINOR = 5
# PEP 600's legacy aliases: manylinux1 = 2_5, manylinux2010 = 2_12, manylinux2014 = 2_17.
LEGACY_ALIASES = {5: "manylinux1", 12: "manylinux2010", 17: "manylinux2014"}


class TargetError(ValueError):
    """The arguments or the builder cannot name a target; the message says what to change."""


def glibc_minor(version: str) -> int:
    """The minor version of `os.confstr("CS_GNU_LIBC_VERSION")`, e.g. 41 of "glibc 2.41"."""
    name, _, number = version.partition(" ")
    major, _, minor = number.partition(".")
    if name != "glibc" or major != "2" or not minor.split(".")[0].isdigit():
        raise TargetError(
            f"the builder's C library is {version!r}, not glibc 2.x: manylinux wheels need glibc"
        )
    return int(minor.split(".")[0])


def platform_tags(target_arch: str, glibc: int) -> list[str]:
    """Every manylinux tag a wheel for `target_arch` may carry and a glibc 2.`glibc` system accepts,
    newest first (pip matches any tag of a wheel's name against this list)."""
    machine = MACHINES.get(target_arch)
    if machine is None:
        raise TargetError(
            f"TARGETARCH={target_arch!r} is not an architecture the images are built for: "
            f"build with --platform linux/{' or linux/'.join(sorted(MACHINES))}"
        )
    tags: list[str] = []
    for minor in range(glibc, OLDEST_GLIBC_MINOR - 1, -1):
        tags.append(f"manylinux_2_{minor}_{machine}")
        if minor in LEGACY_ALIASES:
            tags.append(f"{LEGACY_ALIASES[minor]}_{machine}")
    return tags


def pip_command(target_arch: str, site_packages: str, pip_args: Sequence[str], glibc: int) -> list[str]:
    """The `pip install` that puts the target's wheels into `site_packages`."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = [sys.executable, "-m", "pip", "install", "--target", site_packages, "--only-binary=:all:"]
    command += ["--implementation", "cp", "--python-version", python]
    for tag in platform_tags(target_arch, glibc):
        command += ["--platform", tag]
    return [*command, *pip_args]


def main(argv: Sequence[str]) -> int:
    if len(argv) < 3:
        print("usage: target_wheels.py TARGETARCH SITE_PACKAGES PIP_INSTALL_ARGS...", file=sys.stderr)
        return 2
    target_arch, site_packages, *pip_args = argv
    try:
        command = pip_command(
            target_arch, site_packages, pip_args, glibc_minor(os.confstr("CS_GNU_LIBC_VERSION") or "")
        )
    except TargetError as error:
        print(f"target_wheels.py: {error}", file=sys.stderr)
        return 2
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
