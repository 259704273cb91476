// The contract's types are read off the generated bindings: these checks
// fail to compile (npx tsc --noEmit) if one of them degrades to any or
// stops matching what Go sends.
import { describe, expect, it } from "vitest";
import type { AgentView, Api, CapabilityView, Effect, ExecResult, KindInfo, Pos, RunRecord, TemplateView, Workspace } from "./api";
import { agentView, workspace } from "./fixtures";

describe("the contract's types", () => {
  it("are the generated ones, with nil pointers as null and JSON values as unknown", () => {
    const pos: Pos = { x: 1, y: 2 };
    // @ts-expect-error a Pos has y
    const noY: Pos = { x: 1 };
    const t: TemplateView = { each: "box", as: "thread" };
    // @ts-expect-error a template names what it enumerates
    const noEach: TemplateView = { as: "thread" };
    const never: AgentView = agentView("a", { pos: null, template: null });
    const placed: AgentView = agentView("b", { pos, template: t });
    // @ts-expect-error an agent's name is a string
    const badName: AgentView = agentView("c", { name: 3 });
    const cap: CapabilityView = { name: "box", kind: "mail", props: {}, secrets: {}, pos: null };
    const ws: Workspace = workspace({ agents: [never, placed], capabilities: [cap] });
    const run: Pick<RunRecord, "result"> = { result: { any: ["json"] } };
    const eff: Pick<Effect, "args"> = { args: [{ to: "x" }] };
    // @ts-expect-error an ExecResult has ok
    const noOk: ExecResult = { value: "", console: [], durationMs: 0 };
    // @ts-expect-error a kind has an id
    const noId: KindInfo = { doc: "", props: [], secrets: [], methods: [], declaration: "", enumerates: false };
    expect([noY, noEach, badName, noOk, noId, run, eff, ws.agents.length]).toHaveLength(8);
  });

  it("give every method its generated arguments and its result as sent", async () => {
    const api = {} as Api;
    const check = async () => {
      const w: Workspace = await api.Connect("a", "out", "b");
      const e: Effect = await api.Approve("id");
      const runs: RunRecord[] = await api.Runs("a", 10);
      // @ts-expect-error Connect takes three strings
      await api.Connect("a", "out");
      // @ts-expect-error MoveNodes takes positions
      await api.MoveNodes({ a: "here" });
      return [w, e, runs];
    };
    expect(typeof check).toBe("function");
  });
});
