// useEngineEvents: the engine's events while connected, as live run states
// and channel pulses for the canvas, and as calls to the handlers (a new
// Workspace, approvals changed, a run ended, the engine gone or back, an
// approval to show). The approvals are also polled, in case an event was
// missed.

import { useEffect, useRef, useState } from "react";
import { type Live, PULSE_MS, applyEvent, emptyLive } from "../components/canvas/graph";
import { type EngineState, type Event, OPEN_APPROVAL, type Workspace } from "../lib/api";
import type { Connection } from "../lib/transport";

/** How often the approvals are counted again without an event. */
export const APPROVALS_POLL_MS = 5000;

export interface EngineHandlers {
  /** The army changed on the Go side. */
  onWorkspace(): void;
  /** An approval arrived or was decided. */
  onApprovals(): void;
  /** A run ended. */
  onRunEnd(): void;
  /** Counts the approvals (on subscribing, then every APPROVALS_POLL_MS). */
  pollApprovals(): void;
  /** An army was started or stopped (the list of running armies changed). */
  onArmies?(): void;
  /** The engine stopped answering, or is back (an attached app's "engine" event). */
  onEngine?(state: EngineState): void;
  /** Show this approval (the person clicked the notification about it). */
  onOpenApproval?(id: string): void;
}

/**
 * Subscribes to conn's events while enabled; returns the live state.
 * ws is the Workspace events are read against (message pulses).
 */
export function useEngineEvents(conn: Connection | null, enabled: boolean, ws: Workspace | null, handlers: EngineHandlers): Live {
  const [live, setLive] = useState<Live>(emptyLive);
  const wsRef = useRef(ws);
  wsRef.current = ws;
  const h = useRef(handlers);
  h.current = handlers;

  useEffect(() => {
    if (!conn || !enabled) return;
    h.current.pollApprovals();
    const pulseEnds = new Set<ReturnType<typeof setTimeout>>();
    const off = conn.subscribe((ev: Event) => {
      switch (ev.type) {
        case "workspace":
          h.current.onWorkspace();
          return;
        case "army.started":
        case "army.stopped":
          h.current.onArmies?.();
          return;
        case "approval.new":
        case "approval.decided":
          h.current.onApprovals();
          return;
        case OPEN_APPROVAL:
          if (ev.id) h.current.onOpenApproval?.(ev.id);
          return;
        case "engine":
          if (ev.detail === "reconnecting" || ev.detail === "attached") h.current.onEngine?.(ev.detail);
          if (ev.detail === "attached") h.current.pollApprovals();
          return;
        case "run.end":
          h.current.onRunEnd();
          break;
        case "message": {
          // Redraw once the pulse is over, to end it.
          const t = setTimeout(() => {
            pulseEnds.delete(t);
            setLive((l) => ({ ...l }));
          }, PULSE_MS + 50);
          pulseEnds.add(t);
          break;
        }
      }
      setLive((l) => applyEvent(l, ev, wsRef.current, Date.now()));
    });
    const poll = setInterval(() => h.current.pollApprovals(), APPROVALS_POLL_MS);
    return () => {
      off();
      clearInterval(poll);
      for (const t of pulseEnds) clearTimeout(t);
    };
  }, [conn, enabled]);

  return live;
}
