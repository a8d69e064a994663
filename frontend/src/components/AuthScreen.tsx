import { type FormEvent, useId, useState } from "react";
import { ApiError, api } from "../api";
import { PASSWORD_MIN_LENGTH, apiLength } from "../api-limits";
import type { User } from "../types";

type Mode = "sign-in" | "sign-up";

/** Turns an auth failure into a message that says what to do next. */
export function authErrorMessage(mode: Mode, error: unknown): string {
  if (!(error instanceof ApiError)) return "Something went wrong. Try again.";
  if (mode === "sign-in" && error.status === 401) return "Wrong e-mail or password. Check both and try again.";
  if (mode === "sign-up" && error.status === 409)
    return "An account with this e-mail already exists. Sign in instead, or use another e-mail.";
  return error.message;
}

type Props = { notice: string | null; onSignedIn: (user: User) => void };

/** Sign-in and sign-up form; the server sets the session cookie, the app never sees a token. */
export function AuthScreen({ notice, onSignedIn }: Props) {
  const [mode, setMode] = useState<Mode>("sign-in");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { email: useId(), password: useId(), name: useId(), hint: useId() };
  const signUp = mode === "sign-up";

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (signUp && apiLength(password) < PASSWORD_MIN_LENGTH) {
      setError(`Choose a password of at least ${PASSWORD_MIN_LENGTH} characters.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const user = signUp
        ? await api.register(email.trim(), password, name.trim())
        : await api.login(email.trim(), password);
      onSignedIn(user);
    } catch (caught) {
      setError(authErrorMessage(mode, caught));
      setBusy(false);
    }
  }

  function switchMode() {
    setMode(signUp ? "sign-in" : "sign-up");
    setError(null);
  }

  return (
    <main className="auth">
      <div className="auth-card">
        <h1 className="brand">Todo Chatbot</h1>
        <h2>{signUp ? "Create your account" : "Sign in"}</h2>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <form onSubmit={submit} aria-describedby={error ? ids.hint : undefined}>
          {signUp && (
            <div className="field">
              <label htmlFor={ids.name}>Name (optional)</label>
              <input
                id={ids.name}
                name="name"
                autoComplete="name"
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
            </div>
          )}
          <div className="field">
            <label htmlFor={ids.email}>E-mail</label>
            <input
              id={ids.email}
              name="email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={ids.password}>Password</label>
            <input
              id={ids.password}
              name="password"
              type="password"
              autoComplete={signUp ? "new-password" : "current-password"}
              required
              minLength={signUp ? PASSWORD_MIN_LENGTH : undefined}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          <p id={ids.hint} className="form-error" role="alert">
            {error ?? ""}
          </p>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Please wait…" : signUp ? "Create account" : "Sign in"}
          </button>
        </form>
        <p className="switch">
          {signUp ? "Already have an account?" : "New here?"}{" "}
          <button type="button" className="link" onClick={switchMode}>
            {signUp ? "Sign in" : "Create an account"}
          </button>
        </p>
      </div>
    </main>
  );
}
