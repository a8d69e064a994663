import { describe, expect, it } from "vitest";
import { describeDue, parseDay } from "./dates";

const NOW = new Date(2030, 2, 12, 23, 30); // 12 March 2030, late evening local time

describe("due dates", () => {
  it("reads YYYY-MM-DD as a local calendar day and rejects impossible dates", () => {
    expect(parseDay("2030-03-12")?.getDate()).toBe(12);
    expect(parseDay("2030-02-30")).toBeNull();
    expect(parseDay("tomorrow")).toBeNull();
  });

  it("describes days relative to today", () => {
    expect(describeDue("2030-03-12", NOW)).toEqual({ label: "Due today", overdue: false });
    expect(describeDue("2030-03-13", NOW)).toEqual({ label: "Due tomorrow", overdue: false });
    expect(describeDue("2030-03-11", NOW)).toEqual({ label: "Overdue since yesterday", overdue: true });
    expect(describeDue("2030-03-20", NOW).label).toMatch(/^Due .*20/);
    expect(describeDue("2029-12-01", NOW)).toMatchObject({ overdue: true });
    expect(describeDue("2029-12-01", NOW).label).toMatch(/2029/);
  });

  it("shows an unreadable date as given instead of guessing", () => {
    expect(describeDue("soon", NOW)).toEqual({ label: "Due soon", overdue: false });
  });
});
