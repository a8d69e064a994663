// An in-memory stand-in for the HTTP API, for component tests only (the browser test uses the real backend).
import { vi } from "vitest";
import { CHAT_MESSAGE_MAX_LENGTH, apiLength } from "../api-limits";
import type { ChatReply, Conversation, Message, Task, User } from "../types";

type Reply = { status: number; body?: unknown };
type Override = (method: string, path: string, body: unknown) => Reply | "network-error" | undefined;

export type FakeBackend = {
  user: User | null;
  tasks: Task[];
  conversations: Conversation[];
  calls: { method: string; path: string; body: unknown }[];
  /** Answers before the built-in routes; return undefined to fall through. */
  override: Override | null;
  /** The next chat reply waits for this promise, so tests can see the pending state. */
  chatGate: Promise<void> | null;
  addTask: (title: string, extra?: Partial<Task>) => Task;
};

const NOW = "2030-01-01T10:00:00Z";

export function installFakeBackend(initial: { user?: User | null } = {}): FakeBackend {
  let nextId = 1;
  const backend: FakeBackend = {
    user: initial.user ?? null,
    tasks: [],
    conversations: [],
    calls: [],
    override: null,
    chatGate: null,
    addTask(title, extra = {}) {
      const task: Task = {
        id: nextId++,
        title,
        description: "",
        due_date: null,
        priority: "medium",
        completed: false,
        completed_at: null,
        created_at: NOW,
        updated_at: NOW,
        ...extra,
      };
      backend.tasks.push(task);
      return task;
    },
  };

  async function route(method: string, path: string, body: unknown): Promise<Reply> {
    const url = new URL(path, "http://app.test");
    const p = url.pathname;
    if (p === "/api/auth/me") return backend.user ? { status: 200, body: backend.user } : { status: 401, body: { detail: "not logged in" } };
    if (p === "/api/auth/logout") {
      backend.user = null;
      return { status: 204 };
    }
    if (!backend.user) return { status: 401, body: { detail: "session expired" } };
    if (p === "/api/tasks" && method === "GET") {
      const status = url.searchParams.get("status") ?? "open";
      const items = backend.tasks.filter((t) => status === "all" || t.completed === (status === "done"));
      return { status: 200, body: { items, total: items.length } };
    }
    const taskMatch = /^\/api\/tasks\/(\d+)(\/complete|\/reopen)?$/.exec(p);
    if (taskMatch) {
      const task = backend.tasks.find((t) => t.id === Number(taskMatch[1]));
      if (!task) return { status: 404, body: { detail: "task not found" } };
      if (method === "DELETE") {
        backend.tasks = backend.tasks.filter((t) => t !== task);
        return { status: 204 };
      }
      if (taskMatch[2] === "/complete") Object.assign(task, { completed: true, completed_at: NOW });
      if (taskMatch[2] === "/reopen") Object.assign(task, { completed: false, completed_at: null });
      return { status: 200, body: task };
    }
    if (p === "/api/chat") {
      if (backend.chatGate) await backend.chatGate;
      const { message, conversation_id } = body as { message: string; conversation_id?: number };
      if (apiLength(message) > CHAT_MESSAGE_MAX_LENGTH)
        return { status: 422, body: { detail: `message: at most ${CHAT_MESSAGE_MAX_LENGTH} characters` } };
      let conversation = backend.conversations.find((c) => c.id === conversation_id);
      if (!conversation) {
        conversation = { id: nextId++, title: message, created_at: NOW, updated_at: NOW, messages: [] };
        backend.conversations.unshift(conversation);
      }
      const add = /^add (.+)$/i.exec(message);
      if (add?.[1]) backend.addTask(add[1]);
      const reply = add ? `Added "${add[1]}".` : "You have tasks.";
      const stored = (role: Message["role"], content: string): Message => ({
        id: nextId++, role, content, tool_calls: [], created_at: NOW,
      });
      conversation.messages.push(stored("user", message), stored("assistant", reply));
      const answer: ChatReply = { conversation_id: conversation.id, reply, tool_calls: [] };
      return { status: 200, body: answer };
    }
    if (p === "/api/conversations") {
      const items = backend.conversations.map(({ messages: _m, ...summary }) => summary);
      return { status: 200, body: { items } };
    }
    const conversationMatch = /^\/api\/conversations\/(\d+)$/.exec(p);
    if (conversationMatch) {
      const conversation = backend.conversations.find((c) => c.id === Number(conversationMatch[1]));
      return conversation ? { status: 200, body: conversation } : { status: 404, body: { detail: "not found" } };
    }
    return { status: 404, body: { detail: `fake backend has no route ${method} ${p}` } };
  }

  vi.stubGlobal("fetch", async (input: string, init: RequestInit = {}) => {
    const method = init.method ?? "GET";
    const body: unknown = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    backend.calls.push({ method, path: input, body });
    const overridden = backend.override?.(method, input, body);
    if (overridden === "network-error") throw new TypeError("Failed to fetch");
    const reply = overridden ?? (await route(method, input, body));
    const text = reply.body === undefined ? null : JSON.stringify(reply.body);
    return new Response(text, { status: reply.status, headers: { "Content-Type": "application/json" } });
  });
  return backend;
}
