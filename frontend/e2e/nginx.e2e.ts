// The nginx config and start.sh on their own: Debian's nginx serving dist/ with no backend behind it,
// run as an unprivileged user (like the image) when the tests run as root.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { request } from "node:http";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FRONTEND_DIR, RUNS_AS_ROOT as asRoot, unprivileged as command } from "./support";

const NGINX = process.env.NGINX_BIN ?? "/usr/sbin/nginx";
const PORT = Number(process.env.E2E_NGINX_PORT ?? 15680) + 1;
const DEAD_BACKEND = "http://127.0.0.1:15698"; // nothing listens here: the proxy must say so in JSON
const BASE = `http://127.0.0.1:${PORT}`;
const START_SH = join(FRONTEND_DIR, "nginx", "start.sh");
const DIST = join(FRONTEND_DIR, "dist");

let work = "";
let nginx: ChildProcess | null = null;
let output = "";

function envFor(overrides: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    TODO_BACKEND_URL: DEAD_BACKEND,
    TODO_FRONTEND_STATIC_ROOT: DIST,
    TODO_FRONTEND_LISTEN: `127.0.0.1:${PORT}`,
    TODO_FRONTEND_RUN_DIR: join(work, "run"),
    TODO_FRONTEND_NGINX_BIN: NGINX,
    ...overrides,
  };
}

beforeAll(async () => {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing (apt-get install nginx, or set NGINX_BIN)`);
  if (!existsSync(join(DIST, "index.html"))) throw new Error("frontend/dist is missing; run npm run build");
  work = mkdtempSync(join(tmpdir(), "todo-frontend-nginx-"));
  chmodSync(work, 0o777);
  const [cmd, args] = command(["sh", START_SH]);
  nginx = spawn(cmd, args, { env: envFor({}), stdio: ["ignore", "pipe", "pipe"] });
  nginx.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  nginx.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited (${nginx.exitCode}):\n${output}`);
    if (await fetch(`${BASE}/healthz`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx did not answer on ${BASE} within 15 s:\n${output}`);
});

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((done) => nginx?.once("exit", done));
    nginx.kill("SIGQUIT");
    await exited;
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

function expectSecurityHeaders(response: Response): void {
  const csp = response.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("default-src 'self'");
  expect(csp).toMatch(/script-src 'self'(;|$)/);
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("referrer-policy")).toBe("no-referrer");
}

describe("frontend nginx config", () => {
  it("runs nginx as a non-root user with its pid and temp files in the run dir", () => {
    const pid = readFileSync(join(work, "run", "nginx.pid"), "utf8").trim();
    const uid = readFileSync(`/proc/${pid}/status`, "utf8").match(/^Uid:\s+(\d+)/m)?.[1];
    if (asRoot) expect(uid).toBe("65534");
    expect(readdirSync(join(work, "run")).sort()).toEqual(
      ["body-limit.conf", "client_body", "fastcgi", "nginx.conf", "nginx.pid", "proxy", "scgi", "security-headers.conf", "uwsgi"].sort(),
    );
    expect(readFileSync(join(work, "run", "nginx.conf"), "utf8")).not.toMatch(/__[A-Z_]+__/);
  });

  it("serves index.html uncached with the security headers", async () => {
    const response = await fetch(`${BASE}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expectSecurityHeaders(response);
    expect(await response.text()).toContain('<div id="root">');
  });

  it("falls back to index.html for app routes (SPA)", async () => {
    const response = await fetch(`${BASE}/conversations/42`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(await response.text()).toContain('<div id="root">');
  });

  it("serves hashed assets gzipped and immutable, and 404s a missing one", async () => {
    const js = readdirSync(join(DIST, "assets")).find((name) => name.endsWith(".js"));
    const response = await fetch(`${BASE}/assets/${js}`, { headers: { "Accept-Encoding": "gzip" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expectSecurityHeaders(response);
    expect((await fetch(`${BASE}/assets/missing-0000.js`)).status).toBe(404);
  });

  it("sends Cross-Origin-Opener-Policy only to origins where the browser honours it", async () => {
    // fetch() may not set Host; node:http may. The origin a browser sees is the Host it sent.
    const opener = (headers: Record<string, string>) =>
      new Promise<string | undefined>((done, fail) => {
        request(`${BASE}/`, { headers }, (response) => {
          response.resume();
          done(response.headers["cross-origin-opener-policy"] as string | undefined);
        })
          .on("error", fail)
          .end();
      });
    for (const host of ["localhost", "127.0.0.1", `127.0.0.1:${PORT}`, "app.localhost:8080", "[::1]:8080"]) {
      expect(await opener({ Host: host }), host).toBe("same-origin");
    }
    for (const host of ["192.168.49.2:30080", "todo.example.com", "localhost.example.com", "127.0.0.1.nip.io"]) {
      expect(await opener({ Host: host }), host).toBeUndefined();
      expect(await opener({ Host: host, "X-Forwarded-Proto": "https" }), `${host} behind TLS`).toBe("same-origin");
    }
  });

  it("answers /healthz", async () => {
    const response = await fetch(`${BASE}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("reports an unreachable backend in the API's JSON error shape", async () => {
    const response = await fetch(`${BASE}/api/auth/me`);
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(((await response.json()) as { detail: string }).detail).toMatch(/backend is not reachable/);
  });

  it("refuses a body over the API's limit with a JSON 413 before proxying it, and passes one at the limit", async () => {
    // The limit nginx enforces is the generated file's (from the API's MAX_BODY_BYTES).
    const conf = readFileSync(join(FRONTEND_DIR, "nginx", "body-limit.conf"), "utf8");
    const limit = Number(conf.match(/^client_max_body_size (\d+);$/m)?.[1]);
    expect(limit).toBeGreaterThan(0);
    const post = (size: number) => fetch(`${BASE}/api/chat`, { method: "POST", body: "x".repeat(size) });
    const tooLarge = await post(limit + 1);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get("content-type")).toContain("application/json");
    expect(((await tooLarge.json()) as { detail: string }).detail).toMatch(/too large/);
    expect((await post(limit)).status).toBe(502); // within the limit: proxied (to the dead backend)
  });
});

describe("start.sh", () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ["no backend URL", { TODO_BACKEND_URL: "" }, /TODO_BACKEND_URL is not set/],
    ["a URL without scheme", { TODO_BACKEND_URL: "todo-backend:8000" }, /TODO_BACKEND_URL='todo-backend:8000' is not http\(s\):\/\/host:port/],
    ["a URL without port", { TODO_BACKEND_URL: "http://todo-backend" }, /is not http\(s\):\/\/host:port/],
    ["a URL with a path", { TODO_BACKEND_URL: "http://todo-backend:8000/api" }, /no path/],
    ["a port out of range", { TODO_BACKEND_URL: "http://todo-backend:70000" }, /has port 70000; use a port from 1 to 65535/],
    ["a static root without index.html", { TODO_FRONTEND_STATIC_ROOT: "/var/empty-nothing" }, /has no index.html/],
    ["a bad listen value", { TODO_FRONTEND_LISTEN: "localhost:80" }, /TODO_FRONTEND_LISTEN='localhost:80' is not PORT or IPv4:PORT/],
  ];
  it.each(cases)("refuses %s with one actionable line", (_name, overrides, message) => {
    const result = spawnSync("sh", [START_SH], { env: envFor({ ...overrides, TODO_FRONTEND_NGINX_BIN: "false" }), encoding: "utf8" });
    expect(result.status).toBe(64);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^start\.sh: error: /);
    expect(lines[0]).toMatch(message);
  });

  it("accepts an https URL with a trailing slash and hands over to nginx", () => {
    const result = spawnSync("sh", [START_SH], {
      env: envFor({ TODO_BACKEND_URL: "https://localhost:8443/", TODO_FRONTEND_RUN_DIR: join(work, "run2"), TODO_FRONTEND_NGINX_BIN: "true" }),
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    const conf = readFileSync(join(work, "run2", "nginx.conf"), "utf8");
    expect(conf).toContain("server localhost:8443;");
    expect(conf).toContain("proxy_pass https://todo_backend;");
    expect(spawnSync(NGINX, ["-t", "-q", "-c", join(work, "run2", "nginx.conf"), "-e", "stderr"]).status).toBe(0);
  });
});
