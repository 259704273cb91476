// ExecResult: what running an agent module once produced, and how the window
// shows it. The shapes are app.ExecResult's in app/exec.go (the result of the
// generated Exec binding: lib/api.ts); normalizeResult makes any reply safe
// to render.

import type { Api, ConsoleLine, ExecError, ExecResult } from "./api";
import { NOT_CONNECTED, NotConnectedError, errorText } from "./transport";

export type { ConsoleLine, ExecError, ExecResult };

/**
 * Kinds of ExecError. The first five come from Go (app.ErrorKind*);
 * "connection" is made here when the window has no backend to call.
 */
export type ErrorKind = "compile" | "script" | "limit" | "input" | "internal" | "connection";

/** The file name Go compiles the module under (app.ExecFilename). */
export const MODULE_FILENAME = "agent.ts";

/** A failed result made on this side of the bridge. */
export function failure(kind: ErrorKind, message: string, extra: Partial<ExecError> = {}): ExecResult {
  return { ok: false, value: "", console: [], durationMs: 0, error: { kind, message, ...extra } };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/**
 * Turns whatever the bridge returned into a well-formed ExecResult: missing
 * or mistyped fields get safe defaults, so rendering can never throw.
 */
export function normalizeResult(raw: unknown): ExecResult {
  if (!isObject(raw)) return failure("internal", `unexpected reply from the backend: ${String(raw)}`);
  const lines: ConsoleLine[] = Array.isArray(raw.console)
    ? raw.console.filter(isObject).map((l) => ({ level: String(l.level ?? "log"), text: String(l.text ?? "") }))
    : [];
  const durationMs = num(raw.durationMs) ?? 0;
  if (raw.ok === true) {
    return { ok: true, value: typeof raw.value === "string" ? raw.value : "null", console: lines, durationMs };
  }
  const e = isObject(raw.error) ? raw.error : {};
  const error: ExecError = {
    kind: typeof e.kind === "string" && e.kind ? e.kind : "internal",
    message: typeof e.message === "string" ? e.message : "the run failed without a message",
  };
  const line = num(e.line);
  const column = num(e.column);
  if (line) error.line = line;
  if (column) error.column = column;
  for (const k of ["limit", "name", "stack"] as const) {
    if (typeof e[k] === "string" && e[k]) error[k] = e[k];
  }
  return { ok: false, value: "", console: lines, durationMs, error };
}

/**
 * Compiles and runs an agent module once in the backend (app.API.Exec). It
 * never throws: without a backend it returns a "connection" error, and a
 * failed call becomes an "internal" error.
 */
export async function execModule(api: Api | null, source: string, inputJSON: string): Promise<ExecResult> {
  if (!api) return failure("connection", NOT_CONNECTED);
  try {
    return normalizeResult(await api.Exec(source, inputJSON));
  } catch (err) {
    if (err instanceof NotConnectedError) return failure("connection", NOT_CONNECTED);
    return failure("internal", `the call to the backend failed: ${errorText(err)}`);
  }
}

/** Pretty-prints a result's JSON value text; text that is not JSON is shown as is. */
export function formatValue(valueJSON: string): string {
  if (valueJSON === "") return "";
  try {
    return JSON.stringify(JSON.parse(valueJSON), null, 2);
  } catch {
    return valueJSON;
  }
}

/** A short human duration: "0.42 ms", "12.3 ms", "1.20 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The headline of an error: "Compile error", "Uncaught TypeError", … */
export function errorTitle(e: ExecError): string {
  switch (e.kind) {
    case "compile":
      return "Compile error";
    case "script":
      return e.name ? `Uncaught ${e.name}` : "The agent failed";
    case "limit":
      return e.limit ? `Limit exceeded: ${e.limit}` : "Limit exceeded";
    case "input":
      return "Invalid input JSON";
    case "connection":
      return "Not connected";
    default:
      return "Internal error";
  }
}

/**
 * Where an error points, as "agent.ts:3:15" for the module or "input:1:10"
 * for the input box; null when it has no position.
 */
export function errorLocation(e: ExecError): string | null {
  if (!e.line) return null;
  const file = e.kind === "input" ? "input" : MODULE_FILENAME;
  return e.column ? `${file}:${e.line}:${e.column}` : `${file}:${e.line}`;
}

/** The message without a repeated "Name: " prefix (shown in the title). */
export function errorMessage(e: ExecError): string {
  if (e.kind === "script" && e.name && e.message.startsWith(`${e.name}: `)) {
    return e.message.slice(e.name.length + 2);
  }
  return e.message;
}

/** One line for the status bar of the result panel. */
export function summarize(r: ExecResult): { tone: "ok" | "error"; text: string } {
  const took = r.durationMs > 0 ? ` in ${formatDuration(r.durationMs)}` : "";
  if (r.ok) return { tone: "ok", text: `Returned${took}` };
  return { tone: "error", text: `${r.error ? errorTitle(r.error) : "Failed"}${took}` };
}
