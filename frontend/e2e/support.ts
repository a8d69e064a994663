// Starts the real pieces the browser scenario needs: the backend stack, nginx with our config, chromium.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";

export const FRONTEND_DIR = resolve(import.meta.dirname, "..");
export const REPO_ROOT = resolve(FRONTEND_DIR, "..");

// Loopback ports of the frontend tier (15600-15699): the stack takes a few from its base, nginx one more.
const STACK_PORT_BASE = Number(process.env.E2E_STACK_PORT_BASE ?? 15610);
const NGINX_PORT = Number(process.env.E2E_NGINX_PORT ?? 15680);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const NGINX = process.env.NGINX_BIN ?? "/usr/sbin/nginx";
const PYTHON = join(REPO_ROOT, ".venv", "bin", "python");
const STACK_MODULE = join(REPO_ROOT, "tests", "support", "stack.py");
// An already running backend (e.g. `todo-api` during development) instead of starting the stack.
const EXISTING_BACKEND = process.env.E2E_BACKEND_URL ?? "";
// A deployed frontend (the live tier: the cluster's frontend Service through a port-forward):
// the scenario drives it and starts nothing but the browser.
const DEPLOYED_FRONTEND = process.env.E2E_FRONTEND_URL ?? "";

type Managed = { name: string; child: ChildProcess; output: string[] };

export const RUNS_AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

/** The command line that runs `args` as nobody when the tests run as root, like the image's numeric non-root user. */
export function unprivileged(args: [string, ...string[]]): [string, string[]] {
  return RUNS_AS_ROOT
    ? ["setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", ...args]]
    : [args[0], args.slice(1)];
}

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Managed {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const managed: Managed = { name, child, output: [] };
  const keep = (chunk: Buffer) => {
    managed.output.push(chunk.toString());
    if (managed.output.length > 200) managed.output.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return managed;
}

function tail(managed: Managed): string {
  return managed.output.join("").split("\n").slice(-25).join("\n");
}

async function stop(managed: Managed | null, signal: NodeJS.Signals): Promise<void> {
  if (!managed || managed.child.exitCode !== null || managed.child.signalCode !== null) return;
  const exited = new Promise<void>((done) => managed.child.once("exit", () => done()));
  managed.child.kill(signal);
  const timer = setTimeout(() => managed.child.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs: number, owner: Managed): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (owner.child.exitCode !== null || owner.child.signalCode !== null) {
      throw new Error(`${owner.name} exited (${owner.child.exitCode ?? owner.child.signalCode}) before ${what}:\n${tail(owner)}`);
    }
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}; ${owner.name} said:\n${tail(owner)}`);
}

export type Environment = {
  baseUrl: string;
  browser: Browser;
  /** The last lines the stack and nginx printed, for a failure report. */
  logs: () => string;
  stop: () => Promise<void>;
};

/** Checks what the scenario needs and names the missing piece and how to get it. */
function preflight(): void {
  const missing: string[] = [];
  if (DEPLOYED_FRONTEND) {
    if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    if (missing.length) throw new Error(`the browser scenario cannot start; missing:\n  - ${missing.join("\n  - ")}`);
    return;
  }
  if (!EXISTING_BACKEND && !existsSync(STACK_MODULE))
    missing.push(`${STACK_MODULE} (the backend launcher is not there yet: waiting for tests/support/stack.py)`);
  if (!EXISTING_BACKEND && !existsSync(PYTHON)) missing.push(`${PYTHON} (run scripts/test frontend, or create the venv with ensure_venv)`);
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  if (!existsSync(NGINX)) missing.push(`${NGINX} (apt-get install nginx, or set NGINX_BIN)`);
  if (!existsSync(join(FRONTEND_DIR, "dist", "index.html"))) missing.push("frontend/dist/index.html (run npm run build)");
  if (missing.length) throw new Error(`the browser scenario cannot start; missing:\n  - ${missing.join("\n  - ")}`);
}

function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Playwright gives every launch a fresh temporary --user-data-dir; these flags keep chromium offline.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

async function deployedEnvironment(baseUrl: string): Promise<Environment> {
  const me = await fetch(`${baseUrl}/api/auth/me`).catch((error: unknown) => {
    throw new Error(`the deployed frontend at ${baseUrl} does not answer (E2E_FRONTEND_URL): ${String(error)}`);
  });
  if (me.status !== 401) throw new Error(`${baseUrl}/api/auth/me answered ${me.status}, not 401: is the backend behind it up?`);
  const browser = await launchBrowser();
  return {
    baseUrl,
    browser,
    logs: () => `deployed frontend at ${baseUrl} (read the pods' logs with kubectl logs)`,
    stop: () => browser.close(),
  };
}

export async function startEnvironment(): Promise<Environment> {
  preflight();
  if (DEPLOYED_FRONTEND) return deployedEnvironment(DEPLOYED_FRONTEND.replace(/\/$/, ""));
  const work = mkdtempSync(join(tmpdir(), "todo-frontend-e2e-"));
  const stackJson = join(work, "stack.json");
  let stack: Managed | null = null;
  let nginx: Managed | null = null;
  let browser: Browser | null = null;
  const stopAll = async () => {
    await browser?.close().catch(() => undefined);
    await stop(nginx, "SIGQUIT");
    await stop(stack, "SIGTERM");
    rmSync(work, { recursive: true, force: true });
  };
  process.once("exit", () => {
    for (const managed of [nginx, stack]) managed?.child.kill("SIGKILL");
  });
  try {
    let api = EXISTING_BACKEND;
    if (!api) {
      stack = start(
        "tests/support/stack.py",
        PYTHON,
        ["-m", "tests.support.stack", "--port-base", String(STACK_PORT_BASE), "--json-out", stackJson],
        {},
        REPO_ROOT,
      );
      const urls = await waitFor(
        "the stack's JSON file",
        async () => (existsSync(stackJson) ? (JSON.parse(readFileSync(stackJson, "utf8")) as { api?: string }) : null),
        150_000,
        stack,
      );
      if (!urls.api) throw new Error(`${stackJson} has no "api" URL: ${JSON.stringify(urls)}`);
      api = urls.api;
    }

    const baseUrl = `http://127.0.0.1:${NGINX_PORT}`;
    // A leftover server on our port would answer the probes below in place of the nginx we start.
    if (await fetch(`${baseUrl}/healthz`).then(() => true, () => false))
      throw new Error(`something already listens on 127.0.0.1:${NGINX_PORT}; stop it or set E2E_NGINX_PORT`);
    // nginx runs as the image does, not as root (whose workers would be nobody, unable to write the run dir).
    const runDir = join(work, "nginx");
    mkdirSync(runDir);
    if (RUNS_AS_ROOT) {
      chmodSync(work, 0o711);
      chownSync(runDir, NOBODY, NOBODY);
    }
    nginx = start(
      "nginx (frontend/nginx/start.sh)",
      ...unprivileged(["sh", join(FRONTEND_DIR, "nginx", "start.sh")]),
      {
        TODO_BACKEND_URL: api,
        TODO_FRONTEND_STATIC_ROOT: join(FRONTEND_DIR, "dist"),
        TODO_FRONTEND_LISTEN: `127.0.0.1:${NGINX_PORT}`,
        TODO_FRONTEND_RUN_DIR: runDir,
        TODO_FRONTEND_NGINX_BIN: NGINX,
      },
      FRONTEND_DIR,
    );
    await waitFor(
      "nginx /healthz and the backend behind it",
      async () => {
        const health = await fetch(`${baseUrl}/healthz`);
        const me = await fetch(`${baseUrl}/api/auth/me`);
        return health.ok && me.status === 401 ? true : null;
      },
      30_000,
      nginx,
    );

    browser = await launchBrowser();
    const logs = () =>
      [stack, nginx]
        .filter((managed): managed is Managed => managed !== null)
        .map((managed) => `--- ${managed.name} ---\n${tail(managed)}`)
        .join("\n");
    return { baseUrl, browser, logs, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
