import { afterEach, describe, expect, it } from "vitest";
import { EVENT, METHODS } from "./api";
import {
  type EventSourceLike,
  TOKEN_HEADER,
  TOKEN_KEY,
  detect,
  findToken,
  hasWails,
  httpConnection,
  resetConnection,
  wailsConnection,
} from "./transport";

afterEach(() => resetConnection());

function fakeWails() {
  const calls: { method: string; args: unknown[] }[] = [];
  const handlers = new Map<string, (...d: unknown[]) => void>();
  const API: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const m of [...METHODS, "Exec"]) {
    API[m] = (...args: unknown[]) => {
      calls.push({ method: m, args });
      if (m === "DeleteAgent") return Promise.reject("agent \"x\" does not exist");
      return Promise.resolve({ method: m });
    };
  }
  let offCount = 0;
  const w = {
    go: { app: { API } },
    runtime: {
      EventsOn(name: string, cb: (...d: unknown[]) => void) {
        handlers.set(name, cb);
        return () => {
          offCount++;
          handlers.delete(name);
        };
      },
    },
  };
  return { w, calls, handlers, offs: () => offCount };
}

describe("detect", () => {
  it("picks Wails only when the API is bound", () => {
    expect(hasWails({})).toBe(false);
    expect(detect({})).toBe("http");
    expect(detect(fakeWails().w)).toBe("wails");
  });
});

describe("wails transport", () => {
  it("calls window.go.app.API with the same name and arguments", async () => {
    const f = fakeWails();
    const c = wailsConnection(f.w);
    expect(await c.api.Bind("a", "env", "cap")).toEqual({ method: "Bind" });
    expect(await c.api.MoveNodes({ a: { x: 1, y: 2 } })).toEqual({ method: "MoveNodes" });
    expect(f.calls).toEqual([
      { method: "Bind", args: ["a", "env", "cap"] },
      { method: "MoveNodes", args: [{ a: { x: 1, y: 2 } }] },
    ]);
    expect(await c.call("Exec", ["src", "{}"])).toEqual({ method: "Exec" });
  });

  it("turns a rejection with a string into an Error", async () => {
    const c = wailsConnection(fakeWails().w);
    await expect(c.api.DeleteAgent("x")).rejects.toThrow('agent "x" does not exist');
  });

  it("subscribes to the event with EventsOn and stops", () => {
    const f = fakeWails();
    const c = wailsConnection(f.w);
    const got: unknown[] = [];
    const off = c.subscribe((e) => got.push(e));
    f.handlers.get(EVENT)?.({ type: "run.start", agent: "a", time: "t" });
    expect(got).toEqual([{ type: "run.start", agent: "a", time: "t" }]);
    off();
    expect(f.offs()).toBe(1);
  });

  it("every contract method exists", () => {
    const c = wailsConnection(fakeWails().w);
    for (const m of METHODS) expect(typeof c.api[m]).toBe("function");
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

class FakeES implements EventSourceLike {
  static all: FakeES[] = [];
  onmessage: ((e: { data: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  onopen: ((e: unknown) => void) | null = null;
  readyState = 1;
  closed = false;
  constructor(public url: string) {
    FakeES.all.push(this);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
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

  it("rejects when the server cannot be reached", async () => {
    const f = (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch;
    const c = httpConnection({ token: "t", fetch: f });
    await expect(c.api.Workspace()).rejects.toThrow(/cannot be reached: Failed to fetch/);
  });

  it("streams events and reconnects after a drop", () => {
    FakeES.all = [];
    const timers: (() => void)[] = [];
    const c = httpConnection({
      token: "a b",
      fetch: fakeFetch(() => ({ status: 200, body: "" })).f,
      eventSource: (u) => new FakeES(u),
      setTimeout: (fn) => {
        timers.push(fn);
        return timers.length;
      },
      clearTimeout: () => {},
    });
    const got: unknown[] = [];
    const off = c.subscribe((e) => got.push(e));
    expect(FakeES.all).toHaveLength(1);
    expect(FakeES.all[0].url).toBe("/api/events?token=a%20b");
    FakeES.all[0].onmessage?.({ data: JSON.stringify({ type: "message", agent: "a", to: "b" }) });
    FakeES.all[0].onmessage?.({ data: "not json" });
    expect(got).toEqual([{ type: "message", agent: "a", to: "b" }]);

    // A second subscriber shares the stream.
    const got2: unknown[] = [];
    const off2 = c.subscribe((e) => got2.push(e));
    expect(FakeES.all).toHaveLength(1);

    // Dropped (CLOSED): reopened after the delay.
    FakeES.all[0].readyState = 2;
    FakeES.all[0].onerror?.({});
    expect(FakeES.all[0].closed).toBe(true);
    expect(timers).toHaveLength(1);
    timers[0]();
    expect(FakeES.all).toHaveLength(2);
    FakeES.all[1].onmessage?.({ data: JSON.stringify({ type: "workspace" }) });
    expect(got).toHaveLength(2);
    expect(got2).toEqual([{ type: "workspace" }]);

    // Still CONNECTING: EventSource retries itself.
    FakeES.all[1].readyState = 0;
    FakeES.all[1].onerror?.({});
    expect(timers).toHaveLength(1);

    off();
    expect(FakeES.all[1].closed).toBe(false);
    off2();
    expect(FakeES.all[1].closed).toBe(true);
  });
});

describe("findToken", () => {
  function store(init: Record<string, string> = {}) {
    const m = new Map(Object.entries(init));
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
  }

  it("takes ?token=, keeps it and removes it from the URL", () => {
    const s = store();
    let replaced = "";
    const t = findToken({ search: "?token=abc&x=1", href: "http://127.0.0.1:5/?token=abc&x=1#h" }, s, (u) => (replaced = u));
    expect(t).toBe("abc");
    expect(s.m.get(TOKEN_KEY)).toBe("abc");
    expect(replaced).toBe("/?x=1#h");
  });

  it("falls back to the kept token, else empty", () => {
    expect(findToken({ search: "", href: "http://h/" }, store({ [TOKEN_KEY]: "kept" }))).toBe("kept");
    expect(findToken({ search: "", href: "http://h/" }, store())).toBe("");
    expect(findToken(undefined, undefined)).toBe("");
  });
});
