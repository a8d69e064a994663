"""Benchmark of the real Pulumi engine on the dev stack: `pulumi preview` wall time, cold (a new
scratch copy, new stack, no bytecode) and warm (the same again), and the program's own share of it
(from the language host's launch to the program's last resource registration, read from the CLI's
verbose log), plus the build time and peak memory of each engine tool from `scripts/engine build`.

    scripts/test engine   # once, so the tools, dockerd, the registry and the cluster exist
    .venv/bin/python -m bench.engine --kubeconfig /var/lib/todo-cluster/admin.kubeconfig

Prints a Markdown table (docs/benchmarks.md "Engine").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
from datetime import datetime
from pathlib import Path

from tests.support.pulumi_cli import Result, Workspace, make_workspace, write_kubeconfig

TOOLS_DIR = Path(os.environ.get("TODO_TOOLS_DIR", Path.home() / ".cache" / "todo-chatbot"))


def build_times() -> list[tuple[str, float, float]]:
    """(tool, wall seconds, peak RSS GiB) of the last successful build of each tool."""
    times = TOOLS_DIR / "engine" / "logs" / "times.txt"
    found: dict[str, tuple[float, float]] = {}
    failed = False
    for line in times.read_text().splitlines() if times.exists() else []:
        if line.startswith("Command exited with non-zero status"):
            failed = True
            continue
        match = re.match(r"(\S+) wall_s=([\d.]+) max_rss_kb=(\d+)", line)
        if match and not failed:
            found[match[1]] = (float(match[2]), int(match[3]) / 1024 / 1024)
        failed = False
    return [(tool, wall, rss) for tool, (wall, rss) in found.items()]


def _events(result: Result) -> list[tuple[datetime, str]]:
    """The CLI's verbose log (JSON lines with a time and a message)."""
    events = []
    for line in result.stderr.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "time" in record:
            events.append(
                (datetime.fromisoformat(record["time"].replace("Z", "+00:00")), str(record.get("msg", "")))
            )
    return events


def program_share(result: Result) -> float:
    """Seconds from the launch of the language host that runs the program (the last launch) to the
    program's last registration (the stack's outputs)."""
    events = _events(result)
    launches = [t for t, msg in events if "Launching plugin 'python'" in msg]
    ends = [
        t for t, msg in events if "RegisterResourceOutputs received" in msg and "pulumi:pulumi:Stack" in msg
    ]
    if not launches or not ends:
        raise SystemExit("the verbose log has no language host launch or final RegisterResourceOutputs")
    return (ends[-1] - launches[-1]).total_seconds()


def preview(ws: Workspace) -> Result:
    return ws.pulumi("preview", "--stack", "dev", "--json")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--kubeconfig", required=True, help="admin kubeconfig of the cluster (scripts/cluster kubeconfig)"
    )
    parser.add_argument("--runs", type=int, default=3, help="cold/warm pairs to run (default 3)")
    args = parser.parse_args()
    colds, warms, shares = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = write_kubeconfig(args.kubeconfig, Path(tmp) / "kubeconfig")
        for run in range(args.runs):
            work = Path(tmp) / f"run{run}"
            work.mkdir()
            ws = make_workspace(work, kubeconfig)
            ws.new_stack("dev")
            colds.append(preview(ws).seconds)
            warms.append(preview(ws).seconds)
            verbose = ws.pulumi("preview", "--stack", "dev", "--logtostderr", "-v=9")
            shares.append(program_share(verbose))
    print("| tool | cold build (wall) | peak memory |")
    print("|---|---|---|")
    for tool, wall, rss in build_times():
        print(f"| {tool} | {wall / 60:.1f} min | {rss:.2f} GiB |")
    print()
    print(f"| `pulumi preview` of the dev stack ({args.runs} runs) | median | min | max |")
    print("|---|---|---|---|")
    for label, values in (
        ("cold (new copy, new stack)", colds),
        ("warm (again)", warms),
        ("program's share", shares),
    ):
        print(f"| {label} | {statistics.median(values):.2f} s | {min(values):.2f} s | {max(values):.2f} s |")


if __name__ == "__main__":
    main()
