import { afterEach, describe, expect, it, vi } from "vitest";
import { NOT_CONNECTED, describeFailure, execModule, fetchVersion, hasBackend, waitForBackend } from "./backend";

type G = typeof globalThis & { go?: unknown };
const g = globalThis as G;

// The generated wailsjs/go/app/API.js calls window.go.app.API.*, as it does in the window.
function bind(api: Record<string, unknown>) {
  vi.stubGlobal("window", globalThis);
  g.go = { app: { API: api } };
}

afterEach(() => {
  delete g.go;
  vi.unstubAllGlobals();
});

describe("without Wails", () => {
  it("reports no backend", () => {
    expect(hasBackend()).toBe(false);
    expect(hasBackend({ go: { app: { API: { Exec: 1 } } } })).toBe(false);
  });

  it("returns a connection error instead of throwing", async () => {
    const r = await execModule("export default {}", "{}");
    expect(r.ok).toBe(false);
    expect(r.error).toEqual({ kind: "connection", message: NOT_CONNECTED });
  });

  it("has no version", async () => {
    expect(await fetchVersion()).toBeNull();
  });

  it("gives up waiting", async () => {
    expect(await waitForBackend(30, 5)).toBe(false);
  });
});

describe("with Wails", () => {
  it("calls Exec and normalizes the reply", async () => {
    const Exec = vi.fn(async () => ({ ok: true, value: "1", console: null, durationMs: 2 }));
    bind({ Exec, Version: async () => "0.1.0-dev" });
    expect(hasBackend()).toBe(true);
    expect(await execModule("src", "in")).toEqual({ ok: true, value: "1", console: [], durationMs: 2 });
    expect(Exec).toHaveBeenCalledWith("src", "in");
    expect(await fetchVersion()).toBe("0.1.0-dev");
  });

  it("turns a rejected call into an internal error", async () => {
    bind({
      Exec: async () => {
        throw "runtime error: invalid memory address";
      },
      Version: async () => {
        throw new Error("gone");
      },
    });
    const r = await execModule("src", "");
    expect(r.error?.kind).toBe("internal");
    expect(r.error?.message).toContain("invalid memory address");
    expect(await fetchVersion()).toBeNull();
  });

  it("waits for the binding to appear", async () => {
    setTimeout(() => bind({ Exec: () => null, Version: () => null }), 20);
    expect(await waitForBackend(10_000, 5)).toBe(true); // resolves as soon as it is bound
  });
});

describe("describeFailure", () => {
  it.each([
    [new Error("e"), "e"],
    ["s", "s"],
    [{ a: 1 }, '{"a":1}'],
    [undefined, "undefined"],
  ])("describes %j", (err, want) => {
    expect(describeFailure(err)).toBe(want);
  });
});
