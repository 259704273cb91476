// The banner of the army's problems (from Go: what stops it from running).
//
// data-testid: problems; problem (each, once opened). A problem an MCP
// server's changed tools cause carries the button that accepts them
// (AcceptTools), shown beside the head too while the list is closed.

import { useState } from "react";
import type { Api, Workspace } from "../lib/api";
import { AcceptTools } from "./AcceptTools";

export function Problems({ ws, api, onWorkspace }: { ws: Workspace; api?: Api; onWorkspace?: (ws: Workspace) => void }) {
  const [open, setOpen] = useState(false);
  const n = ws.problems.length;
  const accept = (capability?: string) =>
    capability && api && onWorkspace ? <AcceptTools api={api} capability={capability} onWorkspace={onWorkspace} /> : null;
  return (
    <div className="problems" data-testid="problems" role="status">
      <button type="button" className="problems-head" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className="problems-icon">⚠</span>
        {n === 1 ? "1 problem stops this army from running" : `${n} problems stop this army from running`}
        {!open && <span className="problems-first">: {ws.problems[0].message}</span>}
        <span className="caret">{open ? "▾" : "▸"}</span>
      </button>
      {!open && accept(ws.problems[0].tools)}
      {open && (
        <ul>
          {ws.problems.map((p, i) => (
            <li key={i} data-testid="problem">
              {p.path && <code>{p.path}</code>} {p.line > 0 && <span className="muted">line {p.line}</span>} {p.message} {accept(p.tools)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
