// The side panel beside the canvas: the editor of the selected agent or
// capability.
//
// data-testid: side-panel (data-node: the selected node's id).

import type { Api, KindInfo, Workspace } from "../lib/api";
import type { Selection } from "../hooks/useSelection";
import { AgentEditor, CapabilityEditor } from "./panels";

export interface NodePanelProps {
  api: Api;
  selection: Selection;
  kinds: KindInfo[];
  /** The army's llm capabilities (the models that may write an agent's code). */
  models: readonly string[];
  /** Changes when a run ends (an instructions agent's cached plan may be new). */
  runsVersion?: number;
  onWorkspace(ws: Workspace): void;
  onOpenApprovals(): void;
}

export function NodePanel({ api, selection, kinds, models, runsVersion, onWorkspace, onOpenApprovals }: NodePanelProps) {
  const { agent, capability } = selection;
  const close = () => selection.select(null);
  return (
    <aside className="side-panel" data-testid="side-panel" data-node={selection.id ?? ""}>
      {agent && (
        <AgentEditor
          key={`agent:${agent.name}`}
          api={api}
          agent={agent}
          kinds={kinds}
          models={models}
          runsVersion={runsVersion}
          onWorkspace={onWorkspace}
          onClose={close}
          onRenamed={(n) => selection.select(`agent:${n}`)}
          onOpenApprovals={onOpenApprovals}
        />
      )}
      {capability && (
        <CapabilityEditor
          key={`cap:${capability.name}`}
          api={api}
          capability={capability}
          kind={kinds.find((k) => k.id === capability.kind)}
          onWorkspace={onWorkspace}
          onClose={close}
          onRenamed={(n) => selection.select(`cap:${n}`)}
        />
      )}
    </aside>
  );
}
