import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { PASSWORD_MIN_LENGTH } from "./api-limits";
import { App, SESSION_EXPIRED_MESSAGE } from "./App";
import { installFakeBackend } from "./test/fakeBackend";

const ALICE = { id: 1, email: "alice@example.com", name: "Alice" };

describe("signing in and out", () => {
  it("says so when the password is wrong", async () => {
    const backend = installFakeBackend();
    backend.override = (method, path) =>
      method === "POST" && path === "/api/auth/login" ? { status: 401, body: { detail: "invalid credentials" } } : undefined;
    render(<App />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("E-mail"), "alice@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong-password");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong e-mail or password");
    expect(screen.queryByRole("heading", { name: "Tasks" })).not.toBeInTheDocument();
  });

  it("says so when the e-mail is already taken at sign-up", async () => {
    const backend = installFakeBackend();
    backend.override = (method, path) =>
      method === "POST" && path === "/api/auth/register" ? { status: 409, body: { detail: "e-mail taken" } } : undefined;
    render(<App />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Create an account" }));
    await user.type(screen.getByLabelText("E-mail"), "alice@example.com");
    await user.type(screen.getByLabelText("Password"), "long-enough-password");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("already exists");
  });

  it("refuses a short password before asking the server", async () => {
    const backend = installFakeBackend();
    render(<App />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Create an account" }));
    await user.type(screen.getByLabelText("E-mail"), "alice@example.com");
    // Emoji count once each, as the API counts them, though each is two UTF-16 units.
    await user.type(screen.getByLabelText("Password"), "🔑".repeat(PASSWORD_MIN_LENGTH - 1));
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(`at least ${PASSWORD_MIN_LENGTH} characters`);
    expect(backend.calls.some((c) => c.path === "/api/auth/register")).toBe(false);
  });

  it("signs up and lands on the main screen with the session cookie only", async () => {
    const backend = installFakeBackend();
    backend.override = (method, path, body) => {
      if (method !== "POST" || path !== "/api/auth/register") return undefined;
      const { email, name } = body as { email: string; name: string };
      backend.user = { id: 9, email, name };
      return { status: 201, body: backend.user };
    };
    render(<App />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Create an account" }));
    await user.type(screen.getByLabelText("Name (optional)"), "Bob");
    await user.type(screen.getByLabelText("E-mail"), "bob@example.com");
    await user.type(screen.getByLabelText("Password"), "long-enough-password");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("heading", { name: "Tasks" })).toBeInTheDocument();
    expect(screen.getByText("Bob")).toBeInTheDocument();
    expect(window.localStorage.length).toBe(0);
    expect(window.sessionStorage.length).toBe(0);
  });

  it("returns to sign-in with a message when the session expires mid-session", async () => {
    const backend = installFakeBackend({ user: ALICE });
    render(<App />);
    const user = userEvent.setup();
    const input = await screen.findByLabelText("Message");
    backend.user = null; // the server forgets the session: the next request answers 401
    await user.type(input, "add buy milk{Enter}");
    expect(await screen.findByRole("status")).toHaveTextContent(SESSION_EXPIRED_MESSAGE);
    expect(screen.getByRole("button", { name: "Sign in" })).toBeInTheDocument();
  });

  it("signs out", async () => {
    installFakeBackend({ user: ALICE });
    render(<App />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Sign out" }));
    const main = await screen.findByRole("main");
    expect(within(main).getByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(within(main).getByRole("status")).toHaveTextContent("signed out");
  });

  it("says so when the session cookie has expired by the time the page loads", async () => {
    const backend = installFakeBackend();
    backend.override = (_method, path) =>
      path === "/api/auth/me" ? { status: 401, body: { detail: "session expired; log in again" } } : undefined;
    render(<App />);
    expect(await screen.findByRole("status")).toHaveTextContent(SESSION_EXPIRED_MESSAGE);
  });

  it("shows no notice to a visitor who is simply not signed in", async () => {
    installFakeBackend();
    render(<App />);
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
  });

  it("tells the user when the server cannot be reached at start", async () => {
    const backend = installFakeBackend();
    backend.override = () => "network-error";
    render(<App />);
    await waitFor(() => expect(screen.getByRole("status")).toHaveTextContent("Can't reach the server"));
  });
});
