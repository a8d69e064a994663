// The product in a real browser: Debian's chromium -> Debian's nginx with our config -> the real
// backend, MCP server and PostgreSQL (tests/support/stack.py), using the offline rules agent.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import openapi from "../openapi.json" with { type: "json" };
import { type Environment, REPO_ROOT, startEnvironment } from "./support";

// Failure and layout screenshots always go to the cache; E2E_SCREENSHOT_DIR only moves the docs' main-*.png.
const ARTIFACT_DIR = join(REPO_ROOT, ".cache", "frontend-e2e");
const SCREENSHOT_DIR = resolve(process.env.E2E_SCREENSHOT_DIR ?? ARTIFACT_DIR);
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const PHONE_DEVICE = { viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
// The API's own limit, from its OpenAPI document: the one the app must enforce, no other.
const CHAT_MESSAGE_MAX_LENGTH = openapi.components.schemas.ChatRequest.properties.message.maxLength;
const run = Date.now().toString(36);
const alice = { name: "Alice", email: `alice-${run}@example.com`, password: "correct horse battery" };
const bob = { name: "Bob", email: `bob-${run}@example.com`, password: "another long password" };
const LONG_CHAT_TURNS = 20;

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

async function say(text: string, p: Page = page): Promise<string> {
  const before = await p.locator(".bubble.assistant").count();
  const input = p.getByRole("textbox", { name: "Message" });
  await input.fill(text);
  await input.press("Enter");
  const reply = p.locator(".bubble.assistant").nth(before);
  await reply.waitFor({ timeout: 60_000 });
  const error = (await p.getByRole("region", { name: "Chat" }).getByRole("alert").textContent()) ?? "";
  expect(error.trim(), `chat error after "${text}"`).toBe("");
  return (await reply.locator(".bubble-text").textContent()) ?? "";
}

async function signUp(user: typeof alice, p: Page = page): Promise<void> {
  await p.getByRole("button", { name: "Create an account" }).click();
  await p.getByLabel("Name (optional)").fill(user.name);
  await p.getByLabel("E-mail").fill(user.email);
  await p.getByLabel("Password").fill(user.password);
  await p.getByRole("button", { name: "Create account" }).click();
  await tasks(p).waitFor();
}

/**
 * What breaks "the app fills the screen and nothing else scrolls": a document taller or wider than
 * the viewport, the header or the composer out of view, and the defect class behind
 * a growing page: a scroll box that is not a positioning context, which lets an absolutely positioned
 * descendant (a screen-reader-only label) escape it and extend the document instead.
 */
async function layoutProblems(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const problems: string[] = [];
    const root = document.documentElement;
    const describe = (el: Element) => `<${el.tagName.toLowerCase()} class="${el.getAttribute("class") ?? ""}">`;
    if (root.scrollHeight > window.innerHeight)
      problems.push(`the document is ${root.scrollHeight}px tall in a ${window.innerHeight}px viewport`);
    if (root.scrollWidth > window.innerWidth)
      problems.push(`the document is ${root.scrollWidth}px wide in a ${window.innerWidth}px viewport`);
    for (const selector of ["header", ".composer"]) {
      const box = document.querySelector(selector)?.getBoundingClientRect();
      if (!box) problems.push(`no ${selector} on the page`);
      else if (box.top < 0 || box.bottom > window.innerHeight)
        problems.push(`${selector} is out of view (top ${box.top}px, bottom ${box.bottom}px)`);
    }
    const scrolls = (style: CSSStyleDeclaration) =>
      [style.overflowX, style.overflowY].some((value) => ["auto", "scroll", "hidden"].includes(value));
    // Form controls scroll inside their own shadow tree; they cannot hold a positioned child of ours.
    const controls = new Set(["INPUT", "SELECT", "TEXTAREA"]);
    for (const el of Array.from(document.body.querySelectorAll("*"))) {
      const style = getComputedStyle(el);
      if (!controls.has(el.tagName) && scrolls(style) && style.position === "static")
        problems.push(`${describe(el)} scrolls or clips (overflow ${style.overflowX} ${style.overflowY}) but is not a positioning context`);
      if (style.position !== "absolute" || !(el instanceof HTMLElement)) continue;
      let box = el.parentElement;
      while (box && box !== document.body && !scrolls(getComputedStyle(box))) box = box.parentElement;
      const anchor = el.offsetParent;
      if (box && box !== document.body && !(anchor && box.contains(anchor)))
        problems.push(`${describe(el)} is positioned against ${anchor ? describe(anchor) : "the page"}, outside its scroll box ${describe(box)}`);
    }
    return problems;
  });
}

/** Length as the API counts it (Python's len): Unicode code points. */
function codePoints(text: string): number {
  return Array.from(text).length;
}

/** A new browser context (desktop or phone), signed up as a new user of its own. */
async function newUserPage(label: string, phone: boolean): Promise<{ device: BrowserContext; p: Page }> {
  const device = await env.browser.newContext(phone ? PHONE_DEVICE : { viewport: DESKTOP });
  const p = await device.newPage();
  watch(p);
  await p.goto(env.baseUrl);
  await signUp({ name: `Carol ${label}`, email: `carol-${label}-${run}@example.com`, password: alice.password }, p);
  return { device, p };
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
  mkdirSync(ARTIFACT_DIR, { recursive: true });
  const slug = context.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
  await page.screenshot({ path: join(ARTIFACT_DIR, `failed-${slug}.png`) }).catch(() => undefined);
  console.error(`screenshot: ${join(ARTIFACT_DIR, `failed-${slug}.png`)}\n${env.logs()}`);
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
    const phone = await env.browser.newContext({ ...PHONE_DEVICE, storageState: await context.storageState() });
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

  for (const [size, viewport] of [["desktop", DESKTOP], ["phone", PHONE]] as const) {
    it(`fits the ${size} screen (${viewport.width}x${viewport.height}) with the header in view after ${LONG_CHAT_TURNS} chat turns`, async () => {
      const { device, p } = await newUserPage(size, size === "phone");
      expect(await layoutProblems(p), "before chatting").toEqual([]);
      for (let turn = 1; turn <= LONG_CHAT_TURNS; turn += 1) {
        await say(turn % 2 ? `add chore number ${turn}` : "what's left?", p);
        expect(await layoutProblems(p), `after chat turn ${turn}`).toEqual([]);
      }
      await expect.poll(() => tasks(p).getByRole("checkbox").count()).toBe(LONG_CHAT_TURNS / 2);
      expect(await layoutProblems(p), "with the task list full").toEqual([]);
      expect(await p.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);
      mkdirSync(ARTIFACT_DIR, { recursive: true });
      await p.getByRole("textbox", { name: "Message" }).blur();
      await p.screenshot({ path: join(ARTIFACT_DIR, `long-chat-${size}.png`) });
      await device.close();
    });
  }

  it("sends a message of exactly the API's length limit, counted as the API counts, and flags a longer paste without cutting it", async () => {
    const { device, p } = await newUserPage("limit", false);
    const input = p.getByRole("textbox", { name: "Message" });
    await input.focus();
    // Typed as one edit, as a paste is: a maxlength attribute would cut it here. Each emoji is 2 UTF-16 units, 1 for the API.
    await p.keyboard.insertText("🥛".repeat(CHAT_MESSAGE_MAX_LENGTH + 1));
    expect(codePoints(await input.inputValue()), "code points left in the box after the paste").toBe(CHAT_MESSAGE_MAX_LENGTH + 1);
    expect(await input.getAttribute("aria-invalid")).toBe("true");
    await p.getByText(/characters: shorten it by 1 to send/).waitFor();
    expect(await p.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    mkdirSync(ARTIFACT_DIR, { recursive: true });
    await p.screenshot({ path: join(ARTIFACT_DIR, "message-over-limit.png") });

    await input.press("Backspace");
    expect(await input.getAttribute("aria-invalid")).toBe("false");
    await input.press("Enter");
    await p.locator(".bubble.assistant").first().waitFor({ timeout: 60_000 });
    const error = (await p.getByRole("region", { name: "Chat" }).getByRole("alert").textContent()) ?? "";
    expect(error.trim(), "the API refused a message the app let through").toBe("");
    expect(codePoints((await p.locator(".bubble.user .bubble-text").first().textContent()) ?? ""), "code points sent").toBe(
      CHAT_MESSAGE_MAX_LENGTH,
    );
    await device.close();
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
