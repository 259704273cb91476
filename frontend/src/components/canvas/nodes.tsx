// The canvas' node and edge types, for React Flow: AgentNode, CapabilityNode,
// BindingEdge and ChannelEdge, one file each.
//
// data-testid (used by frontend/e2e):
//   node-agent-NAME      an agent node (data-state: idle|running|failed|ok)
//   node-mode-NAME       an instructions agent's badge (data-mode: plan|per-call)
//   node-cap-NAME        a capability node (data-kind)
//   instances-NAME       a template's "×N" toggle; instance-list-NAME its list
//   edge-ID / edge-label-ID   an edge's path / label (data-verdict: safe|approval|"")
//     ID is bind:AGENT:ENV or chan:FROM:ENV

import { AgentNode } from "./AgentNode";
import { BindingEdge } from "./BindingEdge";
import { CapabilityNode } from "./CapabilityNode";
import { ChannelEdge } from "./ChannelEdge";

export const nodeTypes = { agent: AgentNode, capability: CapabilityNode };
export const edgeTypes = { binding: BindingEdge, channel: ChannelEdge };
