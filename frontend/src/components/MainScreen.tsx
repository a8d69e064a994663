import { useCallback, useEffect, useState } from "react";
import { ApiError, api } from "../api";
import type { ConversationSummary, User } from "../types";
import { ChatPanel, type ChatEntry } from "./ChatPanel";
import { TaskPanel } from "./TaskPanel";

type Props = { user: User; onSignOut: () => void };

function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : "Something went wrong. Try again.";
}

/** The signed-in screen: chat beside the task list; every chat turn refreshes the tasks. */
export function MainScreen({ user, onSignOut }: Props) {
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [conversationId, setConversationId] = useState<number | null>(null);
  const [entries, setEntries] = useState<ChatEntry[]>([]);
  const [chatError, setChatError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [loadingHistory, setLoadingHistory] = useState(false);
  const [tasksVersion, setTasksVersion] = useState(0);

  const openConversation = useCallback(async (id: number) => {
    setLoadingHistory(true);
    setChatError(null);
    try {
      const conversation = await api.conversation(id);
      setConversationId(conversation.id);
      setEntries(conversation.messages.map((m) => ({ key: `m${m.id}`, role: m.role, content: m.content })));
    } catch (error) {
      setChatError(`Could not open that conversation: ${messageOf(error)}`);
    } finally {
      setLoadingHistory(false);
    }
  }, []);

  const loadConversations = useCallback(async () => {
    const page = await api.conversations();
    setConversations(page.items);
    return page.items;
  }, []);

  // Reopen the latest conversation so a reload keeps the chat where it was.
  useEffect(() => {
    let cancelled = false;
    loadConversations()
      .then((items) => {
        const latest = items[0];
        if (!cancelled && latest) void openConversation(latest.id);
      })
      .catch((error: unknown) => !cancelled && setChatError(`Could not load your conversations: ${messageOf(error)}`));
    return () => {
      cancelled = true;
    };
  }, [loadConversations, openConversation]);

  const send = useCallback(
    async (message: string): Promise<boolean> => {
      const key = `local${Date.now()}`;
      setEntries((current) => [...current, { key, role: "user", content: message }]);
      setPending(true);
      setChatError(null);
      try {
        const reply = await api.chat(message, conversationId);
        setConversationId(reply.conversation_id);
        setEntries((current) => [...current, { key: `${key}-reply`, role: "assistant", content: reply.reply }]);
        setTasksVersion((v) => v + 1);
        loadConversations().catch(() => undefined);
        return true;
      } catch (error) {
        setEntries((current) => current.filter((entry) => entry.key !== key));
        setChatError(`Your message was not sent. ${messageOf(error)}`);
        return false;
      } finally {
        setPending(false);
      }
    },
    [conversationId, loadConversations],
  );

  const startNewConversation = useCallback(() => {
    setConversationId(null);
    setEntries([]);
    setChatError(null);
  }, []);

  return (
    <div className="shell">
      <header className="topbar">
        <h1 className="brand">Todo Chatbot</h1>
        <div className="account">
          <span className="who" title={user.email}>
            {user.name || user.email}
          </span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main className="workspace">
        <ChatPanel
          entries={entries}
          pending={pending}
          loadingHistory={loadingHistory}
          error={chatError}
          conversations={conversations}
          conversationId={conversationId}
          onSend={send}
          onOpenConversation={(id) => void openConversation(id)}
          onNewConversation={startNewConversation}
        />
        <TaskPanel version={tasksVersion} />
      </main>
    </div>
  );
}
