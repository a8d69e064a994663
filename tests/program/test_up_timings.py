"""scripts/lib/up_timings.py, which the live and minikube tiers read a `pulumi up`'s phases with:
over generated CLI output, the images phase lasts as long as its slowest build, every finished step
is named once, lines in progress are not counted, and no output (noise, colour codes, nothing) makes
it fail."""

from __future__ import annotations

import contextlib
import io
import sys

from hypothesis import given
from hypothesis import strategies as st

from tests.support.up_timings import UP_TIMINGS

TIMINGS = UP_TIMINGS
TYPES = {
    "images-backend": "docker:index/image:Image",
    "images-mcp": "docker:index/image:Image",
    "images-frontend": "docker:index/image:Image",
    "release-chart": "kubernetes:helm.sh/v3:Release",
    "secrets-app": "kubernetes:core/v1:Secret",
}
SYMBOL = {"created": "+", "updated": "~", "replaced": "+-", "deleted": "-"}

runs = st.lists(
    st.tuples(
        st.sampled_from(sorted(TYPES)),
        st.sampled_from(sorted(SYMBOL)),
        st.integers(0, 4000),
        st.booleans(),  # in colour, as on a terminal
    ),
    unique_by=lambda step: step[0],
    max_size=5,
)


def _go_duration(seconds: int) -> str:
    """How the CLI prints a step's time (Go's time.Duration): 45s, 1m35s, 1h0m5s."""
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{rest}s"
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


def _output(run: list[tuple[str, str, int, bool]]) -> list[str]:
    lines = ["Updating (dev):", "     Type                 Name       Status"]
    for name, op, seconds, colour in run:
        progress = op.replace("ed", "ing")  # the line of the step in progress
        # The CLI prints the type's display name (docker:index:Image), never the full token.
        shown = TIMINGS.display_name(TYPES[name])
        lines.append(f" {SYMBOL[op]}  {shown} {name} {progress} (0s) ")
        line = f" {SYMBOL[op]}  {shown} {name} {op} ({_go_duration(seconds)}) "
        lines.append(f"\x1b[32m{line}\x1b[0m" if colour else line)
    # The stack's own line spans the whole run; it is no phase of its own.
    lines.append(
        f" +  pulumi:pulumi:Stack todo-chatbot-dev created ({_go_duration(sum(s for *_, s, _ in run))})"
    )
    return [*lines, "Resources:", f"    + {len(run)} changed", "Duration: 3m2s"]


@given(runs)
def test_each_phase_is_its_steps_time(run: list[tuple[str, str, int, bool]]) -> None:
    found = TIMINGS.steps(_output(run))
    assert sorted(s.name for s in found if s.type != "pulumi:pulumi:Stack") == sorted(n for n, *_ in run)
    phases = TIMINGS.phases(found)
    images = [seconds for name, _, seconds, _ in run if name.startswith("images-")]
    assert phases["images_build_and_push"] == max(images, default=0)
    assert phases["release_install_and_rollout"] == sum(s for n, _, s, _ in run if n == "release-chart")
    assert phases["other"] == sum(s for n, _, s, _ in run if n == "secrets-app")  # not the stack's
    line = TIMINGS.summary(_output(run))
    for name, _, seconds, _ in run:
        if name.startswith("images-"):
            assert f"{name} {TIMINGS.duration(seconds)}" in line
    if not run:
        assert line == "no resource changed"


def test_the_type_reads_as_the_cli_prints_it() -> None:
    # tokens.Type.DisplayName in pulumi/pulumi: the module's file part goes when it is the type's name.
    assert TIMINGS.display_name("docker:index/image:Image") == "docker:index:Image"
    assert TIMINGS.display_name("kubernetes:helm.sh/v3:Release") == "kubernetes:helm.sh/v3:Release"
    assert TIMINGS.display_name("random:index/randomPassword:RandomPassword") == "random:index:RandomPassword"
    assert TIMINGS.display_name("pulumi:pulumi:Stack") == "pulumi:pulumi:Stack"
    # Lines as the CLI v3.274.1 display prints them (pkg/backend/display: rows.go, progress.go);
    # fully cached builds take under a second. The engine tier reads a real `pulumi up` too.
    lines = [
        " +  docker:index:Image images-backend created (0.81s) ",
        " +  docker:index:Image images-mcp created (0.64s) ",
        " +  kubernetes:core/v1:Secret secrets-app created (0.05s) ",
        " +  kubernetes:helm.sh/v3:Release release-chart created (21s) ",
    ]
    assert TIMINGS.phases(TIMINGS.steps(lines)) == {
        "images_build_and_push": 0.81,
        "release_install_and_rollout": 21.0,
        "other": 0.05,
    }


def test_a_cold_deploy_reads_as_phases() -> None:
    run = [
        ("images-backend", "created", 95, False),
        ("images-frontend", "created", 130, True),
        ("secrets-app", "created", 1, False),
        ("release-chart", "created", 61, False),
    ]
    assert TIMINGS.summary(_output(run)) == (
        "images 2m10s (images-frontend 2m10s, images-backend 1m35s; built and pushed side by side), "
        "release 1m01s (created: chart, migration hook, rollout), 1 other step"
    )


@given(st.lists(st.text(max_size=80)))
def test_no_output_makes_it_fail(lines: list[str]) -> None:
    stdin, out = sys.stdin, io.StringIO()
    sys.stdin = io.StringIO("\n".join(lines))
    try:
        with contextlib.redirect_stdout(out):
            assert TIMINGS.main() == 0
    finally:
        sys.stdin = stdin
    assert out.getvalue().strip()
