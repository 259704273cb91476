// The palette: an agent and every capability kind, dragged onto the canvas
// (or clicked, or Enter/Space: added in the canvas' middle).
//
// data-testid: palette; palette-agent, palette-kind-KIND its items;
// drag-ghost the item being dragged.

import { useEffect, useRef, useState } from "react";
import type { KindInfo } from "../../lib/api";
import { type PaletteItem, kindStyle } from "./graph";
import { Icon } from "./icons";

/** The palette: drag an agent or a capability kind onto the canvas (or click to add it). */
export function Palette({ kinds, onDrop, canvas }: { kinds: KindInfo[]; onDrop(item: PaletteItem, x: number, y: number): void; canvas: React.RefObject<HTMLDivElement | null> }) {
  const [drag, setDrag] = useState<{ item: PaletteItem; label: string; x: number; y: number; moved: boolean } | null>(null);
  const dragRef = useRef(drag);
  dragRef.current = drag;

  useEffect(() => {
    if (!drag) return;
    const move = (e: PointerEvent) => {
      const d = dragRef.current;
      if (!d) return;
      const moved = d.moved || Math.abs(e.clientX - d.x) + Math.abs(e.clientY - d.y) > 4;
      setDrag({ ...d, x: e.clientX, y: e.clientY, moved });
    };
    const up = (e: PointerEvent) => {
      const d = dragRef.current;
      setDrag(null);
      if (!d) return;
      const r = canvas.current?.getBoundingClientRect();
      if (!r) return;
      if (!d.moved) {
        onDrop(d.item, r.left + r.width / 2, r.top + r.height / 2); // a click: add in the middle
        return;
      }
      if (e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom) onDrop(d.item, e.clientX, e.clientY);
    };
    const cancel = () => setDrag(null);
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", cancel);
    return () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", cancel);
    };
    // one listener set per drag
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [drag !== null]);

  const start = (item: PaletteItem, label: string) => (e: React.PointerEvent) => {
    if (e.button !== 0) return;
    e.preventDefault();
    setDrag({ item, label, x: e.clientX, y: e.clientY, moved: false });
  };

  return (
    <aside className="palette" data-testid="palette" aria-label="Palette">
      <div className="palette-head">Add</div>
      <div
        className="palette-item agent-item"
        data-testid="palette-agent"
        role="button"
        tabIndex={0}
        title="An agent: a small JavaScript module. Drag onto the canvas."
        onPointerDown={start({ type: "agent" }, "Agent")}
        onKeyDown={(e) => {
          if (e.key === "Enter" || e.key === " ") {
            const r = canvas.current?.getBoundingClientRect();
            if (r) onDrop({ type: "agent" }, r.left + r.width / 2, r.top + r.height / 2);
          }
        }}
      >
        <span className="agent-glyph" aria-hidden="true" />
        <span className="palette-text">
          <b>Agent</b>
          <small>JS module</small>
        </span>
      </div>
      <div className="palette-head">Capabilities</div>
      {kinds.map((k) => {
        const st = kindStyle(k.id);
        return (
          <div
            key={k.id}
            className="palette-item"
            data-testid={`palette-kind-${k.id}`}
            role="button"
            tabIndex={0}
            title={k.doc}
            style={{ ["--kind" as string]: st.colour }}
            onPointerDown={start({ type: "capability", kind: k.id }, k.id)}
            onKeyDown={(e) => {
              if (e.key === "Enter" || e.key === " ") {
                const r = canvas.current?.getBoundingClientRect();
                if (r) onDrop({ type: "capability", kind: k.id }, r.left + r.width / 2, r.top + r.height / 2);
              }
            }}
          >
            <span className="kind-glyph" aria-hidden="true">
              <Icon name={k.id} />
            </span>
            <span className="palette-text">
              <b>{k.id}</b>
              <small>{k.doc}</small>
            </span>
          </div>
        );
      })}
      <div className="palette-hint">
        Drag onto the canvas. Connect a node's right handle to another's left handle: agent ↔ capability binds it, agent → agent is a channel.
      </div>
      {drag && drag.moved && (
        <div className="drag-ghost" data-testid="drag-ghost" style={{ left: drag.x + 8, top: drag.y + 8 }}>
          {drag.label}
        </div>
      )}
    </aside>
  );
}
