"""app/requirements/target_wheels.py, without Docker: the wheel tags it asks pip for, per target
architecture and glibc, and its refusals (the arm64 builds in test_arm64.py run it for real)."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.scripts import load_script

tw = load_script("app/requirements/target_wheels.py")
TAG = re.compile(
    r"^(?:manylinux_2_(?P<minor>\d+)|(?P<legacy>manylinux1|manylinux2010|manylinux2014))_(?P<machine>\w+)$"
)
LEGACY_MINOR = {"manylinux1": 5, "manylinux2010": 12, "manylinux2014": 17}


def _minor(tag: str) -> int:
    match = TAG.match(tag)
    assert match, tag
    return int(match["minor"]) if match["minor"] else LEGACY_MINOR[match["legacy"]]


@given(arch=st.sampled_from(sorted(tw.MACHINES)), glibc=st.integers(min_value=17, max_value=80))
def test_tags_are_every_glibc_the_target_accepts_for_its_machine_only(arch: str, glibc: int) -> None:
    tags = tw.platform_tags(arch, glibc)
    machine = tw.MACHINES[arch]
    assert all(tag.endswith(f"_{machine}") for tag in tags), tags
    minors = [_minor(tag) for tag in tags]
    assert minors == sorted(minors, reverse=True), "newest first"
    assert set(minors) == set(range(5, glibc + 1)), "every glibc from manylinux1 to the builder's"
    # The tags our locks' wheels carry (manylinux2014_aarch64 seen) and the builder's own glibc.
    expected = {f"manylinux2014_{machine}", f"manylinux_2_17_{machine}", f"manylinux_2_{glibc}_{machine}"}
    assert expected <= set(tags), expected - set(tags)
    assert not any(tag.startswith("linux_") for tag in tags), "no locally built, unportable wheels"


@given(arch=st.text(min_size=1, max_size=12).filter(lambda a: a not in tw.MACHINES))
def test_an_unknown_architecture_is_refused_with_the_value_and_the_fix(arch: str) -> None:
    with pytest.raises(tw.TargetError) as error:
        tw.platform_tags(arch, 41)
    assert repr(arch) in str(error.value) and "--platform linux/amd64 or linux/arm64" in str(error.value)


@given(minor=st.integers(min_value=0, max_value=99), patch=st.sampled_from(["", ".1"]))
def test_glibc_versions_parse(minor: int, patch: str) -> None:
    assert tw.glibc_minor(f"glibc 2.{minor}{patch}") == minor


@pytest.mark.parametrize("version", ["", "musl 1.2", "glibc 3.1", "glibc 2.x"])
def test_a_builder_without_glibc_2_is_refused(version: str) -> None:
    with pytest.raises(tw.TargetError, match="not glibc 2.x"):
        tw.glibc_minor(version)


def test_the_pip_command_installs_wheels_only_into_the_target_for_this_python() -> None:
    command = tw.pip_command("arm64", "/opt/venv/lib/python3.13/site-packages", ["-r", "lock.txt"], glibc=41)
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    joined = " ".join(command)
    assert "--target /opt/venv/lib/python3.13/site-packages --only-binary=:all:" in joined
    assert f"--python-version {sys.version_info.major}.{sys.version_info.minor}" in joined
    assert "--platform manylinux_2_41_aarch64" in joined and command[-2:] == ["-r", "lock.txt"]


def test_main_reports_a_bad_architecture_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert tw.main(["riscv64", "/tmp/site", "-r", "lock.txt"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("target_wheels.py: TARGETARCH='riscv64'") and "Traceback" not in err
