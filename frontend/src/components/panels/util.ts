// Pure helpers behind the panels: no React, no CodeMirror, so each can be
// tested on its own. Nothing here re-implements a rule of the Go side; these
// only turn its views into what a form or an editor needs and back.

import type { Diagnostic, PropField, RunRecord } from "../../lib/api";
import { checkInputJSON, lineColumn, offsetOf } from "../../lib/json";

/** Pretty JSON for showing a value; undefined shows as "". */
export function prettyJSON(v: unknown): string {
  if (v === undefined) return "";
  try {
    return JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------------------
// Compile diagnostics → editor ranges.

/** A diagnostic placed in a text, in the shape @codemirror/lint wants. */
export interface EditorDiagnostic {
  from: number;
  to: number;
  severity: "error" | "warning";
  message: string;
  line: number;
  column: number;
}

const WORD = /[\p{L}\p{N}_$]/u;

/**
 * Places compile diagnostics (1-based line and column) in text: a range from
 * the column to the end of the word there (at least one character, never past
 * the line's end). Lines and columns past the text are clamped into it, so a
 * diagnostic for an older version of the text still lands somewhere sensible.
 */
export function placeDiagnostics(text: string, diags: readonly Diagnostic[]): EditorDiagnostic[] {
  const lines = text.split("\n");
  return diags.map((d) => {
    const line = Math.min(Math.max(1, Math.floor(d.line) || 1), lines.length);
    const lineStart = offsetOf(text, line, 1);
    const lineEnd = lineStart + lines[line - 1].length;
    const from = Math.min(offsetOf(text, line, Math.max(1, Math.floor(d.column) || 1)), lineEnd);
    let to = from;
    while (to < lineEnd && WORD.test(text[to])) to++;
    if (to === from && from < lineEnd) to = from + 1;
    const warning = /^\s*warning\b/i.test(d.text);
    return {
      from,
      to,
      severity: warning ? "warning" : "error",
      message: d.text,
      line,
      column: lineColumn(text, from).column,
    };
  });
}

// ---------------------------------------------------------------------------
// Run input.

/** The outcome of checking the run input box. */
export type RunInput = { ok: true; json: string } | { ok: false; message: string; line: number; column: number };

/**
 * Checks the run input box: blank is null; anything else must be strict JSON
 * (the Go side parses it again). The text is sent as typed when it is valid.
 */
export function checkRunInput(text: string): RunInput {
  const c = checkInputJSON(text);
  if (!c.ok) return { ok: false, message: c.message, line: c.line, column: c.column };
  return { ok: true, json: text.trim() === "" ? "null" : text };
}

/** The ids of effects held for approval anywhere in a run's result. */
export function pendingApprovals(v: unknown, depth = 0): string[] {
  if (depth > 16 || typeof v !== "object" || v === null) return [];
  if (Array.isArray(v)) return v.flatMap((x) => pendingApprovals(x, depth + 1));
  const o = v as Record<string, unknown>;
  if (o.status === "pending_approval") return [typeof o.id === "string" ? o.id : ""];
  return Object.values(o).flatMap((x) => pendingApprovals(x, depth + 1));
}

// ---------------------------------------------------------------------------
// Runs.

/** Runs newest first (by start, then end, then id), without changing the input. */
export function newestFirst(runs: readonly RunRecord[]): RunRecord[] {
  return [...runs].sort((a, b) => b.start - a.start || b.end - a.end || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** A run's duration for people: "840 ms", "2.4 s", "3 min 5 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A Unix-ms time for a list: the time today, the date and time otherwise. */
export function formatTime(ms: number, now = Date.now()): string {
  if (!Number.isFinite(ms) || ms <= 0) return "—";
  const d = new Date(ms);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  return sameDay ? time : `${d.toLocaleDateString(undefined, { month: "short", day: "numeric" })} ${time}`;
}

// ---------------------------------------------------------------------------
// Props forms.

/** What a form field holds while it is being edited. */
export type Draft = string | boolean | string[];

/** The editable form of one prop value. */
export function draftOf(field: PropField, value: unknown): Draft {
  switch (field.type) {
    case "boolean":
      return value === true;
    case "array":
      if (!Array.isArray(value)) return [];
      return value.map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
    case "object":
      return value === undefined || value === null ? "" : JSON.stringify(value, null, 2);
    case "number":
    case "integer":
      return typeof value === "number" ? String(value) : value === undefined || value === null ? "" : String(value);
    default:
      return value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
  }
}

/** The drafts of all of a kind's fields, from a capability's props. */
export function draftsOf(fields: readonly PropField[], props: Record<string, unknown>): Record<string, Draft> {
  const out: Record<string, Draft> = {};
  for (const f of fields) out[f.name] = draftOf(f, props[f.name]);
  return out;
}

/** A draft turned back into a value: omitted, a value, or an error to show at the field. */
export type Parsed = { omit: true } | { omit: false; value: unknown } | { error: string };

function parseNumber(text: string, integer: boolean): Parsed {
  const t = text.trim();
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return { error: integer ? "a whole number" : "a number" };
  const n = Number(t);
  if (!Number.isFinite(n)) return { error: "out of range" };
  if (integer && !Number.isInteger(n)) return { error: "a whole number" };
  return { omit: false, value: n };
}

function parseItem(text: string, items: string | undefined): Parsed {
  switch (items) {
    case "number":
    case "integer":
      return parseNumber(text, items === "integer");
    case "boolean":
      if (text === "true" || text === "false") return { omit: false, value: text === "true" };
      return { error: "true or false" };
    case "object":
    case "array": {
      const c = checkInputJSON(text);
      return c.ok ? { omit: false, value: c.value } : { error: `not JSON: ${c.message}` };
    }
    default:
      return { omit: false, value: text };
  }
}

/**
 * Turns one field's draft back into a prop value. An empty optional field is
 * left out (the kind's default applies), unless the capability had the prop
 * set, in which case an empty array stays an empty array; an empty required
 * field is an error.
 */
export function parseDraft(field: PropField, draft: Draft, had: boolean): Parsed {
  const required = field.required === true;
  switch (field.type) {
    case "boolean":
      if (draft === false && !had && !required) return { omit: true };
      return { omit: false, value: draft === true };
    case "array": {
      const list = Array.isArray(draft) ? draft : [];
      if (list.length === 0) {
        if (required) return { error: "required" };
        return had ? { omit: false, value: [] } : { omit: true };
      }
      const out: unknown[] = [];
      for (let i = 0; i < list.length; i++) {
        const p = parseItem(list[i], field.items);
        if ("error" in p) return { error: `item ${i + 1} (${JSON.stringify(list[i])}): ${p.error}` };
        if (!p.omit) out.push(p.value);
      }
      return { omit: false, value: out };
    }
    case "object": {
      const text = typeof draft === "string" ? draft : "";
      if (text.trim() === "") return required ? { error: "required" } : { omit: true };
      const c = checkInputJSON(text);
      if (!c.ok) return { error: `not JSON: ${c.message} at line ${c.line}, column ${c.column}` };
      if (typeof c.value !== "object" || c.value === null || Array.isArray(c.value)) {
        return { error: "must be a JSON object: { … }" };
      }
      return { omit: false, value: c.value };
    }
    case "number":
    case "integer": {
      const text = typeof draft === "string" ? draft : "";
      if (text.trim() === "") return required ? { error: "required" } : { omit: true };
      return parseNumber(text, field.type === "integer");
    }
    default: {
      const text = typeof draft === "string" ? draft : "";
      if (text === "") return required ? { error: "required" } : had ? { omit: false, value: "" } : { omit: true };
      return { omit: false, value: text };
    }
  }
}

/**
 * Builds the props to send from the drafts: the kind's fields from their
 * drafts, and any prop the kind does not list passed through untouched (the
 * Go side decides whether it is allowed). Returns the errors by field instead
 * when any draft is invalid.
 */
export function buildProps(
  fields: readonly PropField[],
  drafts: Record<string, Draft>,
  original: Record<string, unknown>,
): { props: Record<string, unknown>; errors: Record<string, string> } {
  const props: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const known = new Set(fields.map((f) => f.name));
  for (const [k, v] of Object.entries(original)) if (!known.has(k)) props[k] = v;
  for (const f of fields) {
    const p = parseDraft(f, drafts[f.name] ?? draftOf(f, undefined), Object.hasOwn(original, f.name));
    if ("error" in p) errors[f.name] = p.error;
    else if (!p.omit) props[f.name] = p.value;
  }
  return { props, errors };
}

/** Splits text typed or pasted into a list input into items, one per line. */
export function splitItems(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
