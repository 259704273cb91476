// @vitest-environment jsdom
import { cleanup, render, screen } from "@testing-library/react";
import { ReactFlowProvider } from "@xyflow/react";
import { afterEach, describe, expect, it } from "vitest";
import type { CapabilityView, MethodView } from "../../lib/api";
import { CapabilityNode, MAX_NODE_METHODS } from "./CapabilityNode";

afterEach(cleanup);

function show(c: CapabilityView) {
  const props = { id: `cap:${c.name}`, data: { capability: c, kind: null, reads: false, writes: false, verdict: "" }, selected: false };
  // The node reads only data and selected; the rest of NodeProps is React Flow's.
  const Node = CapabilityNode as unknown as (p: typeof props) => React.ReactElement;
  render(
    <ReactFlowProvider>
      <Node {...props} />
    </ReactFlowProvider>,
  );
}

const cap = (kind: string, methods?: MethodView[]): CapabilityView => ({ name: "api", kind, props: {}, secrets: {}, pos: null, methods });

describe("CapabilityNode", () => {
  it.each([
    ["openapi operations", "openapi", [{ name: "listPets", role: "source" }, { name: "createPet", role: "exchange" }]],
    ["mcp tools", "mcp", [{ name: "echo", role: "exchange" }]],
  ])("lists a dynamic kind's methods with their roles: %s", (_, kind, methods) => {
    show(cap(kind, methods));
    for (const m of methods) {
      const li = screen.getByTestId(`cap-method-api-${m.name}`);
      expect(li.dataset.role).toBe(m.role);
      expect(li.textContent).toBe(m.name + m.role);
    }
    expect(screen.queryByTestId("cap-methods-more-api")).toBeNull();
  });

  it("counts the methods beyond the first few", () => {
    const methods = Array.from({ length: MAX_NODE_METHODS + 3 }, (_, i) => ({ name: `tool${i}`, role: "source" }));
    show(cap("mcp", methods));
    expect(screen.getByTestId("cap-methods-api").querySelectorAll("[data-role]").length).toBe(MAX_NODE_METHODS);
    const more = screen.getByTestId("cap-methods-more-api");
    expect(more.textContent).toBe("+3 more");
    expect(more.title).toContain(`tool${MAX_NODE_METHODS + 2} (source)`);
  });

  it.each([
    ["no methods field (an older engine)", undefined],
    ["no methods (a kind with its own)", []],
  ])("shows no list with %s", (_, methods) => {
    show(cap("http", methods));
    expect(screen.queryByTestId("cap-methods-api")).toBeNull();
  });
});
