import * as Generated from "../../wailsjs/go/app/API";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EVENT, READY } from "./api";
import {
  METHODS,
  NOT_CONNECTED,
  NotConnectedError,
  TOKEN_HEADER,
  TOKEN_KEY,
  detect,
  errorText,
  eventStreamParser,
  findToken,
  hasWails,
  httpConnection,
  resetConnection,
  waitForWails,
  wailsConnection,
} from "./transport";

afterEach(() => {
  resetConnection();
  vi.unstubAllGlobals();
});

/** Waits for what a test needs; the ceiling is reached only when it fails. */
const until = (check: () => void) => vi.waitFor(check, { timeout: 10_000 });

/**
 * A window as Wails makes it: window.go.app.API.* (which the generated
 * wailsjs/go/app/API.js calls) and window.runtime (which the generated
 * runtime calls).
 */
function fakeWails() {
  const calls: { method: string; args: unknown[] }[] = [];
  const handlers = new Map<string, (...d: unknown[]) => void>();
  const API: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const m of METHODS) {
    API[m] = (...args: unknown[]) => {
      calls.push({ method: m, args });
      if (m === "DeleteAgent") return Promise.reject('agent "x" does not exist');
      return Promise.resolve({ method: m });
    };
  }
  let offCount = 0;
  const emitted: string[] = [];
  const w = {
    go: { app: { API } },
    runtime: {
      EventsEmit(name: string) {
        emitted.push(`${name} (listening: ${[...handlers.keys()].join(", ")})`);
      },
      EventsOnMultiple(name: string, cb: (...d: unknown[]) => void) {
        handlers.set(name, cb);
        return () => {
          offCount++;
          handlers.delete(name);
        };
      },
    },
  };
  return { w, calls, handlers, emitted, offs: () => offCount };
}

/** Installs w as the page's window. */
function bind(w: object) {
  vi.stubGlobal("window", w);
}

describe("detect", () => {
  it("picks Wails only when the API is bound", () => {
    expect(hasWails({})).toBe(false);
    expect(hasWails({ go: { app: { API: { Exec: 1 } } } })).toBe(false);
    expect(detect({})).toBe("http");
    expect(detect(fakeWails().w)).toBe("wails");
  });

  it("waits (bounded) for the binding", async () => {
    const w: { go?: unknown } = {};
    expect(await waitForWails(30, 5, w)).toBe(false);
    setTimeout(() => (w.go = fakeWails().w.go), 20);
    expect(await waitForWails(10_000, 5, w)).toBe(true);
  });
});

describe("the method list", () => {
  it("is the generated bindings' functions", () => {
    const generated = Object.entries(Generated)
      .filter(([, f]) => typeof f === "function")
      .map(([k]) => k)
      .sort();
    expect([...METHODS]).toEqual(generated);
    for (const m of ["Workspace", "Connect", "MoveNodes", "Exec", "SetSecret"]) expect(METHODS).toContain(m);
  });
});

describe("wails transport", () => {
  it("calls window.go.app.API through the generated functions, same name and arguments", async () => {
    const f = fakeWails();
    bind(f.w);
    const c = wailsConnection();
    expect(await c.api.Bind("a", "env", "cap")).toEqual({ method: "Bind" });
    expect(await c.api.MoveNodes({ a: { x: 1, y: 2 } })).toEqual({ method: "MoveNodes" });
    expect(await c.api.Exec("src", "{}")).toEqual({ method: "Exec" });
    expect(f.calls).toEqual([
      { method: "Bind", args: ["a", "env", "cap"] },
      { method: "MoveNodes", args: [{ a: { x: 1, y: 2 } }] },
      { method: "Exec", args: ["src", "{}"] },
    ]);
  });

  it("turns a rejection with a string into an Error", async () => {
    bind(fakeWails().w);
    await expect(wailsConnection().api.DeleteAgent("x")).rejects.toThrow('agent "x" does not exist');
  });

  it("subscribes to the event through the generated runtime and stops", () => {
    const f = fakeWails();
    bind(f.w);
    const c = wailsConnection();
    const got: unknown[] = [];
    const off = c.subscribe((e) => got.push(e));
    f.handlers.get(EVENT)?.({ type: "run.start", agent: "a", time: "t" });
    expect(got).toEqual([{ type: "run.start", agent: "a", time: "t" }]);
    off();
    expect(f.offs()).toBe(1);
  });

  it("says it listens once it does, for a window started on an approval", () => {
    const f = fakeWails();
    bind(f.w);
    const off = wailsConnection().subscribe(() => {});
    expect(f.emitted).toEqual([`${READY} (listening: ${EVENT})`]);
    off();
  });

  it("has no events, and no error, without the runtime", () => {
    bind({ go: fakeWails().w.go });
    const off = wailsConnection().subscribe(() => {});
    expect(() => off()).not.toThrow();
  });
});

describe("errorText", () => {
  it.each([
    [new Error("e"), "e"],
    ["s", "s"],
    [{ a: 1 }, '{"a":1}'],
    [undefined, "undefined"],
  ])("describes %j", (err, want) => {
    expect(errorText(err)).toBe(want);
  });
});

function fakeFetch(reply: (url: string, init: RequestInit) => { status: number; body: string }) {
  const seen: { url: string; init: RequestInit }[] = [];
  const f = (async (url: string, init: RequestInit) => {
    seen.push({ url, init });
    const r = reply(url, init);
    return new Response(r.body, { status: r.status, statusText: r.status === 200 ? "OK" : "Bad" });
  }) as unknown as typeof fetch;
  return { f, seen };
}

/** An event stream the test writes to: a fetch answer whose body stays open. */
class FakeStream {
  static all: FakeStream[] = [];
  private ctl!: ReadableStreamDefaultController<Uint8Array>;
  readonly body: ReadableStream<Uint8Array>;
  constructor(
    public url: string,
    public init: RequestInit,
  ) {
    this.body = new ReadableStream({ start: (c) => void (this.ctl = c) });
    FakeStream.all.push(this);
  }
  get aborted() {
    return !!this.init.signal?.aborted;
  }
  write(text: string) {
    this.ctl.enqueue(new TextEncoder().encode(text));
  }
  end() {
    this.ctl.close();
  }
}

/** A fetch serving /api/events from FakeStreams (or with status), calls with "". */
function streamFetch(status = 200) {
  return (async (url: string, init: RequestInit) => {
    if (!url.endsWith("/api/events")) return new Response("", { status: 200 });
    if (status !== 200) return new Response(JSON.stringify({ error: "refused" }), { status });
    const s = new FakeStream(url, init);
    init.signal?.addEventListener("abort", () => s.body.cancel().catch(() => {}));
    return new Response(s.body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
  }) as unknown as typeof fetch;
}

/** Timers the test fires by hand. */
function manualTimers() {
  const timers: (() => void)[] = [];
  return {
    timers,
    setTimeout: (fn: () => void) => {
      timers.push(fn);
      return timers.length;
    },
    clearTimeout: () => {},
  };
}

describe("http transport", () => {
  it("POSTs the arguments as a JSON array with the token header", async () => {
    const { f, seen } = fakeFetch(() => ({ status: 200, body: JSON.stringify({ name: "inbox" }) }));
    const c = httpConnection({ token: "tok", fetch: f });
    expect(await c.api.Connect("a", "out", "b")).toEqual({ name: "inbox" });
    expect(seen[0].url).toBe("/api/call/Connect");
    expect(seen[0].init.method).toBe("POST");
    expect((seen[0].init.headers as Record<string, string>)[TOKEN_HEADER]).toBe("tok");
    expect(JSON.parse(seen[0].init.body as string)).toEqual(["a", "out", "b"]);
  });

  it("sends [] for no arguments and resolves null for an empty body", async () => {
    const { f, seen } = fakeFetch(() => ({ status: 200, body: "" }));
    const c = httpConnection({ token: "t", fetch: f, base: "http://x" });
    expect(await c.api.Secrets()).toBeNull();
    expect(seen[0].url).toBe("http://x/api/call/Secrets");
    expect(seen[0].init.body).toBe("[]");
  });

  it("rejects with the server's error text", async () => {
    const { f } = fakeFetch(() => ({ status: 400, body: JSON.stringify({ error: "no such agent" }) }));
    const c = httpConnection({ token: "t", fetch: f });
    await expect(c.api.DeleteAgent("x")).rejects.toThrow("no such agent");
  });

  it("rejects with the status when the error is not JSON", async () => {
    const { f } = fakeFetch(() => ({ status: 403, body: "forbidden\n" }));
    const c = httpConnection({ token: "t", fetch: f });
    await expect(c.api.Workspace()).rejects.toThrow("forbidden");
  });

  it("calls nothing without a token, and says there is no backend", async () => {
    const { f, seen } = fakeFetch(() => ({ status: 200, body: "{}" }));
    const c = httpConnection({ token: "", fetch: f });
    await expect(c.api.Workspace()).rejects.toThrow(NotConnectedError);
    await expect(c.api.Exec("src", "{}")).rejects.toThrow(NOT_CONNECTED);
    expect(seen).toHaveLength(0);
  });

  it("rejects when the server cannot be reached", async () => {
    const f = (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch;
    const c = httpConnection({ token: "t", fetch: f });
    await expect(c.api.Workspace()).rejects.toThrow(/cannot be reached: Failed to fetch/);
  });

  it("streams events with the token in a header, never in the URL, and reopens after a drop", async () => {
    FakeStream.all = [];
    const t = manualTimers();
    const c = httpConnection({ token: "a b", fetch: streamFetch(), setTimeout: t.setTimeout, clearTimeout: t.clearTimeout });
    const got: unknown[] = [];
    const off = c.subscribe((e) => got.push(e));
    await until(() => expect(FakeStream.all).toHaveLength(1));
    const s0 = FakeStream.all[0];
    expect(s0.url).toBe("/api/events");
    expect((s0.init.headers as Record<string, string>)[TOKEN_HEADER]).toBe("a b");
    expect(s0.init.credentials).toBeUndefined();

    // Events split anywhere, comments, CRLF and a bad one.
    s0.write(": littleboxes events\n\n");
    s0.write('data: {"type":"message","ag');
    s0.write('ent":"a","to":"b"}\r');
    s0.write("\n\r\ndata: not json\n\n");
    await until(() => expect(got).toEqual([{ type: "message", agent: "a", to: "b" }]));

    // A second subscriber shares the stream.
    const got2: unknown[] = [];
    const off2 = c.subscribe((e) => got2.push(e));
    expect(FakeStream.all).toHaveLength(1);

    // Dropped: reopened after the delay.
    s0.end();
    await until(() => expect(t.timers).toHaveLength(1));
    t.timers[0]();
    await until(() => expect(FakeStream.all).toHaveLength(2));
    const s1 = FakeStream.all[1];
    s1.write('data: {"type":"workspace"}\n\n');
    await until(() => expect(got2).toEqual([{ type: "workspace" }]));
    expect(got).toHaveLength(2);

    off();
    expect(s1.aborted).toBe(false);
    off2();
    expect(s1.aborted).toBe(true);
    // Aborting is not a drop: nothing is reopened.
    await new Promise((r) => setTimeout(r, 0));
    expect(t.timers).toHaveLength(1);
  });

  it("retries a refused stream with a growing delay", async () => {
    const delays: number[] = [];
    const pending: (() => void)[] = [];
    const c = httpConnection({
      token: "wrong",
      fetch: streamFetch(401),
      retryMs: 10,
      setTimeout: (fn, ms) => {
        delays.push(ms);
        pending.push(fn);
        return pending.length;
      },
      clearTimeout: () => {},
    });
    const off = c.subscribe(() => {});
    await until(() => expect(delays).toEqual([10]));
    pending[0]();
    await until(() => expect(delays).toEqual([10, 20]));
    off();
  });
});

describe("eventStreamParser", () => {
  it.each([
    ["one event", ["data: x\n\n"], ["x"]],
    ["no space after the colon", ["data:x\n\n"], ["x"]],
    ["lines joined", ["data: a\ndata: b\n\n"], ["a\nb"]],
    ["comments and fields skipped", [": ping\n\nid: 3\nevent: e\ndata: y\n\n"], ["y"]],
    ["CRLF split between pieces", ["data: a\r", "\n\r", "\n"], ["a"]],
    ["CR alone", ["data: a\r\r", ": next"], ["a"]],
    ["unfinished event held", ["data: a\n"], []],
    ["an empty event is no event", ["\n\n"], []],
  ])("%s", (_name, pieces, want) => {
    const got: string[] = [];
    const feed = eventStreamParser((d) => got.push(d));
    for (const p of pieces) feed(p);
    expect(got).toEqual(want);
  });
});

describe("findToken", () => {
  function store(init: Record<string, string> = {}) {
    const m = new Map(Object.entries(init));
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
  }

  it("takes #token=, keeps it and removes it from the address bar", () => {
    const s = store();
    let replaced = "";
    const t = findToken({ hash: "#token=abc&x=1", href: "http://127.0.0.1:5/p?q=2#token=abc&x=1" }, s, (u) => (replaced = u));
    expect(t).toBe("abc");
    expect(s.m.get(TOKEN_KEY)).toBe("abc");
    expect(replaced).toBe("/p?q=2#x=1");
  });

  it("leaves no empty # behind", () => {
    let replaced = "";
    expect(findToken({ hash: "#token=abc", href: "http://127.0.0.1:5/#token=abc" }, store(), (u) => (replaced = u))).toBe("abc");
    expect(replaced).toBe("/");
  });

  it("ignores a token in the query (the server refuses that form)", () => {
    let replaced: string | null = null;
    const s = store();
    expect(findToken({ hash: "", href: "http://127.0.0.1:5/?token=abc" }, s, (u) => (replaced = u))).toBe("");
    expect(s.m.size).toBe(0);
    expect(replaced).toBeNull();
  });

  it("falls back to the kept token, else empty", () => {
    expect(findToken({ hash: "", href: "http://h/" }, store({ [TOKEN_KEY]: "kept" }))).toBe("kept");
    expect(findToken({ hash: "#x=1", href: "http://h/#x=1" }, store())).toBe("");
    expect(findToken(undefined, undefined)).toBe("");
  });
});
