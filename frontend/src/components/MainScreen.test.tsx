import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { CHAT_MESSAGE_MAX_LENGTH } from "../api-limits";
import { installFakeBackend } from "../test/fakeBackend";
import { MainScreen } from "./MainScreen";

const ALICE = { id: 1, email: "alice@example.com", name: "Alice" };

function renderMain() {
  render(<MainScreen user={ALICE} onSignOut={() => undefined} />);
  return userEvent.setup();
}

function taskList() {
  return screen.getByRole("region", { name: "Tasks" });
}

describe("chat beside the task list", () => {
  it("sends on Enter, shows a pending indicator, then the reply and the refreshed task list", async () => {
    const backend = installFakeBackend({ user: ALICE });
    let release = () => undefined as void;
    backend.chatGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const user = renderMain();
    await screen.findByText(/No tasks here/);

    await user.type(screen.getByLabelText("Message"), "add buy milk{Enter}");
    expect(screen.getByText("add buy milk", { selector: ".bubble-text" })).toBeInTheDocument();
    expect(screen.getByText("Assistant is thinking…")).toBeInTheDocument();
    expect(screen.getByLabelText("Message")).toHaveValue("");
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();

    release();
    expect(await screen.findByText('Added "buy milk".')).toBeInTheDocument();
    expect(await within(taskList()).findByText("buy milk")).toBeInTheDocument();
    expect(screen.queryByText("Assistant is thinking…")).not.toBeInTheDocument();
  });

  it("keeps Shift+Enter as a new line instead of sending", async () => {
    const backend = installFakeBackend({ user: ALICE });
    const user = renderMain();
    const input = await screen.findByLabelText("Message");
    await user.type(input, "first line{Shift>}{Enter}{/Shift}second line");
    expect(input).toHaveValue("first line\nsecond line");
    expect(backend.calls.some((c) => c.path === "/api/chat")).toBe(false);
  });

  it("shows a readable error and keeps the text when the server is unreachable", async () => {
    const backend = installFakeBackend({ user: ALICE });
    backend.override = (_method, path) => (path === "/api/chat" ? "network-error" : undefined);
    const user = renderMain();
    await user.type(await screen.findByLabelText("Message"), "add buy milk{Enter}");
    const chat = screen.getByRole("region", { name: "Chat" });
    await waitFor(() => expect(within(chat).getByRole("alert")).toHaveTextContent("Can't reach the server"));
    expect(screen.getByLabelText("Message")).toHaveValue("add buy milk");
    expect(within(chat).queryByText("add buy milk", { selector: ".bubble-text" })).not.toBeInTheDocument();
  });

  it("shows the server's error when a chat turn fails", async () => {
    const backend = installFakeBackend({ user: ALICE });
    backend.override = (_method, path) =>
      path === "/api/chat" ? { status: 500, body: { detail: "the assistant is unavailable" } } : undefined;
    const user = renderMain();
    await user.type(await screen.findByLabelText("Message"), "hello{Enter}");
    const chat = screen.getByRole("region", { name: "Chat" });
    await waitFor(() => expect(within(chat).getByRole("alert")).toHaveTextContent("the assistant is unavailable"));
  });

  it("keeps an over-long paste whole, says by how much it is over the API's limit, and sends it once shortened", async () => {
    const backend = installFakeBackend({ user: ALICE });
    const user = renderMain();
    const input = await screen.findByLabelText("Message");
    await user.click(input);
    await user.paste("x".repeat(CHAT_MESSAGE_MAX_LENGTH + 25));
    expect(input).toHaveValue("x".repeat(CHAT_MESSAGE_MAX_LENGTH + 25));
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input).toHaveAccessibleDescription(/shorten it by 25 to send/);
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    await user.keyboard("{Enter}");
    expect(backend.calls.some((c) => c.path === "/api/chat")).toBe(false);

    await user.keyboard("{Backspace>25/}");
    expect(input).toHaveAttribute("aria-invalid", "false");
    expect(input).not.toHaveAccessibleDescription(/shorten/);
    await user.keyboard("{Enter}");
    await waitFor(() => expect(input).toHaveValue(""));
    const sent = backend.calls.find((c) => c.path === "/api/chat")?.body as { message: string };
    expect(sent.message).toHaveLength(CHAT_MESSAGE_MAX_LENGTH);
    expect(screen.getByRole("region", { name: "Chat" })).not.toHaveTextContent("was not sent");
  });

  it("counts characters as the API does: an emoji is one, though it is two UTF-16 units", async () => {
    const backend = installFakeBackend({ user: ALICE });
    const user = renderMain();
    const input = await screen.findByLabelText("Message");
    await user.click(input);
    await user.paste("🥛".repeat(CHAT_MESSAGE_MAX_LENGTH));
    expect(input).toHaveAttribute("aria-invalid", "false");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(backend.calls.some((c) => c.path === "/api/chat")).toBe(true));
    await user.paste("🥛".repeat(CHAT_MESSAGE_MAX_LENGTH + 1));
    expect(input).toHaveAccessibleDescription(/shorten it by 1 to send/);
  });

  it("reopens the latest conversation on load and switches to an earlier one", async () => {
    const backend = installFakeBackend({ user: ALICE });
    const at = "2030-01-01T10:00:00Z";
    const msg = (id: number, role: "user" | "assistant", content: string) => ({
      id, role, content, tool_calls: [], created_at: at,
    });
    backend.conversations = [
      { id: 20, title: "Groceries", created_at: at, updated_at: at, messages: [msg(1, "user", "add eggs"), msg(2, "assistant", "Added eggs.")] },
      { id: 10, title: "Family", created_at: at, updated_at: at, messages: [msg(3, "user", "call mom"), msg(4, "assistant", "Noted.")] },
    ];
    const user = renderMain();
    expect(await screen.findByText("Added eggs.")).toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText("Conversation"), "Family");
    expect(await screen.findByText("Noted.")).toBeInTheDocument();
    expect(screen.queryByText("Added eggs.")).not.toBeInTheDocument();

    await user.type(screen.getByLabelText("Message"), "what's left?{Enter}");
    await screen.findByText("You have tasks.");
    const chatCall = backend.calls.find((c) => c.path === "/api/chat");
    expect(chatCall?.body).toEqual({ message: "what's left?", conversation_id: 10 });

    await user.click(screen.getByRole("button", { name: "New chat" }));
    expect(screen.queryByText("Noted.")).not.toBeInTheDocument();
    expect(screen.getByText(/Tell me what to do/)).toBeInTheDocument();
  });
});

describe("task list", () => {
  it("completes, reopens and deletes tasks directly", async () => {
    const backend = installFakeBackend({ user: ALICE });
    backend.addTask("buy milk", { priority: "high" });
    backend.addTask("call mom", { due_date: "2030-01-02" });
    const user = renderMain();

    await user.click(await screen.findByRole("checkbox", { name: 'Mark "buy milk" done' }));
    await waitFor(() => expect(within(taskList()).queryByText("buy milk")).not.toBeInTheDocument());
    expect(backend.tasks.find((t) => t.title === "buy milk")?.completed).toBe(true);

    await user.click(screen.getByRole("button", { name: "Done" }));
    await user.click(await screen.findByRole("checkbox", { name: 'Reopen "buy milk"' }));
    await waitFor(() => expect(within(taskList()).getByText("Nothing done yet.")).toBeInTheDocument());

    await user.click(screen.getByRole("button", { name: "Open" }));
    await user.click(await screen.findByRole("button", { name: 'Delete "call mom"' }));
    await waitFor(() => expect(within(taskList()).queryByText("call mom")).not.toBeInTheDocument());
    expect(backend.tasks.map((t) => t.title)).toEqual(["buy milk"]);
  });

  it("can be driven from the keyboard alone", async () => {
    const backend = installFakeBackend({ user: ALICE });
    backend.addTask("buy milk");
    const user = renderMain();
    const checkbox = await screen.findByRole("checkbox", { name: 'Mark "buy milk" done' });
    for (let presses = 0; presses < 20 && document.activeElement !== checkbox; presses++) await user.tab();
    expect(checkbox).toHaveFocus();
    await user.keyboard(" ");
    await waitFor(() => expect(backend.tasks[0]?.completed).toBe(true));
    const input = screen.getByLabelText("Message");
    for (let presses = 0; presses < 20 && document.activeElement !== input; presses++) await user.tab({ shift: true });
    expect(input).toHaveFocus();
    await user.keyboard("what's left?{Enter}");
    expect(await screen.findByText("You have tasks.")).toBeInTheDocument();
  });

  it("shows priority and due date on each task", async () => {
    const backend = installFakeBackend({ user: ALICE });
    backend.addTask("file taxes", { priority: "high", due_date: "2001-04-15" });
    renderMain();
    const row = (await within(taskList()).findByText("file taxes")).closest("li");
    expect(row).not.toBeNull();
    expect(within(row as HTMLElement).getByText("High priority")).toBeInTheDocument();
    expect(within(row as HTMLElement).getByText(/Overdue since/)).toBeInTheDocument();
  });

  it("says what failed when a task action fails", async () => {
    const backend = installFakeBackend({ user: ALICE });
    backend.addTask("buy milk");
    backend.override = (method) => (method === "DELETE" ? { status: 404, body: { detail: "task 1 not found" } } : undefined);
    const user = renderMain();
    await user.click(await screen.findByRole("button", { name: 'Delete "buy milk"' }));
    expect(await within(taskList()).findByRole("alert")).toHaveTextContent('Could not delete "buy milk": task 1 not found');
  });
});
