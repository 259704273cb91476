import { describe, expect, it, vi } from "vitest";
import type { Api } from "./api";
import { NOT_CONNECTED, NotConnectedError } from "./transport";
import {
  type ExecResult,
  execModule,
  errorLocation,
  errorMessage,
  errorTitle,
  failure,
  formatDuration,
  formatValue,
  normalizeResult,
  summarize,
} from "./result";

const ok: ExecResult = {
  ok: true,
  value: '{"greeting":"hello ada","stack":["box 1"]}',
  console: [{ level: "log", text: "hi" }],
  durationMs: 1.234,
};

describe("normalizeResult", () => {
  it("keeps a well-formed ok result", () => {
    expect(normalizeResult(ok)).toEqual(ok);
  });

  it("keeps a compile error with its position", () => {
    const raw = {
      ok: false,
      value: "",
      console: [],
      durationMs: 0.5,
      error: { kind: "compile", message: 'Unexpected ";"', line: 3, column: 15 },
    };
    expect(normalizeResult(raw)).toEqual(raw);
  });

  it.each([
    ["null", null, "internal"],
    ["a string", "boom", "internal"],
    ["an empty object", {}, "internal"],
  ])("turns %s into an internal error", (_name, raw, kind) => {
    const r = normalizeResult(raw);
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe(kind);
    expect(r.console).toEqual([]);
  });

  it("repairs mistyped fields", () => {
    const r = normalizeResult({
      ok: false,
      console: [{ level: "warn", text: 1 }, null, "x"],
      durationMs: "slow",
      error: { kind: "script", message: "Error: x", line: 0, name: "Error", stack: 5 },
    });
    expect(r).toEqual({
      ok: false,
      value: "",
      console: [{ level: "warn", text: "1" }],
      durationMs: 0,
      error: { kind: "script", message: "Error: x", name: "Error" },
    });
  });

  it("defaults a missing ok value to null", () => {
    expect(normalizeResult({ ok: true }).value).toBe("null");
  });
});

describe("formatting", () => {
  it("pretty-prints the value", () => {
    expect(formatValue(ok.value)).toBe('{\n  "greeting": "hello ada",\n  "stack": [\n    "box 1"\n  ]\n}');
    expect(formatValue("null")).toBe("null");
    expect(formatValue("not json")).toBe("not json");
    expect(formatValue("")).toBe("");
  });

  it.each([
    [0.4213, "0.42 ms"],
    [12.34, "12.3 ms"],
    [1200, "1.20 s"],
    [-1, ""],
    [Number.NaN, ""],
  ])("formats %d ms as %j", (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });

  it.each([
    [{ kind: "compile", message: "m", line: 3, column: 15 }, "Compile error", "agent.ts:3:15"],
    [{ kind: "script", message: "TypeError: bad", name: "TypeError" }, "Uncaught TypeError", null],
    [{ kind: "script", message: "no entry point: run" }, "The agent failed", null],
    [{ kind: "limit", message: "limit deadline exceeded", limit: "deadline" }, "Limit exceeded: deadline", null],
    [{ kind: "input", message: "m", line: 2, column: 1 }, "Invalid input JSON", "input:2:1"],
    [{ kind: "connection", message: "m" }, "Not connected", null],
    [{ kind: "internal", message: "internal error: unimplemented" }, "Internal error", null],
    [{ kind: "something new", message: "m", line: 4 }, "Internal error", "agent.ts:4"],
  ])("titles and locates %j", (e, title, where) => {
    expect(errorTitle(e)).toBe(title);
    expect(errorLocation(e)).toBe(where);
  });

  it("drops the repeated error name from the message", () => {
    expect(errorMessage({ kind: "script", name: "TypeError", message: "TypeError: bad" })).toBe("bad");
    expect(errorMessage({ kind: "compile", message: "TypeError: as written" })).toBe("TypeError: as written");
  });

  it("summarizes", () => {
    expect(summarize(ok)).toEqual({ tone: "ok", text: "Returned in 1.23 ms" });
    expect(summarize(failure("compile", "x"))).toEqual({ tone: "error", text: "Compile error" });
    expect(summarize({ ...failure("limit", "x", { limit: "deadline" }), durationMs: 5001 })).toEqual({
      tone: "error",
      text: "Limit exceeded: deadline in 5.00 s",
    });
  });
});

describe("execModule", () => {
  it("returns a connection error instead of throwing when there is no backend", async () => {
    const r = await execModule(null, "export default {}", "{}");
    expect(r.ok).toBe(false);
    expect(r.error).toEqual({ kind: "connection", message: NOT_CONNECTED });
  });

  it("says there is no backend when the transport has none", async () => {
    const api = {
      Exec: async () => {
        throw new NotConnectedError();
      },
    } as unknown as Api;
    expect((await execModule(api, "src", "{}")).error).toEqual({ kind: "connection", message: NOT_CONNECTED });
  });

  it("calls Exec and normalizes the reply", async () => {
    const Exec = vi.fn(async () => ({ ok: true, value: "1", console: null, durationMs: 2 }));
    const api = { Exec } as unknown as Api;
    expect(await execModule(api, "src", "in")).toEqual({ ok: true, value: "1", console: [], durationMs: 2 });
    expect(Exec).toHaveBeenCalledWith("src", "in");
  });

  it("turns a rejected call into an internal error", async () => {
    const api = {
      Exec: async () => {
        throw "runtime error: invalid memory address";
      },
    } as unknown as Api;
    const r = await execModule(api, "src", "");
    expect(r.error?.kind).toBe("internal");
    expect(r.error?.message).toContain("invalid memory address");
  });
});
