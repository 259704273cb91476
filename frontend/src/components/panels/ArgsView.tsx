// The arguments of a held call, as they will be (or were) sent.

import { useState } from "react";
import { DiffView } from "./DiffView";
import { prettyJSON } from "./util";

/**
 * The arguments of a held call, as they will be sent. Strings (a mail body, a
 * request body) are shown as text with their line breaks, or pretty-printed
 * when they hold JSON; objects field by field; each value in its own
 * scrollable box. "raw JSON" shows the arguments exactly as stored.
 */
export function ArgsView({ args, testId }: { args: unknown; testId?: string }) {
  const [raw, setRaw] = useState(false);
  const list = Array.isArray(args) ? args : [args];
  return (
    <div className="lbp-args" data-testid={testId}>
      {raw ? (
        <pre className="lbp-pre lbp-scroll">{prettyJSON(args)}</pre>
      ) : (
        list.map((a, i) => (
          <div key={i} className="lbp-arg">
            {list.length > 1 && <span className="lbp-arg-index">argument {i + 1}</span>}
            {isRecord(a) ? <Fields record={a} depth={0} /> : <ValueBlock value={a} depth={0} />}
          </div>
        ))
      )}
      <button type="button" className="lbp-link" onClick={() => setRaw(!raw)}>
        {raw ? "show as fields" : "show raw JSON"}
      </button>
    </div>
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A string that holds a JSON object or array, parsed; undefined otherwise. */
function jsonInside(s: string): unknown {
  const t = s.trim();
  if (!(t.startsWith("{") && t.endsWith("}")) && !(t.startsWith("[") && t.endsWith("]"))) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

/** A unified diff (a folder's edit plan, a replace): "--- a", "+++ b", hunks. */
export function looksLikeDiff(s: string): boolean {
  return /^--- [^\n]*\n\+\+\+ [^\n]*\n@@ /.test(s);
}

/** An object's fields, each value in its own block. */
function Fields({ record, depth }: { record: Record<string, unknown>; depth: number }) {
  return (
    <dl className="lbp-args-fields">
      {Object.entries(record).map(([k, v]) => (
        <div key={k} className="lbp-args-field">
          <dt>{k}</dt>
          <dd>
            <ValueBlock value={v} depth={depth + 1} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function ValueBlock({ value, depth }: { value: unknown; depth: number }) {
  if (typeof value === "string" && looksLikeDiff(value)) {
    return <DiffView diff={value} />;
  }
  // A list of objects (a plan's files) shown as fields, not as JSON text,
  // so that the diffs inside read as diffs; shallowly, to stay readable.
  if (depth < 3 && Array.isArray(value) && value.length > 0 && value.every(isRecord)) {
    return (
      <ol className="lbp-args-list">
        {value.map((v, i) => (
          <li key={i}>
            <Fields record={v} depth={depth} />
          </li>
        ))}
      </ol>
    );
  }
  if (typeof value === "string") {
    const inner = jsonInside(value);
    if (inner !== undefined) {
      return (
        <pre className="lbp-pre lbp-scroll" title="JSON text, pretty-printed">
          {prettyJSON(inner)}
        </pre>
      );
    }
    return <pre className="lbp-pre lbp-scroll">{value === "" ? "(empty)" : value}</pre>;
  }
  return <pre className="lbp-pre lbp-scroll">{prettyJSON(value)}</pre>;
}
