// Due dates arrive as YYYY-MM-DD (a calendar day, no time zone); they are shown relative to today.

const WEEKDAY = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
const FULL = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });
const DAY_MS = 86_400_000;

/** Parses YYYY-MM-DD as a local calendar day, or returns null for anything else. */
export function parseDay(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const [, y, m, d] = match;
  const date = new Date(Number(y), Number(m) - 1, Number(d));
  return date.getMonth() === Number(m) - 1 ? date : null;
}

/** "Due today", "Due tomorrow", "Due Tue, 12 Mar", "Overdue since …", relative to `now`. */
export function describeDue(value: string, now: Date): { label: string; overdue: boolean } {
  const day = parseDay(value);
  if (!day) return { label: `Due ${value}`, overdue: false };
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const days = Math.round((day.getTime() - today.getTime()) / DAY_MS);
  if (days === 0) return { label: "Due today", overdue: false };
  if (days === 1) return { label: "Due tomorrow", overdue: false };
  if (days === -1) return { label: "Overdue since yesterday", overdue: true };
  const format = day.getFullYear() === today.getFullYear() ? WEEKDAY : FULL;
  if (days < 0) return { label: `Overdue since ${format.format(day)}`, overdue: true };
  return { label: `Due ${format.format(day)}`, overdue: false };
}
