// The only way the app talks to the server: same-origin /api/, the session is the httpOnly cookie.
import type {
  ChatReply,
  Conversation,
  ConversationSummary,
  Task,
  TaskPage,
  TaskStatus,
  User,
} from "./types";

export const UNREACHABLE_MESSAGE =
  "Can't reach the server. Check your connection, then try again.";

/** An API failure with a message a person can act on; status 0 means the server was unreachable. */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

type Listener = () => void;
let onSessionExpired: Listener | null = null;

/** Registers what happens when a signed-in request gets 401 (the session expired or was revoked). */
export function setSessionExpiredHandler(listener: Listener | null): void {
  onSessionExpired = listener;
}

function detailOf(body: unknown): string | null {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string" && detail.trim()) return detail;
  }
  return null;
}

function fallbackMessage(status: number): string {
  if (status === 502 || status === 503 || status === 504)
    return `The server is not answering right now (HTTP ${status}). Try again in a moment.`;
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`;
  return `The request failed (HTTP ${status}).`;
}

type RequestOptions = { body?: unknown; authRequest?: boolean };

async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  };
  if (options.body !== undefined) {
    init.headers = { ...init.headers, "Content-Type": "application/json" };
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(`/api${path}`, init);
  } catch {
    throw new ApiError(0, UNREACHABLE_MESSAGE);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    // Sign-in and sign-up answer 401 for wrong credentials; only other requests mean "session over".
    if (response.status === 401 && !options.authRequest) onSessionExpired?.();
    throw new ApiError(response.status, detailOf(body) ?? fallbackMessage(response.status));
  }
  if (body === null) throw new ApiError(response.status, "The server sent an answer the app cannot read.");
  return body as T;
}

export const api = {
  me: () => request<User>("GET", "/auth/me", { authRequest: true }),
  login: (email: string, password: string) =>
    request<User>("POST", "/auth/login", { body: { email, password }, authRequest: true }),
  register: (email: string, password: string, name: string) =>
    request<User>("POST", "/auth/register", {
      body: name ? { email, password, name } : { email, password },
      authRequest: true,
    }),
  logout: () => request<void>("POST", "/auth/logout", { authRequest: true }),
  tasks: (status: TaskStatus) => request<TaskPage>("GET", `/tasks?status=${status}&limit=100`),
  completeTask: (id: number) => request<Task>("POST", `/tasks/${id}/complete`),
  reopenTask: (id: number) => request<Task>("POST", `/tasks/${id}/reopen`),
  deleteTask: (id: number) => request<void>("DELETE", `/tasks/${id}`),
  chat: (message: string, conversationId: number | null) =>
    request<ChatReply>("POST", "/chat", {
      body: conversationId === null ? { message } : { message, conversation_id: conversationId },
    }),
  conversations: () => request<{ items: ConversationSummary[] }>("GET", "/conversations"),
  conversation: (id: number) => request<Conversation>("GET", `/conversations/${id}`),
};
