import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, UNREACHABLE_MESSAGE, api, setSessionExpiredHandler } from "./api";

function answer(status: number, body: string | null, contentType = "application/json") {
  vi.stubGlobal("fetch", vi.fn(async () => new Response(body, { status, headers: { "Content-Type": contentType } })));
}

afterEach(() => setSessionExpiredHandler(null));

describe("api client", () => {
  it("calls same-origin /api/ with the cookie and never an Authorization header", async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ items: [], total: 0 }), { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    await api.tasks("open");
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/tasks?status=open&limit=100");
    expect(init.credentials).toBe("same-origin");
    expect(JSON.stringify(init.headers)).not.toMatch(/authorization/i);
  });

  it("turns a network failure into a readable 'cannot reach the server' error", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    const error = await api.tasks("open").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(0);
    expect((error as ApiError).message).toBe(UNREACHABLE_MESSAGE);
  });

  it("explains a 502 from the proxy even when the body is HTML", async () => {
    answer(502, "<html>Bad Gateway</html>", "text/html");
    await expect(api.tasks("open")).rejects.toThrow(/not answering right now \(HTTP 502\)/);
  });

  it("passes the server's detail through", async () => {
    answer(422, JSON.stringify({ detail: "title: must not be empty" }));
    await expect(api.tasks("open")).rejects.toThrow("title: must not be empty");
  });

  it("reports an expired session on a 401 from a signed-in request", async () => {
    const expired = vi.fn();
    setSessionExpiredHandler(expired);
    answer(401, JSON.stringify({ detail: "session expired" }));
    await expect(api.chat("hi", null)).rejects.toThrow("session expired");
    expect(expired).toHaveBeenCalledOnce();
  });

  it("does not treat a wrong password as an expired session", async () => {
    const expired = vi.fn();
    setSessionExpiredHandler(expired);
    answer(401, JSON.stringify({ detail: "wrong e-mail or password" }));
    await expect(api.login("a@example.com", "nope")).rejects.toMatchObject({ status: 401 });
    expect(expired).not.toHaveBeenCalled();
  });

  it("sends conversation_id only when continuing a conversation", async () => {
    const fetchMock = vi.fn(
      async () => new Response(JSON.stringify({ conversation_id: 7, reply: "ok", tool_calls: [] }), { status: 200 }),
    );
    vi.stubGlobal("fetch", fetchMock);
    await api.chat("first", null);
    await api.chat("second", 7);
    const bodies = fetchMock.mock.calls.map((call) => JSON.parse(String((call as unknown as [string, RequestInit])[1].body)));
    expect(bodies).toEqual([{ message: "first" }, { message: "second", conversation_id: 7 }]);
  });
});
