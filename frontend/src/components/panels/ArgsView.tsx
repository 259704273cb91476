// The arguments of a held call, as they will be (or were) sent.

import { useState } from "react";
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
            {isRecord(a) ? (
              <dl className="lbp-args-fields">
                {Object.entries(a).map(([k, v]) => (
                  <div key={k} className="lbp-args-field">
                    <dt>{k}</dt>
                    <dd>
                      <ValueBlock value={v} />
                    </dd>
                  </div>
                ))}
              </dl>
            ) : (
              <ValueBlock value={a} />
            )}
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

function ValueBlock({ value }: { value: unknown }) {
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
