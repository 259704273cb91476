// Views as Go sends them, for tests (imported by *.test.* only).

import type { AgentView, Workspace } from "./api";

/** A plain agent named name, never placed, with no bindings; extra overrides. */
export function agentView(name: string, extra: Partial<AgentView> = {}): AgentView {
  return {
    name,
    doc: "",
    code: "",
    codePath: "",
    instructions: "",
    model: "",
    mode: "",
    attempts: 0,
    triggers: ["manual"],
    template: null,
    instances: [],
    label: ["owner"],
    bindings: [],
    pos: null,
    state: "idle",
    ...extra,
  };
}

/** An army with nothing in it; extra overrides. */
export function workspace(extra: Partial<Workspace> = {}): Workspace {
  return { name: "t", doc: "", path: "", running: false, problems: [], agents: [], capabilities: [], channels: [], sinks: [], ...extra };
}
