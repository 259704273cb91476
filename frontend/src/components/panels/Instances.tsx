// A template's instances, in the agent editor.
//
// data-testid: agent-instances, instance-NAME.

import type { AgentView } from "../../lib/api";
import { Principals } from "./parts";

/** A template's instances, each with its state and label. */
export function Instances({ agent }: { agent: AgentView }) {
  const t = agent.template!;
  return (
    <div className="lbp-instances" data-testid="agent-instances">
      <h3>
        One instance per item of <code>{t.each}</code>, bound as <code>env.{t.as}</code>{" "}
        <span className="lbp-count">{agent.instances.length}</span>
      </h3>
      {agent.instances.length === 0 ? (
        <p className="lbp-muted lbp-small">No items yet: instances appear as {t.each} enumerates them.</p>
      ) : (
        <ul>
          {agent.instances.map((i) => (
            <li key={i.name} data-testid={`instance-${i.name}`}>
              <span className={`lbp-state lbp-state-${i.state || "idle"}`}>{i.state || "idle"}</span>
              <span className="lbp-mono">{i.name}</span>
              <Principals names={i.label} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
