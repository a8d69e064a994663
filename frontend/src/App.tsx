import { useCallback, useEffect, useState } from "react";
import { ApiError, api, setSessionExpiredHandler } from "./api";
import { AuthScreen } from "./components/AuthScreen";
import { MainScreen } from "./components/MainScreen";
import type { User } from "./types";

export const SESSION_EXPIRED_MESSAGE = "Your session has expired. Please sign in again.";

/** What to tell a visitor whose first /api/auth/me failed: nothing when they simply are not signed in. */
export function startNotice(error: unknown): string | null {
  if (!(error instanceof ApiError)) return "Something went wrong. Reload the page to try again.";
  if (error.status !== 401) return error.message;
  if (/not logged in/i.test(error.message)) return null;
  return /expired/i.test(error.message) ? SESSION_EXPIRED_MESSAGE : error.message;
}

type Session =
  | { state: "loading" }
  | { state: "signed-out"; notice: string | null }
  | { state: "signed-in"; user: User };

/** Decides between the sign-in screen and the main screen from the session cookie's state. */
export function App() {
  const [session, setSession] = useState<Session>({ state: "loading" });

  useEffect(() => {
    let cancelled = false;
    api
      .me()
      .then((user) => !cancelled && setSession({ state: "signed-in", user }))
      .catch((error: unknown) => !cancelled && setSession({ state: "signed-out", notice: startNotice(error) }));
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(() => {
    if (session.state !== "signed-in") return;
    setSessionExpiredHandler(() => setSession({ state: "signed-out", notice: SESSION_EXPIRED_MESSAGE }));
    return () => setSessionExpiredHandler(null);
  }, [session.state]);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
      setSession({ state: "signed-out", notice: "You are signed out." });
    } catch (error) {
      const reason = error instanceof ApiError ? error.message : String(error);
      setSession({ state: "signed-out", notice: `Signed out here, but the server did not confirm: ${reason}` });
    }
  }, []);

  if (session.state === "loading") {
    return (
      <main className="splash" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  }
  if (session.state === "signed-out") {
    return <AuthScreen notice={session.notice} onSignedIn={(user) => setSession({ state: "signed-in", user })} />;
  }
  return <MainScreen user={session.user} onSignOut={signOut} />;
}
