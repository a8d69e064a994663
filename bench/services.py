"""Load benchmark of the services: task CRUD (API), MCP tool calls, rules-engine chat turns.

    .venv/bin/python -m bench.services [--duration 30] [--scenarios LIST] [--users 30,100,200] [--json-out F]
    .venv/bin/python -m bench.services --scenarios chat-variants --duration 60 [--variant L:TODO_X=1]

Starts the real stack (tests/support/stack.py: PostgreSQL with fsync ON, todo-migrate, todo-mcp and
todo-api, each ONE uvicorn worker) on loopback, then drives it with an asyncio load generator in
this process. Each virtual user is a person using the app: one request, then a think time of
0.5-1.5 s (mean 1 s), so N users offer about N requests/s. A separate ``saturation`` scenario runs
10 users with NO think time to show the most one worker can do; ``closed`` runs the same with each
count of ``--users``, ``chat-closed`` chat turns that way (closed loop: a user sends its next
request as soon as the last one answered, or after ``Retry-After`` when it was a 503, as a
well-behaved client does). Latency is measured per request from send to full response, after a
warm-up; throughput is answered requests per second, goodput the 2xx ones; every answer's status
is counted. ``chat-variants`` compares server settings side by side in one run: each variant (uvicorn's
event loop and HTTP parser, the pool size; ``--variant`` for others) gets its own todo-mcp + todo-api
pair on the same PostgreSQL and 20 chat users, and the variants take turns in ``--rounds`` slices.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.support.stack import Stack

THINK_MIN, THINK_MAX = 0.5, 1.5
WARMUP_SECONDS = 3.0
PASSWORD = "bench password 1"


@dataclass
class Outcome:
    """What one action got: success, a label to count (HTTP status, "tool error"), a pause asked for."""

    ok: bool
    label: str
    retry_after: float = 0.0


def http_outcome(response: httpx.Response, expected: int) -> Outcome:
    retry_after = 0.0
    if response.status_code == 503:
        try:
            retry_after = float(response.headers.get("retry-after", "1"))
        except ValueError:
            retry_after = 1.0
    return Outcome(response.status_code == expected, str(response.status_code), retry_after)


@dataclass
class Result:
    scenario: str
    users: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    statuses: Counter[str] = field(default_factory=Counter)
    # 1-minute load averages seen while it ran (the machine is shared; a busy slice shows here).
    load: list[float] = field(default_factory=list)
    # Every answered action, warm-up included, and the server CPU they cost (chat-variants only):
    # CPU time per turn does not grow with the machine's load the way latency does.
    answered: int = 0
    server_cpu_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else float("nan")

        ok = self.requests - self.errors
        return {
            "scenario": self.scenario,
            "users": self.users,
            "requests": self.requests,
            "errors": self.errors,
            "throughput_rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "goodput_rps": round(ok / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "max_ms": round(lat[-1], 1) if lat else float("nan"),
            "mean_ms": round(statistics.fmean(lat), 1) if lat else float("nan"),
            "statuses": dict(sorted(self.statuses.items())),
            "load_1min": [min(self.load), max(self.load)] if self.load else [],
            "server_cpu_ms_per_request": (
                round(1000 * self.server_cpu_seconds / self.answered, 2) if self.server_cpu_seconds else None
            ),
        }


Action = Callable[[], Awaitable[Outcome]]


async def drive(
    scenario: str, users: list[Callable[[], Action]], duration: float, think: bool = True
) -> Result:
    """Run every user's next action in a loop for ``duration`` s; record after the warm-up."""
    result = Result(scenario, len(users))
    start = time.perf_counter()
    measure_from = start + WARMUP_SECONDS
    stop_at = measure_from + duration

    async def user_loop(next_action: Callable[[], Action]) -> None:
        # Users start spread over one think time, like people arriving, not in lock-step.
        await asyncio.sleep(random.uniform(0, THINK_MAX) if think else 0)
        while time.perf_counter() < stop_at:
            action = next_action()
            sent = time.perf_counter()
            try:
                outcome = await action()
            except Exception as error:  # noqa: BLE001 - a failed request is a data point, not a crash
                outcome = Outcome(False, f"no answer ({type(error).__name__})")
            done = time.perf_counter()
            result.answered += 1
            if measure_from <= sent and done <= stop_at:
                result.requests += 1
                result.latencies_ms.append((done - sent) * 1000)
                result.statuses[outcome.label] += 1
                if not outcome.ok:
                    result.errors += 1
            if outcome.retry_after:
                await asyncio.sleep(outcome.retry_after)
            elif think:
                await asyncio.sleep(random.uniform(THINK_MIN, THINK_MAX))

    result.load.append(os.getloadavg()[0])
    await asyncio.gather(*(user_loop(user) for user in users))
    result.load.append(os.getloadavg()[0])
    result.seconds = duration
    return result


# --- task CRUD through the API -------------------------------------------------------------------


async def api_user(api: str, index: int, stack: AsyncExitStack) -> httpx.AsyncClient:
    client = await stack.enter_async_context(
        httpx.AsyncClient(base_url=api, timeout=30, limits=httpx.Limits(max_connections=2))
    )
    email = f"bench{index}-{random.randrange(10**9)}@example.com"
    response = await client.post("/api/auth/register", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    for n in range(10):
        await client.post("/api/tasks", json={"title": f"seed task {n}", "priority": "low"})
    return client


def crud_actions(client: httpx.AsyncClient) -> Callable[[], Action]:
    """A user's next action: the mix a person in the task list produces."""
    mine: list[int] = []

    async def create() -> Outcome:
        r = await client.post("/api/tasks", json={"title": f"bench {random.randrange(10**6)}"})
        if r.status_code == 201:
            mine.append(r.json()["id"])
        return http_outcome(r, 201)

    async def listing() -> Outcome:
        status = random.choice(["open", "open", "all", "done"])
        return http_outcome(await client.get("/api/tasks", params={"status": status, "limit": 50}), 200)

    async def search() -> Outcome:
        return http_outcome(await client.get("/api/tasks", params={"q": "seed", "status": "all"}), 200)

    async def update() -> Outcome:
        if not mine:
            return await create()
        r = await client.patch(f"/api/tasks/{random.choice(mine)}", json={"priority": "high"})
        return http_outcome(r, 200)

    async def complete() -> Outcome:
        if not mine:
            return await create()
        return http_outcome(await client.post(f"/api/tasks/{random.choice(mine)}/complete"), 200)

    async def delete() -> Outcome:
        if not mine:
            return await create()
        task_id = mine.pop()
        r = await client.delete(f"/api/tasks/{task_id}")
        if r.status_code == 503:
            mine.append(task_id)  # refused, so still there
        return http_outcome(r, 204)

    mix: list[tuple[Action, int]] = [
        (listing, 40), (create, 20), (search, 10), (update, 15), (complete, 10), (delete, 5),
    ]  # fmt: skip
    weighted = [action for action, weight in mix for _ in range(weight)]
    return lambda: random.choice(weighted)


# --- MCP tool calls ------------------------------------------------------------------------------


async def mcp_user(stack_: Stack, user_id: int, exits: AsyncExitStack) -> Callable[[], Action]:
    headers = {"Authorization": f"Bearer {stack_.mcp_token}", "X-Todo-User-Id": str(user_id)}
    http = await exits.enter_async_context(httpx2.AsyncClient(headers=headers, timeout=30))
    client = await exits.enter_async_context(Client(streamable_http_client(stack_.mcp_url, http_client=http)))
    mine: list[int] = []
    for n in range(5):
        added = await client.call_tool("add_task", {"title": f"mcp seed {n}"})
        mine.append(int((added.structured_content or {})["id"]))

    async def call(name: str, arguments: dict[str, Any]) -> Outcome:
        result = await client.call_tool(name, arguments)
        return Outcome(not result.is_error, "tool error" if result.is_error else "ok")

    def next_action() -> Action:
        roll = random.random()
        if roll < 0.4:
            return lambda: call("list_tasks", {"status": "open"})
        if roll < 0.6:
            return lambda: call("add_task", {"title": f"mcp {random.randrange(10**6)}"})
        if roll < 0.8:
            return lambda: call("get_task", {"task_id": random.choice(mine)})
        if roll < 0.9:
            return lambda: call("complete_task", {"task_id": random.choice(mine)})
        return lambda: call("reopen_task", {"task_id": random.choice(mine)})

    return next_action


# --- chat turns ----------------------------------------------------------------------------------

CONVERSATION = (
    "add buy milk {n}",
    "remind me to call mom {n} tomorrow",
    "what's on my list?",
    "complete the second one",
    "what's left?",
    "show completed tasks",
    "rename buy milk {n} to buy oat milk {n}",
    "delete buy oat milk {n}",
)


def chat_actions(client: httpx.AsyncClient) -> Callable[[], Action]:
    state: dict[str, Any] = {"step": 0, "round": 0, "conversation_id": None}

    def next_action() -> Action:
        async def turn() -> Outcome:
            step = state["step"] % len(CONVERSATION)
            if step == 0:
                state["round"] += 1
            message = CONVERSATION[step].format(n=state["round"])
            state["step"] += 1
            r = await client.post(
                "/api/chat", json={"message": message, "conversation_id": state["conversation_id"]}
            )
            if r.status_code != 200:
                state["step"] -= 1  # not stored: send the same message again
                return http_outcome(r, 200)
            body = r.json()
            state["conversation_id"] = body["conversation_id"]
            # A reply that is the temporary-error apology means the MCP call failed.
            failed = any(call.get("error") for call in body["tool_calls"]) or "try again" in body["reply"]
            return Outcome(not failed, "200 apology" if failed else "200")

        return turn

    return next_action


# --- server variants side by side ----------------------------------------------------------------

# Each variant runs its own todo-mcp + todo-api pair (same PostgreSQL) with these settings on top.
VARIANTS: dict[str, dict[str, str]] = {
    "asyncio + h11": {"TODO_SERVER_LOOP": "asyncio", "TODO_SERVER_HTTP": "h11"},
    "uvloop + h11": {"TODO_SERVER_LOOP": "uvloop", "TODO_SERVER_HTTP": "h11"},
    "asyncio + httptools": {"TODO_SERVER_LOOP": "asyncio", "TODO_SERVER_HTTP": "httptools"},
    "uvloop + httptools": {"TODO_SERVER_LOOP": "uvloop", "TODO_SERVER_HTTP": "httptools"},
    "uvloop + httptools, pool 4": {
        "TODO_SERVER_LOOP": "uvloop", "TODO_SERVER_HTTP": "httptools", "TODO_DB_POOL_SIZE": "4",
    },
    "uvloop + httptools, pool 20": {
        "TODO_SERVER_LOOP": "uvloop", "TODO_SERVER_HTTP": "httptools", "TODO_DB_POOL_SIZE": "20",
    },
}  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/PID/stat, Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def merged(name: str, parts: list[Result]) -> Result:
    """One variant's slices of the interleaved rounds as one result."""
    total = Result(name, parts[0].users)
    for part in parts:
        total.requests += part.requests
        total.errors += part.errors
        total.seconds += part.seconds
        total.latencies_ms += part.latencies_ms
        total.statuses.update(part.statuses)
        total.load += part.load
        total.answered += part.answered
        total.server_cpu_seconds += part.server_cpu_seconds
    return total


async def chat_variants(
    stack_: Stack, variants: dict[str, dict[str, str]], duration: float, rounds: int, exits: AsyncExitStack
) -> list[Result]:
    """20 chat users per variant, the variants taking turns in ``rounds`` slices of ``duration / rounds`` s
    (the order rotating each round), so a busy minute of the shared machine hits every variant alike."""
    urls: dict[str, str] = {}
    pids: dict[str, list[int]] = {}
    for name, env in variants.items():
        urls[name] = stack_.start_variant(env)
        pids[name] = [process.pid for _, process in stack_.processes[-2:]]  # its todo-mcp and todo-api
    chatters = {
        name: [chat_actions(await api_user(url, 2000 + 100 * i + n, exits)) for n in range(20)]
        for i, (name, url) in enumerate(urls.items())
    }
    names = list(variants)
    slices: dict[str, list[Result]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            before = sum(map(cpu_seconds, pids[name]))
            part = await drive(f"chat turn, {name}", chatters[name], duration / rounds)
            part.server_cpu_seconds = sum(map(cpu_seconds, pids[name])) - before
            slices[name].append(part)
    return [merged(f"chat turn (rules engine), {name}", slices[name]) for name in names]


def variant(text: str) -> tuple[str, dict[str, str]]:
    """``--variant``: ``LABEL:TODO_A=1,TODO_B=2``."""
    label, sep, pairs = text.partition(":")
    try:
        env = dict(setting(pair) for pair in pairs.split(",")) if pairs else {}
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(f"in --variant {text!r}: {error}") from None
    if not sep or not label.strip():
        raise argparse.ArgumentTypeError(
            f"expected LABEL:TODO_A=1,TODO_B=2 like 'pool 4:TODO_DB_POOL_SIZE=4', got {text!r}"
        )
    return label.strip(), env


# --- main ----------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


async def run(
    stack_: Stack,
    duration: float,
    scenarios: set[str],
    closed_users: list[int],
    variants: dict[str, dict[str, str]],
    rounds: int,
) -> list[Result]:
    results: list[Result] = []
    async with AsyncExitStack() as exits:
        if "chat-variants" in scenarios:
            results += await chat_variants(stack_, variants, duration, rounds, exits)
        if scenarios & {"crud", "saturation", "closed", "chat-closed"}:
            needed = max([100, *closed_users]) if scenarios & {"closed", "chat-closed"} else 100
            clients = [await api_user(stack_.api_url, n, exits) for n in range(needed)]
            if "saturation" in scenarios:
                results.append(
                    await drive("api task CRUD, no think time", [crud_actions(c) for c in clients[:10]],
                                duration, think=False)
                )  # fmt: skip
            if "closed" in scenarios:
                for count in closed_users:
                    actions = [crud_actions(c) for c in clients[:count]]
                    results.append(await drive("api task CRUD, closed loop", actions, duration, think=False))
            if "chat-closed" in scenarios:
                for count in closed_users:
                    chats = [chat_actions(c) for c in clients[:count]]
                    results.append(await drive("chat turn, closed loop", chats, duration, think=False))
            if "crud" in scenarios:
                for count in (10, 50, 100):
                    actions = [crud_actions(c) for c in clients[:count]]
                    results.append(await drive("api task CRUD", actions, duration))
        if "mcp" in scenarios:
            ids = []
            for n in range(20):
                async with httpx.AsyncClient(base_url=stack_.api_url) as c:
                    r = await c.post(
                        "/api/auth/register", json={"email": f"mcp{n}-{random.randrange(10**9)}@example.com",
                                                    "password": PASSWORD},
                    )  # fmt: skip
                    ids.append(r.json()["id"])
            callers = [await mcp_user(stack_, user_id, exits) for user_id in ids]
            results.append(await drive("mcp tool call", callers, duration))
        if "chat" in scenarios:
            chatters = [await api_user(stack_.api_url, 1000 + n, exits) for n in range(20)]
            results.append(
                await drive("chat turn (rules engine)", [chat_actions(c) for c in chatters], duration)
            )
    return results


def user_counts(text: str) -> list[int]:
    """``--users``: comma-separated positive integers, e.g. ``30,100,200``."""
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or any(count < 1 for count in counts):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers like 30,100,200, got {text!r}"
        )
    return counts


def round_count(text: str) -> int:
    """``--rounds``: a positive integer."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer like 6, got {text!r}")
    return int(text)


def setting(text: str) -> tuple[str, str]:
    """``--env``: one ``TODO_NAME=value`` pair."""
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("TODO_"):
        raise argparse.ArgumentTypeError(f"expected TODO_NAME=VALUE like TODO_DB_QUEUE_SIZE=50, got {text!r}")
    return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.services", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per scenario")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument(
        "--scenarios",
        default="saturation,crud,mcp,chat",
        help="comma list of saturation,closed,chat-closed,crud,mcp,chat,chat-variants",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL:TODO_X=V,...",
        type=variant,
        help="a server variant for chat-variants (repeatable; default: the built-in loop/parser/pool set)",
    )
    parser.add_argument(
        "--rounds",
        type=round_count,
        default=6,
        help="chat-variants: interleaved slices per variant, a positive integer (default 6)",
    )
    parser.add_argument(
        "--users",
        default="30,100,200",
        type=user_counts,
        help="comma list of user counts for the closed-loop scenario (default 30,100,200)",
    )
    parser.add_argument("--log-file", type=Path, default=Path(os.devnull))
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="TODO_X=VALUE",
        type=setting,
        help="a setting for both services, e.g. TODO_DB_QUEUE_SIZE=50 (repeatable)",
    )
    parser.add_argument(
        "--no-fsync", action="store_true", help="PostgreSQL with fsync off (separates disk stalls from ours)"
    )
    args = parser.parse_args(argv)
    scenarios = set(args.scenarios.split(","))
    info = machine()
    info["postgres_fsync"] = not args.no_fsync
    quiet = {"TODO_LOG_LEVEL": "warning"}  # access lines would cost the servers time we measure
    settings = dict([*quiet.items(), *args.env])
    info["settings"] = settings
    with (
        args.log_file.open("ab") as log,
        Stack(durable_db=not args.no_fsync, log=log, extra_env=settings) as stack_,
    ):
        variants = dict(args.variant) or VARIANTS
        info["variants"] = variants
        results = asyncio.run(run(stack_, args.duration, scenarios, args.users, variants, args.rounds))
        pids = [p.pid for _, p in stack_.processes]
        cpu = subprocess.run(["ps", "-o", "pid,comm,time", "-p", ",".join(map(str, pids))],
                             capture_output=True, text=True).stdout  # fmt: skip
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    summaries = [r.summary() for r in results]
    print(f"machine: {json.dumps(info)}")
    print(cpu)
    print("| scenario | users | requests | errors | throughput (req/s) | goodput (2xx/s) | p50 (ms) "
          "| p95 (ms) | p99 (ms) | max (ms) | server CPU (ms/req) | statuses | load (1 min) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for s in summaries:
        statuses = ", ".join(f"{label}: {count}" for label, count in s["statuses"].items())
        load = "-".join(f"{x:.1f}" for x in s["load_1min"])
        print(f"| {s['scenario']} | {s['users']} | {s['requests']} | {s['errors']} | {s['throughput_rps']} "
              f"| {s['goodput_rps']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | {s['max_ms']} "
              f"| {s['server_cpu_ms_per_request'] or ''} | {statuses} | {load} |")  # fmt: skip
    if args.json_out:
        args.json_out.write_text(json.dumps({"machine": info, "results": summaries,
                                             "duration_s": args.duration}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
