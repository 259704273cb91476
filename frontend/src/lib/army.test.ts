import { describe, expect, it } from "vitest";
import {
  type ArmyAgent,
  groupAgents,
  hasArmy,
  labelUnion,
  normalizeArmy,
  parseInstance,
  principal,
  sortSinks,
  summarizeChannels,
  verdictCounts,
} from "./army";

const agent = (name: string, label: string[] = ["owner"], template = "", item = ""): ArmyAgent => ({
  name,
  template,
  item,
  label,
});

describe("parseInstance", () => {
  it("splits NAME[ITEM]", () => {
    expect(parseInstance("triage[1a2b3c]")).toEqual({ template: "triage", item: "1a2b3c" });
    expect(parseInstance("summarizer")).toBeNull();
    expect(parseInstance("odd[]")).toBeNull();
  });
});

describe("groupAgents", () => {
  it("stacks a template's instances under it, keeping first-appearance order", () => {
    const groups = groupAgents([
      agent("summarizer"),
      agent("triage[aa]"),
      agent("triage[bb]", ["owner", "person:bob@example.org"], "triage", "bb"),
      agent("zeta"),
      agent("other[1]"),
    ]);
    expect(groups.map((g) => [g.kind, g.name])).toEqual([
      ["agent", "summarizer"],
      ["template", "triage"],
      ["agent", "zeta"],
      ["template", "other"],
    ]);
    const triage = groups[1];
    expect(triage.kind === "template" && triage.instances.map((i) => [i.template, i.item])).toEqual([
      ["triage", "aa"],
      ["triage", "bb"],
    ]);
  });

  it("trusts the template field over the name", () => {
    const groups = groupAgents([agent("x", [], "tpl", "1")]);
    expect(groups).toHaveLength(1);
    expect(groups[0].kind).toBe("template");
    expect(groups[0].name).toBe("tpl");
  });

  it("handles no agents", () => {
    expect(groupAgents([])).toEqual([]);
  });
});

describe("verdicts", () => {
  const sinks = [
    { agent: "a", binding: "x", audience: [], verdict: "safe", why: "" },
    { agent: "b", binding: "y", audience: [], verdict: "approval", why: "" },
    { agent: "c", binding: "z", audience: [], verdict: "safe", why: "" },
  ];
  it("counts safe and approval", () => {
    expect(verdictCounts(sinks)).toEqual({ safe: 2, approval: 1 });
    expect(verdictCounts([])).toEqual({ safe: 0, approval: 0 });
  });
  it("puts approvals first", () => {
    expect(sortSinks(sinks).map((s) => s.agent)).toEqual(["b", "a", "c"]);
  });
});

describe("summarizeChannels", () => {
  it("folds instances of a template", () => {
    expect(
      summarizeChannels([
        { from: "triage[a]", to: "summarizer" },
        { from: "triage[b]", to: "summarizer" },
        { from: "summarizer", to: "archive" },
      ]),
    ).toEqual([
      { from: "triage", to: "summarizer", count: 2 },
      { from: "summarizer", to: "archive", count: 1 },
    ]);
  });
});

describe("principal", () => {
  it("splits kind and name", () => {
    expect(principal("person:alice@example.com")).toEqual({ kind: "person", name: "alice@example.com" });
    expect(principal("owner")).toEqual({ kind: "owner", name: "" });
  });
});

describe("normalizeArmy", () => {
  it("fills in missing fields", () => {
    expect(normalizeArmy(null).error).toBeTruthy();
    const v = normalizeArmy({ name: "inbox", agents: [{ name: "a", label: null }], sinks: null });
    expect(v).toEqual({
      name: "inbox",
      doc: "",
      path: "",
      agents: [{ name: "a", template: "", item: "", label: [] }],
      sinks: [],
      channels: [],
    });
  });
  it("detects the binding", () => {
    expect(hasArmy({})).toBe(false);
    expect(hasArmy({ go: { app: { API: { Army: () => null } } } })).toBe(true);
  });
});

describe("labelUnion", () => {
  it("lists each principal once, owner first", () => {
    expect(
      labelUnion([agent("a", ["person:b", "owner"]), agent("b", ["person:a", "person:b"]), agent("c", [])]),
    ).toEqual(["owner", "person:a", "person:b"]);
  });
});
