// Strict JSON parsing that says where the text goes wrong.
//
// JSON.parse's messages differ between engines (WebKitGTK in the window,
// Chromium, Node) and WebKit's give no position at all, so the input box uses
// this small parser instead: it accepts exactly RFC 8259 JSON and reports the
// 1-based line and column of the first offending character.

/** Any JSON value. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/** Where and why a text is not JSON. */
export interface JSONProblem {
  message: string;
  /** 0-based offset into the text, in UTF-16 code units. */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column, in characters (code points). */
  column: number;
}

/** The outcome of checkInputJSON. */
export type InputCheck = { ok: true; value: JSONValue } | ({ ok: false } & JSONProblem);

/**
 * Parses the input box's text as the module's input: blank text is null, as
 * it is for the Go side (API.Exec).
 */
export function checkInputJSON(text: string): InputCheck {
  if (text.trim() === "") return { ok: true, value: null };
  try {
    return { ok: true, value: parseJSON(text) };
  } catch (e) {
    if (e instanceof JSONSyntaxError) return { ok: false, ...e.problem };
    throw e;
  }
}

/** Thrown by parseJSON. */
export class JSONSyntaxError extends SyntaxError {
  readonly problem: JSONProblem;
  constructor(problem: JSONProblem) {
    super(`${problem.message} at line ${problem.line}, column ${problem.column}`);
    this.name = "JSONSyntaxError";
    this.problem = problem;
  }
}

/** 1-based line and column (in code points) of a UTF-16 offset into text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      column = 1;
    } else if (c < 0xdc00 || c > 0xdfff) {
      column++; // a low surrogate continues the previous character
    }
  }
  return { line, column };
}

/** UTF-16 offset of a 1-based line and column (in code points), clamped to the text. */
export function offsetOf(text: string, line: number, column: number): number {
  let i = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", i);
    if (nl < 0) return text.length;
    i = nl + 1;
  }
  for (let c = 1; c < column && i < text.length && text[i] !== "\n"; c++) {
    const code = text.charCodeAt(i);
    i += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
  }
  return Math.min(i, text.length);
}

/** Parses strict JSON, throwing a JSONSyntaxError that locates the problem. */
export function parseJSON(text: string): JSONValue {
  let i = 0;

  const fail = (message: string, at = i): never => {
    throw new JSONSyntaxError({ message, offset: at, ...lineColumn(text, at) });
  };
  const describe = (at: number): string =>
    at >= text.length ? "end of input" : `'${String.fromCodePoint(text.codePointAt(at)!)}'`;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const expect = (lit: string, value: JSONValue): JSONValue => {
    for (let k = 0; k < lit.length; k++) {
      if (text[i + k] !== lit[k]) fail(`unexpected ${describe(i + k)}`, i + k);
    }
    i += lit.length;
    return value;
  };

  const value = (depth: number): JSONValue => {
    if (depth > 512) fail("nested too deeply");
    ws();
    const c = text[i];
    switch (c) {
      case "{":
        return object(depth);
      case "[":
        return array(depth);
      case '"':
        return string();
      case "t":
        return expect("true", true);
      case "f":
        return expect("false", false);
      case "n":
        return expect("null", null);
      default:
        if (c === "-" || (c >= "0" && c <= "9")) return number();
        return fail(i >= text.length ? "unexpected end of input" : `unexpected ${describe(i)}: expected a value`);
    }
  };

  const object = (depth: number): JSONValue => {
    const out: { [key: string]: JSONValue } = {};
    i++; // {
    ws();
    if (text[i] === "}") {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail(`unexpected ${describe(i)}: expected a "quoted" key`);
      const key = string();
      ws();
      if (text[i] !== ":") fail(`unexpected ${describe(i)}: expected ':' after a key`);
      i++;
      out[key] = value(depth + 1);
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return out;
      }
      fail(`unexpected ${describe(i)}: expected ',' or '}'`);
    }
  };

  const array = (depth: number): JSONValue => {
    const out: JSONValue[] = [];
    i++; // [
    ws();
    if (text[i] === "]") {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth + 1));
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") {
        i++;
        return out;
      }
      fail(`unexpected ${describe(i)}: expected ',' or ']'`);
    }
  };

  const string = (): string => {
    const start = i;
    i++; // "
    for (;;) {
      if (i >= text.length) fail("unterminated string", start);
      const code = text.charCodeAt(i);
      if (code === 0x22) break;
      if (code < 0x20) fail("control character in a string: escape it");
      if (code === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("bad \\u escape");
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          fail(`bad escape ${e === undefined ? "at end of input" : "\\" + e}`);
        }
      } else {
        i++;
      }
    }
    i++; // "
    return JSON.parse(text.slice(start, i)) as string;
  };

  const number = (): number => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!m || m[0] === "-") fail(`unexpected ${describe(i + 1)}: expected a digit`, i + 1);
    i += m![0].length;
    const next = text[i];
    if (next !== undefined && /[0-9.eE]/.test(next)) fail(`unexpected ${describe(i)} in a number`);
    const n = Number(m![0]);
    // As in Go (app/exec.go), where numbers are float64.
    if (!Number.isFinite(n)) fail(`number ${m![0]} is out of range`, i - m![0].length);
    return n;
  };

  const result = value(0);
  ws();
  if (i < text.length) fail(`unexpected ${describe(i)} after the JSON value`);
  return result;
}
