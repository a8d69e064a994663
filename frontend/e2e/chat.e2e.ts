// The product in a real browser: Debian's chromium -> Debian's nginx with our config -> the real
// backend, MCP server and PostgreSQL (tests/support/stack.py), using the offline rules agent.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Environment, REPO_ROOT, startEnvironment } from "./support";

const SCREENSHOT_DIR = resolve(process.env.E2E_SCREENSHOT_DIR ?? join(REPO_ROOT, ".cache", "frontend-e2e"));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const run = Date.now().toString(36);
const alice = { name: "Alice", email: `alice-${run}@example.com`, password: "correct horse battery" };
const bob = { name: "Bob", email: `bob-${run}@example.com`, password: "another long password" };

let env: Environment;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

function tasks(p: Page = page) {
  return p.getByRole("region", { name: "Tasks" });
}

function watch(p: Page): void {
  p.on("console", (message) => {
    // The first /api/auth/me of a signed-out visitor is an expected 401; anything else is a defect.
    if (message.type() === "error" && !/401 \(Unauthorized\)/.test(message.text())) problems.push(message.text());
  });
  p.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's WCAG 2 A/AA violations on the page as rendered by chromium, as "rule: help (nodes)". */
async function accessibilityViolations(p: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline or injected scripts) stays on.
  await p.evaluate(AXE_SOURCE);
  return p.evaluate(async () => {
    type Result = { violations: { id: string; help: string; nodes: { target: string[] }[] }[] };
    const axe = (window as unknown as { axe: { run: (options: object) => Promise<Result> } }).axe;
    const result = await axe.run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  });
}

async function say(text: string): Promise<string> {
  const before = await page.locator(".bubble.assistant").count();
  const input = page.getByRole("textbox", { name: "Message" });
  await input.fill(text);
  await input.press("Enter");
  const reply = page.locator(".bubble.assistant").nth(before);
  await reply.waitFor({ timeout: 60_000 });
  const error = (await page.getByRole("region", { name: "Chat" }).getByRole("alert").textContent()) ?? "";
  expect(error.trim(), `chat error after "${text}"`).toBe("");
  return (await reply.locator(".bubble-text").textContent()) ?? "";
}

async function signUp(user: typeof alice): Promise<void> {
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Name (optional)").fill(user.name);
  await page.getByLabel("E-mail").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await tasks().waitFor();
}

async function signIn(user: typeof alice): Promise<void> {
  await page.getByLabel("E-mail").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signOut(): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
}

beforeAll(async () => {
  env = await startEnvironment();
  context = await env.browser.newContext({ viewport: DESKTOP });
  page = await context.newPage();
  watch(page);
  await page.goto(env.baseUrl);
});

afterEach(async (context) => {
  if (context.task.result?.state !== "fail" || !page) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const slug = context.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
  await page.screenshot({ path: join(SCREENSHOT_DIR, `failed-${slug}.png`) }).catch(() => undefined);
  console.error(`screenshot: ${join(SCREENSHOT_DIR, `failed-${slug}.png`)}\n${env.logs()}`);
});

afterAll(async () => {
  await env?.stop();
});

describe("todo chatbot in a real browser", () => {
  it("signs up a new user", async () => {
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await signUp(alice);
    await expect.poll(() => page.getByText("Alice", { exact: true }).isVisible()).toBe(true);
    await tasks().getByText("No tasks here").waitFor();
  });

  it("adds tasks by chatting and shows them in the task list", async () => {
    await say("add buy milk");
    await tasks().getByText("buy milk", { exact: true }).waitFor();
    await say("remind me to call mom tomorrow");
    const callMom = tasks().locator("li", { hasText: "call mom" });
    await callMom.waitFor();
    expect(await callMom.textContent()).toContain("Due tomorrow");
    expect(await tasks().getByRole("checkbox").count()).toBe(2);
  });

  it("answers what's left", async () => {
    const reply = await say("what's left?");
    expect(reply).toContain("buy milk");
    expect(reply).toContain("call mom");
  });

  it("marks a task done by chatting and the list follows", async () => {
    await say("mark buy milk as done");
    await tasks().getByText("buy milk", { exact: true }).waitFor({ state: "detached" });
    await tasks().getByText("call mom", { exact: true }).waitFor();
    await tasks().getByRole("button", { name: "Done" }).click();
    await tasks().getByRole("checkbox", { name: 'Reopen "buy milk"' }).waitFor();
    await tasks().getByRole("button", { name: "Open" }).click();
    await tasks().getByText("call mom", { exact: true }).waitFor();
  });

  it("keeps everything after a reload, with the session in an httpOnly cookie only", async () => {
    await page.reload();
    await tasks().getByText("call mom", { exact: true }).waitFor();
    await page.getByText("mark buy milk as done", { exact: true }).waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.name === "todo_session");
    expect(session?.httpOnly).toBe(true);
    expect(await page.evaluate(() => document.cookie)).not.toContain("todo_session");
    expect(await page.evaluate(() => window.localStorage.length + window.sessionStorage.length)).toBe(0);
  });

  it("has no WCAG 2 A/AA violations that axe-core can find on the main screen, light and dark", async () => {
    expect(await accessibilityViolations(page)).toEqual([]);
    const dark = await env.browser.newContext({
      viewport: DESKTOP,
      colorScheme: "dark",
      storageState: await context.storageState(),
    });
    const darkPage = await dark.newPage();
    watch(darkPage);
    await darkPage.goto(env.baseUrl);
    await tasks(darkPage).getByText("call mom", { exact: true }).waitFor();
    expect(await accessibilityViolations(darkPage)).toEqual([]);
    await dark.close();
  });

  it("takes screenshots of the main screen at desktop and phone size", async () => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.getByRole("textbox", { name: "Message" }).blur();
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(SCREENSHOT_DIR, "main-desktop.png") });
    const phone = await env.browser.newContext({
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      storageState: await context.storageState(),
    });
    const phonePage = await phone.newPage();
    watch(phonePage);
    await phonePage.goto(env.baseUrl);
    await tasks(phonePage).getByText("call mom", { exact: true }).waitFor();
    await phonePage.getByText("mark buy milk as done", { exact: true }).waitFor();
    const overflow = await phonePage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, "horizontal overflow on a phone").toBeLessThanOrEqual(0);
    await phonePage.screenshot({ path: join(SCREENSHOT_DIR, "main-phone.png") });
    await phone.close();
  });

  it("signs out, and a second user sees none of the first user's tasks or chats", async () => {
    await signOut();
    await signUp(bob);
    await tasks().getByText("No tasks here").waitFor();
    await tasks().getByRole("button", { name: "All" }).click();
    await tasks().getByText("No tasks here").waitFor();
    expect(await tasks().getByRole("checkbox").count()).toBe(0);
    await page.getByText("Tell me what to do").waitFor();
    expect(await page.getByLabel("Conversation").locator("option").allTextContents()).toEqual(["New conversation"]);
  });

  it("signs in again with a password, refusing a wrong one", async () => {
    await signOut();
    await signIn({ ...alice, password: "not the password" });
    await page.getByText("Wrong e-mail or password").waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await signIn(alice);
    await tasks().getByText("call mom", { exact: true }).waitFor();
    await signOut();
    await signIn(bob);
    await tasks().getByText("No tasks here").waitFor();
  });

  it("returns to sign-in with a message when the session ends mid-session", async () => {
    await context.clearCookies();
    await tasks().getByRole("button", { name: "Done" }).click();
    await page.getByText("Your session has expired. Please sign in again.").waitFor();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
  });

  it("logged no console errors and no CSP violations", () => {
    expect(problems).toEqual([]);
  });
});
