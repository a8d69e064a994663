import { useCallback, useEffect, useId, useState } from "react";
import { ApiError, api } from "../api";
import type { Task, TaskStatus } from "../types";
import { describeDue } from "../dates";

type Props = {
  /** Bumped after every chat turn, so the list shows what the assistant just changed. */
  version: number;
};

const FILTERS: { value: TaskStatus; label: string }[] = [
  { value: "open", label: "Open" },
  { value: "done", label: "Done" },
  { value: "all", label: "All" },
];

const PRIORITY_LABEL = { high: "High", medium: "Medium", low: "Low" } as const;

function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : "Something went wrong. Try again.";
}

/** The user's tasks, filtered by status, with complete / reopen / delete on each row. */
export function TaskPanel({ version }: Props) {
  const [status, setStatus] = useState<TaskStatus>("open");
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<number | null>(null);
  const [reloads, setReloads] = useState(0);
  const headingId = useId();

  const reload = useCallback(() => setReloads((n) => n + 1), []);

  useEffect(() => {
    let cancelled = false;
    api
      .tasks(status)
      .then((page) => {
        if (cancelled) return;
        setTasks(page.items);
        setTotal(page.total);
        setError(null);
      })
      .catch((caught: unknown) => !cancelled && setError(`Could not load your tasks: ${messageOf(caught)}`));
    return () => {
      cancelled = true;
    };
  }, [status, version, reloads]);

  async function act(task: Task, action: "toggle" | "delete") {
    setBusyId(task.id);
    setError(null);
    try {
      if (action === "delete") await api.deleteTask(task.id);
      else if (task.completed) await api.reopenTask(task.id);
      else await api.completeTask(task.id);
      reload();
    } catch (caught) {
      const verb = action === "delete" ? "delete" : task.completed ? "reopen" : "complete";
      setError(`Could not ${verb} "${task.title}": ${messageOf(caught)}`);
    } finally {
      setBusyId(null);
    }
  }

  return (
    <section className="panel tasks" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>Tasks</h2>
        <div className="filters" role="group" aria-label="Show tasks">
          {FILTERS.map((filter) => (
            <button
              key={filter.value}
              type="button"
              aria-pressed={status === filter.value}
              onClick={() => setStatus(filter.value)}
            >
              {filter.label}
            </button>
          ))}
        </div>
      </div>
      {tasks === null ? (
        <p className="muted" aria-busy="true">
          Loading tasks…
        </p>
      ) : tasks.length === 0 ? (
        <p className="muted empty-tasks">
          {status === "done" ? "Nothing done yet." : "No tasks here. Ask the assistant to add one."}
        </p>
      ) : (
        <ul className="task-list" aria-label={`${FILTERS.find((f) => f.value === status)?.label ?? ""} tasks`}>
          {tasks.map((task) => (
            <TaskRow key={task.id} task={task} busy={busyId === task.id} onAct={act} />
          ))}
        </ul>
      )}
      {tasks !== null && total > tasks.length && (
        <p className="muted">
          Showing {tasks.length} of {total}.
        </p>
      )}
      <p className="task-error" role="alert">
        {error ?? ""}
      </p>
    </section>
  );
}

type RowProps = { task: Task; busy: boolean; onAct: (task: Task, action: "toggle" | "delete") => void };

function TaskRow({ task, busy, onAct }: RowProps) {
  const checkboxId = useId();
  const due = task.due_date ? describeDue(task.due_date, new Date()) : null;
  return (
    <li className={`task${task.completed ? " done" : ""}`} data-task-id={task.id}>
      <input
        id={checkboxId}
        type="checkbox"
        checked={task.completed}
        disabled={busy}
        onChange={() => onAct(task, "toggle")}
        aria-label={task.completed ? `Reopen "${task.title}"` : `Mark "${task.title}" done`}
      />
      <div className="task-body">
        <label htmlFor={checkboxId} className="task-title">
          {task.title}
        </label>
        {task.description && <p className="task-description">{task.description}</p>}
        <p className="task-meta">
          <span className={`badge priority-${task.priority}`}>{PRIORITY_LABEL[task.priority]} priority</span>
          {due && (
            <span className={`badge due${due.overdue && !task.completed ? " overdue" : ""}`}>
              <time dateTime={task.due_date ?? undefined}>{due.label}</time>
            </span>
          )}
        </p>
      </div>
      <button
        type="button"
        className="icon danger"
        disabled={busy}
        onClick={() => onAct(task, "delete")}
        aria-label={`Delete "${task.title}"`}
        title="Delete"
      >
        ✕
      </button>
    </li>
  );
}
