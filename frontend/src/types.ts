// The HTTP API's shapes, as fixed in docs/contracts.md ("HTTP API").

export type User = { id: number; email: string; name: string };

export type Priority = "low" | "medium" | "high";

export type Task = {
  id: number;
  title: string;
  description: string;
  due_date: string | null;
  priority: Priority;
  completed: boolean;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
};

export type TaskPage = { items: Task[]; total: number };

export type TaskStatus = "open" | "done" | "all";

export type ToolCall = {
  name: string;
  arguments: Record<string, unknown>;
  result: unknown;
  error: string | null;
};

export type ChatReply = { conversation_id: number; reply: string; tool_calls: ToolCall[] };

export type ConversationSummary = { id: number; title: string; created_at: string; updated_at: string };

export type Message = {
  id: number;
  role: "user" | "assistant";
  content: string;
  tool_calls: ToolCall[];
  created_at: string;
};

export type Conversation = ConversationSummary & { messages: Message[] };
