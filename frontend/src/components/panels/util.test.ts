import { describe, expect, it } from "vitest";
import type { PropField, RunRecord } from "../../lib/api";
import {
  buildProps,
  checkRunInput,
  draftOf,
  formatDuration,
  newestFirst,
  parseDraft,
  pendingApprovals,
  placeDiagnostics,
} from "./util";

describe("placeDiagnostics", () => {
  const code = "export default {\n  async run(input) {\n    return inptu.x;\n  },\n};";

  it("puts a diagnostic at its line and column, over the word there", () => {
    const [d] = placeDiagnostics(code, [{ line: 3, column: 12, text: 'Could not resolve "inptu"' }]);
    expect(code.slice(d.from, d.to)).toBe("inptu");
    expect(d).toMatchObject({ line: 3, column: 12, severity: "error", message: 'Could not resolve "inptu"' });
  });

  it("covers one character when the column is not on a word", () => {
    const [d] = placeDiagnostics(code, [{ line: 1, column: 16, text: "x" }]);
    expect(code.slice(d.from, d.to)).toBe("{");
  });

  it("clamps lines and columns past the text", () => {
    const [a, b, c] = placeDiagnostics(code, [
      { line: 99, column: 1, text: "past the end" },
      { line: 2, column: 500, text: "past the line" },
      { line: 0, column: 0, text: "unknown" },
    ]);
    expect(a.line).toBe(5);
    expect(code.slice(a.from, a.to)).toBe("}");
    expect(b.line).toBe(2);
    expect(b.from).toBe(b.to);
    expect(code[b.from]).toBe("\n");
    expect(c).toMatchObject({ line: 1, column: 1, from: 0 });
  });

  it("counts columns in characters, not UTF-16 units", () => {
    const text = 'const s = "😀"; bad';
    const [d] = placeDiagnostics(text, [{ line: 1, column: 16, text: "x" }]);
    expect(text.slice(d.from, d.to)).toBe("bad");
    expect(d.column).toBe(16);
  });

  it("reads a warning from the text", () => {
    const [d] = placeDiagnostics(code, [{ line: 1, column: 1, text: "warning: unused" }]);
    expect(d.severity).toBe("warning");
  });

  it("handles an empty text", () => {
    const [d] = placeDiagnostics("", [{ line: 3, column: 4, text: "empty" }]);
    expect(d).toMatchObject({ from: 0, to: 0, line: 1 });
  });
});

describe("checkRunInput", () => {
  it("sends valid JSON as typed, and blank as null", () => {
    expect(checkRunInput('{"a": [1, 2]}')).toEqual({ ok: true, json: '{"a": [1, 2]}' });
    expect(checkRunInput("  \n")).toEqual({ ok: true, json: "null" });
    expect(checkRunInput('"text"')).toEqual({ ok: true, json: '"text"' });
  });

  it("refuses text that is not strict JSON, saying where", () => {
    const r = checkRunInput('{\n  "a": 1,\n}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.line, r.column]).toEqual([3, 1]);
    expect(checkRunInput("{a: 1}").ok).toBe(false);
    expect(checkRunInput("undefined").ok).toBe(false);
  });
});

describe("pendingApprovals", () => {
  it("finds held effects anywhere in a result", () => {
    expect(pendingApprovals({ status: "pending_approval", id: "e1" })).toEqual(["e1"]);
    expect(pendingApprovals({ sent: [{ ok: true }, { status: "pending_approval", id: "e2" }] })).toEqual(["e2"]);
    expect(pendingApprovals({ status: "ok" })).toEqual([]);
    expect(pendingApprovals("pending_approval")).toEqual([]);
    expect(pendingApprovals(null)).toEqual([]);
  });
});

describe("newestFirst", () => {
  const run = (id: string, start: number): RunRecord => ({ id, agent: "a", trigger: "manual", entry: "run", start, end: start + 5, status: "ok" });

  it("orders runs by start, newest first, without touching the input", () => {
    const input = [run("a", 100), run("c", 300), run("b", 200)];
    expect(newestFirst(input).map((r) => r.id)).toEqual(["c", "b", "a"]);
    expect(input.map((r) => r.id)).toEqual(["a", "c", "b"]);
  });
});

describe("formatDuration", () => {
  it("reads well", () => {
    expect(formatDuration(840)).toBe("840 ms");
    expect(formatDuration(2400)).toBe("2.40 s");
    expect(formatDuration(185_000)).toBe("3 min 5 s");
    expect(formatDuration(-1)).toBe("—");
  });
});

describe("props drafts", () => {
  const f = (name: string, type: string, extra: Partial<PropField> = {}): PropField => ({ name, type, doc: "", ...extra });

  it("round-trips each type", () => {
    expect(draftOf(f("s", "string"), "x")).toBe("x");
    expect(draftOf(f("n", "number"), 1.5)).toBe("1.5");
    expect(draftOf(f("b", "boolean"), true)).toBe(true);
    expect(draftOf(f("a", "array"), ["x", "y"])).toEqual(["x", "y"]);
    expect(draftOf(f("o", "object"), { k: 1 })).toBe('{\n  "k": 1\n}');
    expect(parseDraft(f("n", "number"), "1.5", false)).toEqual({ omit: false, value: 1.5 });
    expect(parseDraft(f("i", "integer"), "42", false)).toEqual({ omit: false, value: 42 });
    expect(parseDraft(f("a", "array", { items: "integer" }), ["1", "2"], false)).toEqual({ omit: false, value: [1, 2] });
    expect(parseDraft(f("o", "object"), '{"k": [1]}', false)).toEqual({ omit: false, value: { k: [1] } });
  });

  it("says what is wrong", () => {
    expect(parseDraft(f("i", "integer"), "1.5", false)).toEqual({ error: "a whole number" });
    expect(parseDraft(f("n", "number"), "12abc", false)).toEqual({ error: "a number" });
    expect(parseDraft(f("s", "string", { required: true }), "", false)).toEqual({ error: "required" });
    expect(parseDraft(f("o", "object"), "[1]", false)).toEqual({ error: "must be a JSON object: { … }" });
    expect(parseDraft(f("o", "object"), "{x}", false)).toHaveProperty("error");
    expect(parseDraft(f("a", "array", { items: "number" }), ["1", "x"], false)).toHaveProperty("error");
  });

  it("leaves out empty optional fields unless they were set", () => {
    expect(parseDraft(f("s", "string"), "", false)).toEqual({ omit: true });
    expect(parseDraft(f("s", "string"), "", true)).toEqual({ omit: false, value: "" });
    expect(parseDraft(f("a", "array"), [], true)).toEqual({ omit: false, value: [] });
    expect(parseDraft(f("b", "boolean"), false, false)).toEqual({ omit: true });
    expect(parseDraft(f("b", "boolean"), false, true)).toEqual({ omit: false, value: false });
  });

  it("builds props, keeping props the kind does not list", () => {
    const fields = [f("host", "string", { required: true }), f("port", "integer")];
    expect(buildProps(fields, { host: "example.org", port: "" }, { legacy: 1, port: 80 })).toEqual({
      props: { legacy: 1, host: "example.org" },
      errors: {},
    });
    expect(buildProps(fields, { host: "", port: "x" }, {}).errors).toEqual({ host: "required", port: "a whole number" });
  });
});
