// The transport: how the page reaches app.API, picked at run time. One
// module for both ways in, one list of methods (the generated
// wailsjs/go/app/API.js), one errorText.
//
//   - In the desktop window Wails binds the API as window.go.app.API.*: each
//     call goes through the generated function of the same name, and events
//     arrive through the generated runtime's EventsOn(EVENT, cb). A Go method
//     returning (T, error) resolves with T or rejects with the error's text.
//   - In a browser opened by `littleboxes serve` (app/serve.go), each call is
//     POST /api/call/METHOD with the JSON array of arguments, the token in the
//     X-Littleboxes-Token header: 200 with the JSON result, or 4xx/5xx with
//     {"error": "..."}. Events are server-sent events on GET /api/events (one
//     Event as JSON per `data:` line), read with fetch (EventSource cannot
//     send a header) with the same header, and reopened after a drop.
//
// The token comes from the page's URL fragment (#token=…, printed by `serve`;
// a browser never sends a fragment to a server), is kept in sessionStorage so
// a reload still works, and is taken out of the address bar at once. It never
// goes into a cookie or a query.

import * as Bound from "../../wailsjs/go/app/API";
import { EventsEmit, EventsOn } from "../../wailsjs/runtime/runtime";
import { type Api, EVENT, type Event, type Method, READY } from "./api";

/** The methods of app.API, by name: those Wails generated bindings for. */
export const METHODS: readonly Method[] = (Object.keys(Bound) as Method[]).filter((k) => typeof Bound[k] === "function").sort();

/** The header every `serve` request carries. */
export const TOKEN_HEADER = "X-Littleboxes-Token";
/** Where the token is kept for the tab's lifetime. */
export const TOKEN_KEY = "littleboxes.token";

export type TransportKind = "wails" | "http";

/** Whether the page has reached the backend (shown in the title bar). */
export type ConnectionState = "checking" | "connected" | "disconnected";

/** What a call shows when the page has no backend to call. */
export const NOT_CONNECTED =
  "The littleboxes backend is not connected: open this page from the littleboxes window, or from the URL `littleboxes serve` prints (with its #token=).";

/**
 * The rejection of a call made with no backend to make it to: neither the
 * Wails binding nor a `serve` token.
 */
export class NotConnectedError extends Error {
  constructor() {
    super(NOT_CONNECTED);
    this.name = "NotConnectedError";
  }
}

/** An Api plus the engine event stream. */
export interface Connection {
  api: Api;
  kind: TransportKind;
  /** Calls cb with every engine event until the returned function is called. */
  subscribe(cb: (e: Event) => void): () => void;
}

interface WailsWindow {
  go?: { app?: { API?: Record<string, unknown> } };
}

/** Whether Wails has bound the API in this window. */
export function hasWails(w: unknown = globalThis): boolean {
  const api = (w as WailsWindow | undefined)?.go?.app?.API;
  return !!api && typeof api.Version === "function";
}

/** Describes a rejected call (Wails rejects with a string, fetch with an Error). */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === "string") return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

/** Makes an Api whose every method forwards to call(method, args). */
export function apiFromCall(call: (method: Method, args: unknown[]) => Promise<unknown>): Api {
  const api: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const m of METHODS) api[m] = (...args: unknown[]) => call(m, args);
  return api as unknown as Api;
}

/**
 * The transport inside the desktop window: the generated functions of
 * wailsjs/go/app/API.js, their rejections turned into Errors.
 */
export function wailsConnection(): Connection {
  const call = async (method: Method, args: unknown[]) => {
    const fn = Bound[method] as (...a: unknown[]) => Promise<unknown>;
    try {
      return await fn(...args);
    } catch (err) {
      throw new Error(errorText(err));
    }
  };
  return {
    api: apiFromCall(call),
    kind: "wails",
    subscribe(cb) {
      let live = true;
      let off: (() => void) | undefined;
      try {
        off = EventsOn(EVENT, (...data: unknown[]) => {
          if (live) cb(data[0] as Event);
        });
        // Listening now: a window started on an approval shows it.
        EventsEmit(READY);
      } catch {
        // no Wails runtime (a dev server without it): no events
      }
      return () => {
        live = false;
        if (typeof off === "function") off();
      };
    },
  };
}

/** What the HTTP transport needs from its environment (fakes in tests). */
export interface HttpEnv {
  /** The page's origin-relative base, "" for the page's own server. */
  base?: string;
  token: string;
  /** Makes the calls and reads the event stream. */
  fetch: typeof fetch;
  /** Reconnect delay after a dropped stream, ms (grows to 10× this). */
  retryMs?: number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (h: unknown) => void;
}

/**
 * Parses a server-sent event stream fed in pieces of any size: calls onData
 * with the data of each event (its `data:` lines joined by newlines);
 * comments and other fields are skipped. Returns the function to feed it.
 */
export function eventStreamParser(onData: (data: string) => void): (chunk: string) => void {
  let buf = "";
  let data: string[] = [];
  return (chunk: string) => {
    buf += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buf);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!m || (m[0] === "\r" && m.index === buf.length - 1)) return;
      const line = buf.slice(0, m.index);
      buf = buf.slice(m.index + m[0].length);
      if (line === "") {
        if (data.length > 0) onData(data.join("\n"));
        data = [];
      } else if (line.startsWith("data:")) {
        data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
    }
  };
}

/** Reads an event stream's body to its end, calling onData per event. */
async function readEventStream(body: ReadableStream<Uint8Array>, onData: (data: string) => void): Promise<void> {
  const feed = eventStreamParser(onData);
  const dec = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      feed(dec.decode(value, { stream: true }));
    }
  } finally {
    reader.releaseLock();
  }
}

/** The transport for a browser opened by `littleboxes serve`. */
export function httpConnection(env: HttpEnv): Connection {
  const base = env.base ?? "";
  const call = async (method: Method, args: unknown[]) => {
    // serve refuses every call without its token: no page has a backend then.
    if (!env.token) throw new NotConnectedError();
    let res: Response;
    try {
      res = await env.fetch(`${base}/api/call/${encodeURIComponent(method)}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", [TOKEN_HEADER]: env.token },
        body: JSON.stringify(args),
      });
    } catch (err) {
      throw new Error(`the littleboxes server cannot be reached: ${errorText(err)}`);
    }
    const text = await res.text();
    let body: unknown = undefined;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        if (res.ok) throw new Error(`${method}: the server sent a reply that is not JSON`);
      }
    }
    if (!res.ok) {
      const msg =
        body && typeof body === "object" && typeof (body as { error?: unknown }).error === "string"
          ? (body as { error: string }).error
          : text.trim() || `${res.status} ${res.statusText}`;
      throw new Error(msg);
    }
    return body === undefined ? null : body;
  };

  const listeners = new Set<(e: Event) => void>();
  let stream: AbortController | null = null; // the open event stream
  let timer: unknown = null;
  let failures = 0;
  const retry = env.retryMs ?? 1000;
  const st = env.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
  const ct = env.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));

  const dispatch = (data: string) => {
    let ev: Event;
    try {
      ev = JSON.parse(data) as Event;
    } catch {
      return;
    }
    for (const l of [...listeners]) l(ev);
  };
  // Opens the stream; when it ends or fails (while still wanted), opens it
  // again after a delay that grows with the failures in a row.
  const open = () => {
    timer = null;
    if (listeners.size === 0) return;
    const ctl = new AbortController();
    stream = ctl;
    void (async () => {
      try {
        const res = await env.fetch(`${base}/api/events`, {
          method: "GET",
          headers: { Accept: "text/event-stream", [TOKEN_HEADER]: env.token },
          cache: "no-store",
          signal: ctl.signal,
        });
        if (!res.ok || !res.body) {
          await res.body?.cancel().catch(() => {});
          throw new Error(`events: ${res.status}`);
        }
        failures = 0;
        await readEventStream(res.body, dispatch);
      } catch {
        // dropped, refused or aborted: below
      }
      if (stream !== ctl) return; // closed, or replaced
      stream = null;
      failures++;
      if (listeners.size > 0 && timer === null) timer = st(open, retry * Math.min(failures, 10));
    })();
  };
  const close = () => {
    if (timer !== null) ct(timer);
    timer = null;
    const s = stream;
    stream = null;
    s?.abort();
  };

  return {
    api: apiFromCall(call),
    kind: "http",
    subscribe(cb) {
      listeners.add(cb);
      if (!stream && timer === null) open();
      let live = true;
      return () => {
        if (!live) return;
        live = false;
        listeners.delete(cb);
        if (listeners.size === 0) close();
      };
    },
  };
}

/** The token in a URL fragment ("#token=…"), or "". */
export function tokenInHash(hash: string | undefined): string {
  return new URLSearchParams((hash ?? "").replace(/^#/, "")).get("token") ?? "";
}

/**
 * The token from the URL's fragment (#token=…, then kept in storage and
 * taken out of the address bar), else the kept one, else "".
 */
export function findToken(
  loc: { hash: string; href: string } | undefined,
  storage: Pick<Storage, "getItem" | "setItem"> | undefined,
  replaceUrl?: (url: string) => void,
): string {
  const t = tokenInHash(loc?.hash);
  if (t) {
    try {
      storage?.setItem(TOKEN_KEY, t);
    } catch {
      // storage may be disabled; the token still works for this page
    }
    if (replaceUrl && loc) {
      const u = new URL(loc.href);
      const rest = new URLSearchParams(u.hash.replace(/^#/, ""));
      rest.delete("token");
      const hash = rest.toString();
      replaceUrl(u.pathname + u.search + (hash ? `#${hash}` : ""));
    }
    return t;
  }
  try {
    return storage?.getItem(TOKEN_KEY) ?? "";
  } catch {
    return "";
  }
}

/** Which transport this page should use. */
export function detect(w: unknown = globalThis): TransportKind {
  return hasWails(w) ? "wails" : "http";
}

let current: Connection | null = null;

/**
 * The page's connection, made once: Wails when it is bound, else `serve`'s
 * HTTP API. Wails binds its globals before the page's scripts normally run;
 * waitForWails covers the rare other order.
 */
export function connection(): Connection {
  if (current) return current;
  const g = globalThis as unknown as {
    location?: Location;
    sessionStorage?: Storage;
    history?: History;
  };
  if (hasWails(g)) {
    current = wailsConnection();
  } else {
    const token = findToken(g.location, g.sessionStorage, (u) => g.history?.replaceState(null, "", u));
    current = httpConnection({ token, fetch: (...a) => fetch(...a) });
  }
  return current;
}

/**
 * The page's connection once it is known: at once in a `serve` page (it has
 * a token), else after waiting (bounded) for Wails to bind the API.
 */
export async function ready(timeoutMs = 2000): Promise<Connection> {
  if (current) return current;
  const g = globalThis as unknown as { location?: Location; sessionStorage?: Storage };
  const hasToken = (() => {
    try {
      return !!tokenInHash(g.location?.hash) || !!g.sessionStorage?.getItem(TOKEN_KEY);
    } catch {
      return false;
    }
  })();
  if (!hasToken) await waitForWails(timeoutMs);
  return connection();
}

/** Waits (bounded) for Wails to bind the API; false when it never does. */
export async function waitForWails(timeoutMs = 600, intervalMs = 50, w: unknown = globalThis): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!hasWails(w)) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return true;
}

/** Forgets the cached connection (tests). */
export function resetConnection(): void {
  current = null;
}
