// ApprovalsInbox: every held sink call in full (what will be sent, to whom,
// why it was flagged) with Approve and Deny; below, the recent decisions.
// ApprovalsBadge: the count, for a title bar.

import { useCallback, useEffect, useRef, useState } from "react";
import type { Api, Effect } from "../../lib/api";
import { ErrorLine, Glyph, Principals } from "./parts";
import { errorText } from "../../lib/transport";
import { formatTime, prettyJSON } from "./util";

export interface ApprovalsInboxProps {
  api: Api;
  /** Called after an approval or denial went through (to refresh a badge, the runs, …). */
  onChanged?: () => void;
  /** Change it (a counter, an event id) to make the inbox reload. */
  refresh?: unknown;
  /** How many decided effects to show; 20 by default. */
  recent?: number;
}

type Busy = Record<string, "approve" | "deny">;

export function ApprovalsInbox({ api, onChanged, refresh, recent = 20 }: ApprovalsInboxProps) {
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
        {pending === null ? (
          !loadError && <p className="lbp-muted">Loading…</p>
        ) : pending.length === 0 ? (
          <p className="lbp-empty" data-testid="approvals-empty">
            Nothing waiting for you.
          </p>
        ) : (
          <ul className="lbp-effects">
            {pending.map((e) => (
              <PendingEffect key={e.id} effect={e} busy={busy[e.id]} error={errors[e.id]} onDecide={(how) => void decide(e.id, how)} />
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

function Target({ effect }: { effect: Effect }) {
  return (
    <span className="lbp-target">
      <b>{effect.agent}</b>
      <span className="lbp-arrow">→</span>
      <code>
        env.{effect.env}.{effect.method}
      </code>
      <span className="lbp-muted lbp-small">via {effect.capability}</span>
    </span>
  );
}

function PendingEffect({
  effect,
  busy,
  error,
  onDecide,
}: {
  effect: Effect;
  busy?: "approve" | "deny";
  error?: string;
  onDecide: (how: "approve" | "deny") => void;
}) {
  const approving = effect.status === "approving";
  const disabled = busy !== undefined || approving;
  return (
    <li className="lbp-effect" data-testid={`approval-${effect.id}`} aria-busy={disabled}>
      <div className="lbp-effect-head">
        <Target effect={effect} />
        <span className="lbp-spacer" />
        <span className="lbp-muted lbp-small" title={new Date(effect.created).toString()}>
          {formatTime(effect.created)}
        </span>
      </div>
      <dl className="lbp-effect-facts">
        <dt>who will see it</dt>
        <dd data-testid={`approval-audience-${effect.id}`}>
          <Principals names={effect.audience} empty="unknown" />
        </dd>
        {effect.why && (
          <>
            <dt>why it was held</dt>
            <dd className="lbp-why" data-testid={`approval-why-${effect.id}`}>
              {effect.why}
            </dd>
          </>
        )}
        <dt>what will be sent</dt>
        <dd>
          <ArgsView args={effect.args} testId={`approval-args-${effect.id}`} />
        </dd>
      </dl>
      <div className="lbp-effect-actions">
        <button
          type="button"
          className="lbp-button lbp-approve"
          data-testid={`approve-${effect.id}`}
          disabled={disabled}
          onClick={() => onDecide("approve")}
        >
          {busy === "approve" || approving ? "Approving…" : "✓ Approve and send"}
        </button>
        <button
          type="button"
          className="lbp-button lbp-deny"
          data-testid={`deny-${effect.id}`}
          disabled={disabled}
          onClick={() => onDecide("deny")}
        >
          {busy === "deny" ? "Denying…" : "✕ Deny"}
        </button>
      </div>
      <ErrorLine error={error} testId={`approval-error-${effect.id}`} />
    </li>
  );
}

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

const DECIDED_TEXT: Record<string, string> = {
  approved: "✓ approved",
  denied: "✕ denied",
  failed: "⚠ failed",
  interrupted: "⚠ interrupted",
};

const SENT_TEXT: Record<string, string> = {
  approved: "what was sent",
  failed: "what it tried to send",
  denied: "what would have been sent",
};

function DecidedEffect({ effect }: { effect: Effect }) {
  return (
    <li className="lbp-effect lbp-effect-decided" data-testid={`decided-${effect.id}`}>
      <details>
        <summary className="lbp-effect-head">
          <span className={`lbp-status lbp-decided-${effect.status}`}>{DECIDED_TEXT[effect.status] ?? effect.status}</span>
          <Target effect={effect} />
          <span className="lbp-spacer" />
          <span className="lbp-muted lbp-small">{formatTime(effect.decided ?? effect.created)}</span>
        </summary>
        <dl className="lbp-effect-facts">
          <dt>seen by</dt>
          <dd>
            <Principals names={effect.audience} empty="unknown" />
          </dd>
          {effect.why && (
            <>
              <dt>why it was held</dt>
              <dd className="lbp-why">{effect.why}</dd>
            </>
          )}
          <dt>{SENT_TEXT[effect.status] ?? "arguments"}</dt>
          <dd>
            <ArgsView args={effect.args} />
          </dd>
          {effect.result !== undefined && (
            <>
              <dt>result</dt>
              <dd>
                <pre className="lbp-pre lbp-scroll">{prettyJSON(effect.result)}</pre>
              </dd>
            </>
          )}
          {effect.error && (
            <>
              <dt>error</dt>
              <dd>
                <pre className="lbp-pre lbp-err-text">{effect.error}</pre>
              </dd>
            </>
          )}
        </dl>
      </details>
    </li>
  );
}

export interface ApprovalsBadgeProps {
  count: number;
  onClick?: () => void;
  /** Hide the badge entirely when nothing is waiting (default: show a quiet zero). */
  hideWhenZero?: boolean;
  /** The text beside the count; "Approvals" by default, "" for the count alone. */
  label?: string;
}

/** The number of effects waiting for the owner, as a button-sized badge. */
export function ApprovalsBadge({ count, onClick, hideWhenZero, label = "Approvals" }: ApprovalsBadgeProps) {
  const n = Number.isFinite(count) && count > 0 ? Math.floor(count) : 0;
  if (n === 0 && hideWhenZero) return null;
  const says = n === 0 ? "No approvals waiting" : `${n} approval${n === 1 ? "" : "s"} waiting`;
  return (
    <button
      type="button"
      className={n > 0 ? "lbp-badge lbp-badge-active" : "lbp-badge lbp-badge-zero"}
      data-testid="approvals-badge"
      data-count={n}
      aria-label={says}
      title={says}
      onClick={onClick}
    >
      <Glyph name="pause" size={13} />
      {label && <span>{label}</span>}
      <span className="lbp-badge-count">{n > 99 ? "99+" : n}</span>
    </button>
  );
}
