// ApprovalsInbox: every held sink call in full (what will be sent, to whom,
// why it was flagged) with Approve and Deny (PendingEffect); below, the
// recent decisions (DecidedEffect). One of them can be in focus: the one
// a click on a desktop notification is about. The count for a title bar is
// ApprovalsBadge.

import { useCallback, useEffect, useRef, useState } from "react";
import type { Api, Effect } from "../../lib/api";
import { errorText } from "../../lib/transport";
import { DecidedEffect } from "./DecidedEffect";
import { ErrorLine } from "./parts";
import { PendingEffect } from "./PendingEffect";

export interface ApprovalsInboxProps {
  api: Api;
  /** Called after an approval or denial went through (to refresh a badge, the runs, …). */
  onChanged?: () => void;
  /** Change it (a counter, an event id) to make the inbox reload. */
  refresh?: unknown;
  /** How many decided effects to show; 20 by default. */
  recent?: number;
  /**
   * The approval to show first (the person clicked the notification about
   * it): marked and scrolled into view, or said to be decided already.
   */
  focus?: string | null;
}

type Busy = Record<string, "approve" | "deny">;

export function ApprovalsInbox({ api, onChanged, refresh, recent = 20, focus }: ApprovalsInboxProps) {
  const [pending, setPending] = useState<Effect[] | null>(null);
  const [decided, setDecided] = useState<Effect[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [busy, setBusy] = useState<Busy>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const seq = useRef(0);

  const load = useCallback(async () => {
    const my = ++seq.current;
    try {
      const [p, all] = await Promise.all([api.Approvals(false), api.Approvals(true)]);
      if (my !== seq.current) return;
      const open = (Array.isArray(p) ? p : []).filter((e) => e.status === "pending" || e.status === "approving");
      setPending([...open].sort((a, b) => a.created - b.created));
      const done = (Array.isArray(all) ? all : []).filter((e) => e.status !== "pending" && e.status !== "approving");
      setDecided(done.sort((a, b) => (b.decided ?? b.created) - (a.decided ?? a.created)).slice(0, recent));
      setLoadError(null);
    } catch (err) {
      if (my === seq.current) setLoadError(errorText(err));
    }
  }, [api, recent]);

  useEffect(() => {
    void load();
  }, [load, refresh]);

  const decide = async (id: string, how: "approve" | "deny") => {
    if (busy[id]) return;
    setBusy((b) => ({ ...b, [id]: how }));
    setErrors(({ [id]: _, ...rest }) => rest);
    try {
      await (how === "approve" ? api.Approve(id) : api.Deny(id));
      onChanged?.();
    } catch (err) {
      setErrors((e) => ({ ...e, [id]: errorText(err) }));
    } finally {
      setBusy(({ [id]: _, ...rest }) => rest);
      await load();
    }
  };

  return (
    <section className="lbp-panel lbp-approvals" data-testid="approvals-inbox" aria-label="Approvals">
      <header className="lbp-head">
        <div className="lbp-title">
          <span className="lbp-eyebrow">held for you</span>
          <h2>
            Approvals <span className="lbp-count" data-testid="approvals-count">{pending?.length ?? 0}</span>
          </h2>
        </div>
        <span className="lbp-spacer" />
        <button type="button" className="lbp-button lbp-ghost" onClick={() => void load()} data-testid="approvals-refresh">
          ↻ Refresh
        </button>
      </header>
      <div className="lbp-body">
        <ErrorLine error={loadError} testId="approvals-error" />
        <p className="lbp-muted lbp-small">
          Each of these is an action an agent tried to take that could show what it read to someone outside its label.
          Nothing has been sent: it happens only if you approve it, exactly once.
        </p>
        {focus && pending !== null && !pending.some((e) => e.id === focus) && (
          <p className="lbp-muted" data-testid="approval-focus-gone">
            The action you clicked on waits no more: it was decided already{decided.some((e) => e.id === focus) ? " (below)" : ""}.
          </p>
        )}
        {pending === null ? (
          !loadError && <p className="lbp-muted">Loading…</p>
        ) : pending.length === 0 ? (
          <p className="lbp-empty" data-testid="approvals-empty">
            Nothing waiting for you.
          </p>
        ) : (
          <ul className="lbp-effects">
            {pending.map((e) => (
              <PendingEffect
                key={e.id}
                effect={e}
                busy={busy[e.id]}
                error={errors[e.id]}
                focused={e.id === focus}
                onDecide={(how) => void decide(e.id, how)}
              />
            ))}
          </ul>
        )}

        {decided.length > 0 && (
          <>
            <h3 className="lbp-section-title">Recently decided</h3>
            <ul className="lbp-effects lbp-effects-decided" data-testid="approvals-decided">
              {decided.map((e) => (
                <DecidedEffect key={e.id} effect={e} />
              ))}
            </ul>
          </>
        )}
      </div>
    </section>
  );
}
