import { describe, expect, it } from "vitest";
import { COLUMN, ORIGIN, hasPos, layout } from "./layout";

describe("layout", () => {
  it("puts sources left, agents in the middle, sinks right", () => {
    const at = layout(
      [
        { id: "sink", kind: "capability" },
        { id: "a", kind: "agent" },
        { id: "src", kind: "capability" },
      ],
      [
        { from: "src", to: "a" },
        { from: "a", to: "sink" },
      ],
    );
    expect(at.src.x).toBe(ORIGIN.x);
    expect(at.a.x).toBe(ORIGIN.x + COLUMN);
    expect(at.sink.x).toBe(ORIGIN.x + 2 * COLUMN);
  });

  it("places an agent right of the agents that send to it, and its sinks after it", () => {
    const at = layout(
      [
        { id: "a1", kind: "agent" },
        { id: "a2", kind: "agent" },
        { id: "src", kind: "capability" },
        { id: "hook", kind: "capability" },
      ],
      [
        { from: "src", to: "a1" },
        { from: "a1", to: "a2" },
        { from: "a2", to: "hook" },
      ],
    );
    expect(at.src.x).toBeLessThan(at.a1.x);
    expect(at.a1.x).toBeLessThan(at.a2.x);
    expect(at.a2.x).toBeLessThan(at.hook.x);
  });

  it("keeps saved positions and survives cycles", () => {
    const at = layout(
      [
        { id: "a", kind: "agent", pos: { x: 500, y: 600 } },
        { id: "b", kind: "agent" },
      ],
      [
        { from: "a", to: "b" },
        { from: "b", to: "a" },
      ],
    );
    expect(at.a).toEqual({ x: 500, y: 600 });
    expect(at.b).toBeDefined();
    expect(Number.isFinite(at.b.x)).toBe(true);
  });

  it("stacks a layer without overlaps and is deterministic", () => {
    const nodes = ["x", "y", "z"].map((id) => ({ id, kind: "agent" as const }));
    const one = layout(nodes, []);
    const two = layout([...nodes].reverse(), []);
    expect(one).toEqual(two);
    const ys = Object.values(one).map((p) => p.y).sort((a, b) => a - b);
    expect(ys[1] - ys[0]).toBeGreaterThanOrEqual(100);
    expect(ys[2] - ys[1]).toBeGreaterThanOrEqual(100);
  });

  it("puts unbound capabilities with the sinks and ignores edges to unknown nodes", () => {
    const at = layout(
      [
        { id: "a", kind: "agent" },
        { id: "lonely", kind: "capability" },
      ],
      [{ from: "ghost", to: "a" }],
    );
    expect(at.lonely.x).toBeGreaterThan(at.a.x);
  });

  it("treats null (never placed) as no position, and 0,0 as a place", () => {
    expect(hasPos(null)).toBe(false);
    expect(hasPos(undefined)).toBe(false);
    expect(hasPos({ x: Number.NaN, y: 1 })).toBe(false);
    expect(hasPos({ x: 0, y: 0 })).toBe(true);
    expect(hasPos({ x: 0, y: 5 })).toBe(true);
    const at = layout([{ id: "a", kind: "agent", pos: { x: 0, y: 0 } }, { id: "b", kind: "agent", pos: null }], []);
    expect(at.a).toEqual({ x: 0, y: 0 });
    expect(Number.isFinite(at.b.x)).toBe(true);
  });
});
