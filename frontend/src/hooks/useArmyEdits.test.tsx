// @vitest-environment jsdom
import { act, cleanup, renderHook } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { GraphEdge } from "../components/canvas/graph";
import { fakeApi } from "../components/panels/testing";
import type { Workspace } from "../lib/api";
import { agentView, workspace } from "../lib/fixtures";
import { useArmyEdits } from "./useArmyEdits";

afterEach(cleanup);

const WS = workspace({
  path: "/t.yaml",
  agents: [
    agentView("a"),
    agentView("t", {
      triggers: ["item"],
      template: { each: "box", as: "thread" },
      bindings: [{ env: "thread", capability: "box", kind: "mail", role: "exchange", verdict: "", rule: "", why: "", audience: [] }],
    }),
  ],
  capabilities: [{ name: "box", kind: "mail", props: {}, secrets: {}, pos: null }],
});
const NEXT: Workspace = { ...WS, name: "next" };

function setup(methods: Parameters<typeof fakeApi>[0]) {
  const api = fakeApi(methods);
  const onWorkspace = vi.fn();
  const onError = vi.fn();
  const { result } = renderHook(() => useArmyEdits(api, WS, onWorkspace, onError));
  return { api, onWorkspace, onError, edits: () => result.current };
}

describe("useArmyEdits", () => {
  it("connects once and leaves the receiver's message trigger to Go", async () => {
    const { api, onWorkspace, edits } = setup({ Connect: async () => NEXT });
    let r: Awaited<ReturnType<ReturnType<typeof edits>["connect"]>> | undefined;
    await act(async () => void (r = await edits().connect("a", "out", "t")));
    expect(r).toEqual({ ok: true, ws: NEXT });
    expect(api.Connect).toHaveBeenCalledTimes(1);
    expect(api.Connect).toHaveBeenCalledWith("a", "out", "t");
    expect(onWorkspace).toHaveBeenCalledWith(NEXT);
  });

  it("returns Go's refusal of a connection without retrying or showing it", async () => {
    const { api, onWorkspace, onError, edits } = setup({
      Connect: async () => {
        throw new Error('env name "2x" is not a JavaScript identifier');
      },
    });
    let r: Awaited<ReturnType<ReturnType<typeof edits>["connect"]>> | undefined;
    await act(async () => void (r = await edits().connect("a", "2x", "t")));
    expect(r).toEqual({ ok: false, error: 'env name "2x" is not a JavaScript identifier' });
    expect(api.Connect).toHaveBeenCalledTimes(1);
    expect(onWorkspace).not.toHaveBeenCalled();
    expect(onError).not.toHaveBeenCalled();
  });

  it("binds with the env name as typed", async () => {
    const { api, edits } = setup({ Bind: async () => NEXT });
    await act(async () => void (await edits().bind("a", "my env", "box")));
    expect(api.Bind).toHaveBeenCalledWith("a", "my env", "box");
  });

  it("adds a palette item and shows Go's refusal of its name", async () => {
    const { api, onError, edits } = setup({
      AddCapability: async () => {
        throw new Error('capability name "Odd Kind" must be lowercase');
      },
      AddAgent: async () => NEXT,
    });
    let id: string | null = "";
    await act(async () => void (id = await edits().add({ type: "agent" }, { x: 5, y: 6 })));
    expect(id).toBe("agent:agent");
    expect(api.AddAgent).toHaveBeenCalledWith(expect.objectContaining({ name: "agent", pos: { x: 5, y: 6 } }));
    await act(async () => void (id = await edits().add({ type: "capability", kind: "Odd Kind" }, { x: 0, y: 0 })));
    expect(id).toBeNull();
    expect(onError).toHaveBeenCalledWith('adding capability Odd Kind: capability name "Odd Kind" must be lowercase');
  });

  it("removes edges, then nodes; an edge goes with its node; a template's item stays", async () => {
    const { api, onError, edits } = setup({ Unbind: async () => NEXT, DeleteAgent: async () => NEXT, Disconnect: async () => NEXT });
    const edge = (id: string, source: string, target: string, data: object) => ({ id, type: "binding", source, target, data }) as GraphEdge;
    await act(async () =>
      edits().remove(
        ["agent:a"],
        [
          edge("bind:a:x", "agent:a", "cap:box", { kind: "binding", agent: "a", env: "x" }),
          edge("bind:t:thread", "cap:box", "agent:t", { kind: "binding", agent: "t", env: "thread" }),
        ],
      ),
    );
    expect(api.Unbind).not.toHaveBeenCalled();
    expect(onError).toHaveBeenCalledWith("env.thread is t's template item: change the template in the agent's editor");
    expect(api.DeleteAgent).toHaveBeenCalledWith("a");
  });
});
