"""The platform the images are built for: the stack's `platform`, or with `auto` (the default) the
architecture the target cluster's nodes report.

An Apple Silicon laptop runs an arm64 Minikube node. amd64 images run there under emulation at
best and fail with `exec format error` (then an atomic rollback) at worst, so the default asks the
cluster instead of assuming amd64. The images are single-platform: a cluster whose nodes differ
needs the platform set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from components.kubecontext import KubectlError
from components.settings import PLATFORMS, ConfigError, Platform, PlatformSetting

# What a node reports in status.nodeInfo.architecture, for each platform the images are built for.
NODE_ARCHITECTURES: dict[str, Platform] = {
    platform.removeprefix("linux/"): platform for platform in PLATFORMS
}
# Built when the nodes cannot be asked (a preview without the cluster).
FALLBACK: Platform = "linux/amd64"


@dataclass(frozen=True)
class PlatformChoice:
    platform: Platform
    reason: str
    # Said to the user as a warning: the choice is a guess.
    warning: str | None = None


def _fix(stack: str) -> str:
    return f"pulumi config set platform {'|'.join(PLATFORMS)} --stack {stack}"


def choose_platform(
    setting: PlatformSetting,
    context: str,
    *,
    stack: str,
    dry_run: bool,
    architectures: Callable[[str], Sequence[str]],
) -> PlatformChoice:
    """The stack's platform when set; with `auto` the one platform all of the context's nodes report.

    ``architectures`` asks the cluster (KubectlError when it cannot). A preview that cannot ask builds
    the fallback with a warning; an update stops with a ConfigError naming what went wrong and how
    to fix it, as does a cluster whose nodes need another platform or several.
    """
    if setting != "auto":
        return PlatformChoice(setting, "set in stack config")
    where = f"kube context {context!r}"
    try:
        reported = sorted(set(architectures(context)))
        if not reported:
            raise LookupError(f"{where} has no nodes")
    except (KubectlError, LookupError) as error:
        problem = f"platform = 'auto' reads the architecture of the nodes of {where}, and could not: {error}"
        if not dry_run:
            raise ConfigError(
                f"{problem}. Fix: start the cluster, or set the platform: {_fix(stack)}"
            ) from error
        return PlatformChoice(
            FALLBACK,
            f"the nodes could not be asked; {FALLBACK} assumed",
            warning=f"{problem}; this preview assumes {FALLBACK}. To choose: {_fix(stack)}",
        )
    unknown = [arch for arch in reported if arch not in NODE_ARCHITECTURES]
    if unknown or len(reported) > 1:
        why = (
            f"they report {', '.join(unknown)}, and the images are built for {', '.join(PLATFORMS)} only"
            if unknown
            else f"they report {', '.join(reported)}, and the images are built for one platform"
        )
        raise ConfigError(f"platform = 'auto' cannot follow the nodes of {where}: {why}. Fix: {_fix(stack)}")
    return PlatformChoice(NODE_ARCHITECTURES[reported[0]], f"the architecture of the nodes of {where}")
