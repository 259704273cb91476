// The banner of the army's problems (from Go: what stops it from running).
//
// data-testid: problems; problem (each, once opened).

import { useState } from "react";
import type { Workspace } from "../lib/api";

export function Problems({ ws }: { ws: Workspace }) {
  const [open, setOpen] = useState(false);
  const n = ws.problems.length;
  return (
    <div className="problems" data-testid="problems" role="status">
      <button type="button" className="problems-head" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className="problems-icon">⚠</span>
        {n === 1 ? "1 problem stops this army from running" : `${n} problems stop this army from running`}
        {!open && <span className="problems-first">: {ws.problems[0].message}</span>}
        <span className="caret">{open ? "▾" : "▸"}</span>
      </button>
      {open && (
        <ul>
          {ws.problems.map((p, i) => (
            <li key={i} data-testid="problem">
              {p.path && <code>{p.path}</code>} {p.line > 0 && <span className="muted">line {p.line}</span>} {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
