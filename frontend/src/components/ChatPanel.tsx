import { type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { CHAT_MESSAGE_MAX_LENGTH, apiLength } from "../api-limits";
import type { ConversationSummary } from "../types";

export type ChatEntry = { key: string; role: "user" | "assistant"; content: string };

type Props = {
  entries: ChatEntry[];
  pending: boolean;
  loadingHistory: boolean;
  error: string | null;
  conversations: ConversationSummary[];
  conversationId: number | null;
  onSend: (message: string) => Promise<boolean>;
  onOpenConversation: (id: number) => void;
  onNewConversation: () => void;
};

const EXAMPLES = ["add buy milk", "remind me to call mom tomorrow", "what's left?"];
// The character count appears once a message is this close to the API's limit.
const COUNT_FROM = Math.floor(CHAT_MESSAGE_MAX_LENGTH * 0.9);
const count = new Intl.NumberFormat("en");

/** What the composer says about the message's length: nothing until it nears the API's limit. */
export function lengthNotice(length: number): { text: string; over: boolean } | null {
  if (length < COUNT_FROM) return null;
  const of = `${count.format(length)} / ${count.format(CHAT_MESSAGE_MAX_LENGTH)} characters`;
  const excess = length - CHAT_MESSAGE_MAX_LENGTH;
  return excess > 0 ? { text: `${of}: shorten it by ${count.format(excess)} to send`, over: true } : { text: of, over: false };
}

/** The conversation with the assistant: history, composer (Enter sends) and conversation switcher. */
export function ChatPanel(props: Props) {
  const { entries, pending, loadingHistory, error, conversations, conversationId } = props;
  const [draft, setDraft] = useState("");
  const logRef = useRef<HTMLOListElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const ids = { heading: useId(), input: useId(), picker: useId(), length: useId() };
  // Nothing typed or pasted is cut: an over-long message stays in the box, flagged, until it is shortened.
  const notice = lengthNotice(apiLength(draft.trim()));
  const tooLong = notice?.over ?? false;

  useEffect(() => {
    const log = logRef.current;
    // scrollTo is missing in test DOMs; the guard keeps the effect harmless there.
    if (log && typeof log.scrollTo === "function") log.scrollTo({ top: log.scrollHeight });
  }, [entries, pending]);

  async function submit() {
    const message = draft.trim();
    if (!message || pending || tooLong) return;
    setDraft("");
    const sent = await props.onSend(message);
    // A failed turn gives the text back so nothing typed is lost.
    if (!sent) setDraft((current) => current || message);
    inputRef.current?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  }

  return (
    <section className="panel chat" aria-labelledby={ids.heading}>
      <div className="panel-head">
        <h2 id={ids.heading}>Chat</h2>
        <div className="conversation-tools">
          <label htmlFor={ids.picker} className="visually-hidden">
            Conversation
          </label>
          <select
            id={ids.picker}
            value={conversationId ?? ""}
            onChange={(e) => e.target.value && props.onOpenConversation(Number(e.target.value))}
            disabled={pending}
          >
            {conversationId === null && <option value="">New conversation</option>}
            {conversations.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title || `Conversation ${c.id}`}
              </option>
            ))}
          </select>
          <button type="button" onClick={props.onNewConversation} disabled={pending || conversationId === null}>
            New chat
          </button>
        </div>
      </div>
      <ol className="messages" ref={logRef} aria-label="Chat history" aria-live="polite" aria-busy={loadingHistory}>
        {entries.length === 0 && !loadingHistory && (
          <li className="empty">
            <p>Tell me what to do. For example:</p>
            <ul>
              {EXAMPLES.map((example) => (
                <li key={example}>
                  <button type="button" className="chip" onClick={() => {
                      setDraft(example);
                      inputRef.current?.focus();
                    }}>
                    {example}
                  </button>
                </li>
              ))}
            </ul>
          </li>
        )}
        {entries.map((entry) => (
          <li key={entry.key} className={`bubble ${entry.role}`}>
            <span className="visually-hidden">{entry.role === "user" ? "You said:" : "Assistant said:"}</span>
            <span className="bubble-text">{entry.content}</span>
          </li>
        ))}
      </ol>
      {/* Pending and error share one reserved line, so neither pushes the composer around. */}
      <div className="chat-status">
        <p className="pending" role="status">
          {pending ? "Assistant is thinking…" : ""}
        </p>
        <p className="chat-error" role="alert">
          {pending ? "" : (error ?? "")}
        </p>
        <p id={ids.length} className={`message-length${tooLong ? " over" : ""}`} role="status">
          {notice?.text ?? ""}
        </p>
      </div>
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label htmlFor={ids.input} className="visually-hidden">
          Message
        </label>
        <textarea
          id={ids.input}
          ref={inputRef}
          rows={2}
          placeholder="Type a message…"
          title="Enter sends, Shift+Enter starts a new line"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKeyDown}
          aria-invalid={tooLong}
          aria-describedby={notice ? ids.length : undefined}
        />
        <button type="submit" className="primary" disabled={pending || !draft.trim() || tooLong}>
          Send
        </button>
      </form>
    </section>
  );
}
