// The backend: the Go API bound to the window by Wails (app.API in app/app.go).
//
// The generated functions in wailsjs/go/app/API.js call window.go.app.API.*,
// which exists only inside the littleboxes window (or a Wails dev server).
// Opened anywhere else, such as `vite dev` in a browser, the page must still
// work: every call here checks for the binding first and turns a missing
// backend or a failed call into a result the page can show.

import * as API from "../../wailsjs/go/app/API";
import { type ExecResult, failure, normalizeResult } from "./result";
import { TOKEN_KEY, connection, tokenInHash } from "./transport";

/** Whether the window can reach the backend. */
export type Connection = "checking" | "connected" | "disconnected";

export const NOT_CONNECTED =
  "The littleboxes backend is not connected: this page is running outside the littleboxes window.";

interface WailsWindow {
  go?: { app?: { API?: Record<string, unknown> } };
}

/** Whether the Go API is bound in this page. */
export function hasBackend(w: unknown = globalThis): boolean {
  const api = (w as WailsWindow | undefined)?.go?.app?.API;
  return typeof api?.Exec === "function" && typeof api?.Version === "function";
}

/**
 * Waits (bounded) for Wails to bind the API: its scripts normally run before
 * the page, but nothing guarantees the order.
 */
export async function waitForBackend(timeoutMs = 2000, intervalMs = 50, w: unknown = globalThis): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!hasBackend(w)) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return true;
}

/** The application version, or null when the backend is unreachable. */
export async function fetchVersion(): Promise<string | null> {
  if (!hasBackend()) return null;
  try {
    const v = await API.Version();
    return typeof v === "string" && v !== "" ? v : null;
  } catch {
    return null;
  }
}

/** Describes a rejected bridge call (Wails rejects with a string or an Error). */
export function describeFailure(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === "string") return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

/**
 * Compiles and runs an agent module once in the backend. It never throws:
 * without a backend it returns a "connection" error, and a failed call
 * becomes an "internal" error.
 */
export async function execModule(source: string, inputJSON: string): Promise<ExecResult> {
  if (!hasBackend()) {
    if (!servedPage()) return failure("connection", NOT_CONNECTED);
    try {
      return normalizeResult(await connection().call("Exec", [source, inputJSON]));
    } catch (err) {
      return failure("internal", `the call to the backend failed: ${describeFailure(err)}`);
    }
  }
  try {
    return normalizeResult(await API.Exec(source, inputJSON));
  } catch (err) {
    return failure("internal", `the call to the backend failed: ${describeFailure(err)}`);
  }
}

/** Whether this page was opened by `littleboxes serve` (it has a token). */
function servedPage(): boolean {
  try {
    const g = globalThis as { sessionStorage?: Storage; location?: Location };
    return !!g.sessionStorage?.getItem(TOKEN_KEY) || !!tokenInHash(g.location?.hash);
  } catch {
    return false;
  }
}
