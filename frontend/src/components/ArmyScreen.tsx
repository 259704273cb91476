import { useState } from "react";
import {
  type AgentGroup,
  type ArmySink,
  type ArmyView,
  groupAgents,
  labelUnion,
  principal,
  sortSinks,
  summarizeChannels,
  verdictCounts,
} from "../lib/army";

interface Props {
  /** The army, or null while it loads. */
  army: ArmyView | null;
}

/** A principal as a chip: "owner", or a person's address with a kind tag. */
function Chip({ p }: { p: string }) {
  const { kind, name } = principal(p);
  if (!name) return <span className={`chip chip-${kind}`}>{kind}</span>;
  return (
    <span className={`chip chip-${kind}`} title={p}>
      {kind === "person" ? <span className="person-glyph" aria-hidden="true" /> : <span className="chip-kind">{kind}</span>}
      {name}
    </span>
  );
}

function Chips({ label, empty = "no one" }: { label: string[]; empty?: string }) {
  if (label.length === 0) return <span className="chip chip-none">{empty}</span>;
  return (
    <span className="chips">
      {label.map((p) => (
        <Chip key={p} p={p} />
      ))}
    </span>
  );
}

function AgentCard({ group }: { group: AgentGroup }) {
  const [open, setOpen] = useState(false);
  if (group.kind === "agent") {
    return (
      <li className="agent-card">
        <div className="agent-head">
          <span className="agent-icon" aria-hidden="true" />
          <span className="agent-name">{group.name}</span>
        </div>
        <div className="agent-label">
          <span className="field">label</span>
          <Chips label={group.agent.label} />
        </div>
      </li>
    );
  }
  return (
    <li className={`agent-card stacked${open ? " open" : ""}`}>
      <button type="button" className="agent-head as-button" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className="agent-icon template" aria-hidden="true" />
        <span className="agent-name">{group.name}</span>
        <span className="times">×{group.instances.length}</span>
        <span className="hint">template · one per item</span>
        <span className="caret" aria-hidden="true">
          {open ? "▾" : "▸"}
        </span>
      </button>
      {!open && (
        <div className="agent-label stacked-label">
          <span className="field">labels</span>
          <Chips label={labelUnion(group.instances)} />
        </div>
      )}
      {open && (
        <ul className="instances">
          {group.instances.map((a) => (
            <li key={a.name}>
              <code className="item">{a.item}</code>
              <Chips label={a.label} />
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function SinkRow({ sink }: { sink: ArmySink }) {
  const safe = sink.verdict === "safe";
  const [open, setOpen] = useState(!safe); // an approval explains itself at once
  return (
    <li className={`sink ${safe ? "sink-safe" : "sink-approval"}${open ? " open" : ""}`}>
      <button type="button" className="sink-head" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className={`badge ${safe ? "badge-safe" : "badge-approval"}`}>{safe ? "✓ safe" : "⚠ approval"}</span>
        <span className="sink-name">
          {sink.agent}
          <span className="dot-sep">.</span>
          <span className="binding">{sink.binding}</span>
        </span>
        <span className="arrow" aria-hidden="true">
          →
        </span>
        <Chips label={sink.audience} />
      </button>
      {open && <p className="why">{sink.why}</p>}
    </li>
  );
}

/** The read-only army view: the army's agents and labels, and its sinks' verdicts. */
export function ArmyScreen({ army }: Props) {
  if (!army) {
    return (
      <main className="army-screen">
        <div className="army-message">Loading the army…</div>
      </main>
    );
  }
  if (army.error && army.agents.length === 0) {
    return (
      <main className="army-screen">
        <div className="army-message error-message-box" role="alert">
          <h2>{army.name ? `Cannot show the army ${army.name}` : "No army to show"}</h2>
          <p>{army.error}</p>
        </div>
      </main>
    );
  }
  const groups = groupAgents(army.agents);
  const counts = verdictCounts(army.sinks);
  const channels = summarizeChannels(army.channels);
  return (
    <main className="army-screen">
      <header className="army-header">
        <div className="army-title">
          <span className="eyebrow">army</span>
          <h2>{army.name}</h2>
          <span className="readonly">read-only</span>
        </div>
        {army.doc && <p className="army-doc">{army.doc}</p>}
        <div className="army-stats">
          <span className="stat">
            <b>{army.agents.length}</b> agents
          </span>
          <span className="stat">
            <b>{army.sinks.length}</b> sinks
          </span>
          <span className="stat stat-safe">
            <b>{counts.safe}</b> safe
          </span>
          <span className={`stat ${counts.approval ? "stat-approval" : ""}`}>
            <b>{counts.approval}</b> need approval
          </span>
        </div>
        {army.error && <p className="army-warning">{army.error}</p>}
      </header>
      <div className="army-columns">
        <section className="panel army-panel agents-panel" aria-label="Agents">
          <div className="panel-head">
            <h2>Agents</h2>
            <span className="panel-hint">label: who may know what the agent may have read</span>
          </div>
          <div className="army-scroll">
            <ul className="agent-list">
              {groups.map((g) => (
                <AgentCard key={`${g.kind}:${g.name}`} group={g} />
              ))}
            </ul>
            {channels.length > 0 && (
              <div className="channels">
                <h3>Channels</h3>
                <ul>
                  {channels.map((c) => (
                    <li key={`${c.from}→${c.to}`}>
                      <span className="agent-ref">{c.from}</span>
                      {c.count > 1 && <span className="times">×{c.count}</span>}
                      <span className="arrow">→</span>
                      <span className="agent-ref">{c.to}</span>
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </div>
        </section>
        <section className="panel army-panel sinks-panel" aria-label="Sinks">
          <div className="panel-head">
            <h2>Sinks</h2>
            <span className="panel-hint">where data leaves the army · click for why</span>
          </div>
          <div className="army-scroll">
            {army.sinks.length === 0 ? (
              <p className="muted small">This army sends nothing out.</p>
            ) : (
              <ul className="sink-list">
                {sortSinks(army.sinks).map((s) => (
                  <SinkRow key={`${s.agent}.${s.binding}`} sink={s} />
                ))}
              </ul>
            )}
          </div>
        </section>
      </div>
    </main>
  );
}
