"""`platform: auto` follows the architecture the target nodes report (components/platform.py): the
stack's value when set, the nodes' one platform otherwise, and a clear error (or, in a preview that
cannot ask, a warning and linux/amd64) for every other cluster."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.kubecontext import KubectlError
from components.platform import FALLBACK, NODE_ARCHITECTURES, PlatformChoice, choose_platform
from components.settings import PLATFORMS, ConfigError, Platform, PlatformSetting

KNOWN = sorted(NODE_ARCHITECTURES)
# Architectures Kubernetes nodes report that the images are not built for.
OTHERS = ["s390x", "ppc64le", "riscv64", "arm", "386", "loong64"]


def choose(
    nodes: Sequence[str] | Exception, setting: PlatformSetting = "auto", *, dry_run: bool = False
) -> PlatformChoice:
    asked: list[str] = []

    def architectures(context: str) -> Sequence[str]:
        asked.append(context)
        if isinstance(nodes, Exception):
            raise nodes
        return nodes

    choice = choose_platform(setting, "kind-lab", stack="dev", dry_run=dry_run, architectures=architectures)
    assert asked == ([] if setting != "auto" else ["kind-lab"])
    return choice


def test_every_platform_the_images_are_built_for_is_a_node_architecture() -> None:
    assert sorted(NODE_ARCHITECTURES.values()) == sorted(PLATFORMS)


@given(st.sampled_from(PLATFORMS), st.lists(st.sampled_from([*KNOWN, *OTHERS])))
def test_a_platform_set_in_stack_config_wins_and_the_cluster_is_not_asked(
    platform: Platform, nodes: list[str]
) -> None:
    assert choose(nodes, platform) == PlatformChoice(platform, "set in stack config")


@given(st.sampled_from(KNOWN), st.integers(1, 50), st.booleans())
def test_nodes_of_one_architecture_choose_its_platform(arch: str, count: int, dry_run: bool) -> None:
    choice = choose([arch] * count, dry_run=dry_run)
    assert choice.platform == f"linux/{arch}"
    assert choice.warning is None
    assert "kind-lab" in choice.reason


@given(
    st.lists(st.sampled_from([*KNOWN, *OTHERS]), min_size=1).filter(
        lambda nodes: len(set(nodes)) > 1 or nodes[0] in OTHERS
    ),
    st.booleans(),
)
def test_mixed_or_unsupported_nodes_stop_with_the_fix(nodes: list[str], dry_run: bool) -> None:
    with pytest.raises(ConfigError) as raised:
        choose(nodes, dry_run=dry_run)
    message = str(raised.value)
    assert "'kind-lab'" in message
    assert "pulumi config set platform linux/amd64|linux/arm64 --stack dev" in message
    for arch in set(nodes) - set(KNOWN) or set(nodes):
        assert arch in message


@pytest.mark.parametrize(
    "failure",
    [
        KubectlError("kubectl is not on PATH"),
        KubectlError("kubectl get nodes failed: connection refused"),
        [],
    ],
    ids=["no kubectl", "cluster down", "no nodes"],
)
def test_an_update_that_cannot_ask_the_nodes_stops(failure: Exception | list[str]) -> None:
    with pytest.raises(ConfigError) as raised:
        choose(failure, dry_run=False)
    message = str(raised.value)
    assert "platform = 'auto'" in message and "'kind-lab'" in message
    assert str(failure or "has no nodes") in message
    assert "Fix: start the cluster, or set the platform: pulumi config set platform" in message


@pytest.mark.parametrize(
    "failure", [KubectlError("kubectl is not on PATH"), []], ids=["no kubectl", "no nodes"]
)
def test_a_preview_that_cannot_ask_the_nodes_assumes_amd64_and_warns(failure: Exception | list[str]) -> None:
    choice = choose(failure, dry_run=True)
    assert choice.platform == FALLBACK == "linux/amd64"
    assert choice.warning is not None
    assert "assumes linux/amd64" in choice.warning and "pulumi config set platform" in choice.warning
