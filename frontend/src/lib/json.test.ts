import { describe, expect, it } from "vitest";
import { checkInputJSON, lineColumn, offsetOf, parseJSON } from "./json";

describe("checkInputJSON", () => {
  it.each([
    ["blank is null", "  \n ", null],
    ["empty is null", "", null],
    ["object", '{"name": "ada", "n": [1, -2.5e3, true, null]}', { name: "ada", n: [1, -2500, true, null] }],
    ["string with escapes", '"a\\"b\\u00e9\\n"', 'a"bé\n'],
    ["number", " 0 ", 0],
    ["nested", '[[[{"a":{}}]]]', [[[{ a: {} }]]]],
  ])("accepts %s", (_name, text, want) => {
    expect(checkInputJSON(text)).toEqual({ ok: true, value: want });
  });

  it.each([
    ["missing value", '{"name": }', 1, 10, "expected a value"],
    ["trailing comma in object", '{\n  "a": 1,\n}', 3, 1, 'expected a "quoted" key'],
    ["trailing comma in array", "[1, 2, ]", 1, 8, "expected a value"],
    ["unquoted key", "{name: 1}", 1, 2, 'expected a "quoted" key'],
    ["single quotes", "{'a': 1}", 1, 2, 'expected a "quoted" key'],
    ["truncated", '{"a":\n [1,', 2, 5, "unexpected end of input"],
    ["unterminated string", '{"a": "b', 1, 7, "unterminated string"],
    ["text after the value", "{} x", 1, 4, "after the JSON value"],
    ["two values", "1\n2", 2, 1, "after the JSON value"],
    ["leading zero", "01", 1, 2, "in a number"],
    ["bare minus", "-", 1, 2, "expected a digit"],
    ["bad literal", "nul", 1, 4, "unexpected end of input"],
    ["bad escape", '"\\x"', 1, 2, "bad escape \\x"],
    ["raw newline in a string", '"a\nb"', 1, 3, "control character"],
    ["number out of range", "[1,\n -1e999 ]", 2, 2, "-1e999 is out of range"],
    ["columns count characters", '["😀é", ]', 1, 8, "expected a value"],
  ])("rejects %s", (_name, text, line, column, message) => {
    const got = checkInputJSON(text);
    expect(got.ok).toBe(false);
    if (got.ok) return;
    expect({ line: got.line, column: got.column }).toEqual({ line, column });
    expect(got.message).toContain(message);
  });

  it("agrees with JSON.parse on what is valid", () => {
    const samples = ['{"a":[1,2,{"b":null}]}', "[]", '"x"', "1e5", "-0.5", "[1,]", "{,}", "[01]", '"\t"', "true false"];
    for (const s of samples) {
      let native: unknown;
      let nativeOK = true;
      try {
        native = JSON.parse(s);
      } catch {
        nativeOK = false;
      }
      const got = checkInputJSON(s);
      expect(got.ok, s).toBe(nativeOK);
      if (got.ok) expect(got.value).toEqual(native);
    }
  });

  it("limits nesting", () => {
    expect(checkInputJSON("[".repeat(600) + "]".repeat(600)).ok).toBe(false);
  });
});

describe("parseJSON", () => {
  it("throws a SyntaxError naming the position", () => {
    expect(() => parseJSON("[1 2]")).toThrow(/line 1, column 4/);
  });
});

describe("lineColumn and offsetOf", () => {
  const text = "ab\ncd😀e\n\nx";
  it.each([
    [0, 1, 1],
    [2, 1, 3],
    [3, 2, 1],
    [7, 2, 4], // after the emoji (2 code units, 1 character)
    [9, 3, 1],
    [10, 4, 1],
    [99, 4, 2],
  ])("offset %i is line %i, column %i", (offset, line, column) => {
    expect(lineColumn(text, offset)).toEqual({ line, column });
    if (offset <= text.length) expect(offsetOf(text, line, column)).toBe(offset);
  });

  it("clamps positions past the end", () => {
    expect(offsetOf(text, 1, 99)).toBe(2);
    expect(offsetOf(text, 99, 1)).toBe(text.length);
  });
});
