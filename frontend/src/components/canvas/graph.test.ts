import { ruleTitle } from "./BindingEdge";
import { describe, expect, it } from "vitest";
import type { KindInfo, Workspace } from "../../lib/api";
import { agentView } from "../../lib/fixtures";
import {
  VERDICT_COLOUR,
  applyEvent,
  connectIntent,
  decodePaletteItem,
  deriveGraph,
  dropRequest,
  edgeColour,
  emptyLive,
  encodePaletteItem,
  envName,
  movedPositions,
  parseNodeId,
  uniqueName,
  verdict,
} from "./graph";

const kinds: KindInfo[] = [{ id: "http", doc: "", props: [], secrets: [], methods: [], declaration: "", enumerates: false }];

function ws(): Workspace {
  return {
    name: "t",
    doc: "",
    path: "",
    running: false,
    problems: [],
    agents: [
      agentView("a1", {
        bindings: [{ env: "src", capability: "src", kind: "http", role: "exchange", verdict: "safe", rule: "", why: "", audience: [] }],
      }),
      agentView("a2", {
        triggers: ["message"],
        bindings: [
          { env: "hook", capability: "hook", kind: "http", role: "exchange", verdict: "approval", rule: "confidentiality", why: "a2 can read a1's env.src", audience: ["origin:http://h"] },
          { env: "notes", capability: "notes", kind: "kv", role: "source", verdict: "", rule: "", why: "", audience: [] },
        ],
      }),
      agentView("triage", {
        template: { each: "mailbox", as: "thread" },
        instances: [
          { name: "triage[t1]", item: "t1", label: ["owner"], state: "ok" },
          { name: "triage[t2]", item: "t2", label: ["owner"], state: "idle" },
        ],
        // As Go sums it up over the instances (their sinks are below).
        bindings: [
          {
            env: "thread",
            capability: "mailbox",
            kind: "mail",
            role: "exchange",
            verdict: "approval",
            rule: "integrity",
            why: "1 of 2 instances need approval; triage[t2]: carol was copied in",
            audience: ["person:carol"],
          },
        ],
      }),
    ],
    capabilities: [
      { name: "src", kind: "http", props: {}, secrets: {}, pos: null },
      { name: "hook", kind: "http", props: {}, secrets: {}, pos: { x: 900, y: 100 } },
      { name: "notes", kind: "kv", props: {}, secrets: {}, pos: null },
      { name: "mailbox", kind: "mail", props: {}, secrets: {}, pos: null },
    ],
    channels: [{ from: "a1", env: "a2", to: "a2", label: ["owner"] }],
    sinks: [
      { agent: "a1", binding: "src", audience: [], verdict: "safe", why: "" },
      { agent: "a2", binding: "hook", audience: ["origin:http://h"], verdict: "approval", why: "a2 can read a1's env.src" },
      { agent: "triage[t1]", binding: "thread", audience: [], verdict: "safe", why: "" },
      { agent: "triage[t2]", binding: "thread", audience: ["person:carol"], verdict: "approval", why: "carol was copied in" },
    ],
  };
}

describe("deriveGraph", () => {
  it("makes a node per agent and capability and an edge per binding and channel", () => {
    const g = deriveGraph(ws(), kinds);
    expect(g.nodes.map((n) => n.id).sort()).toEqual(["agent:a1", "agent:a2", "agent:triage", "cap:hook", "cap:mailbox", "cap:notes", "cap:src"]);
    expect(g.edges.map((e) => e.id).sort()).toEqual(["bind:a1:src", "bind:a2:hook", "bind:a2:notes", "bind:triage:thread", "chan:a1:a2"]);
  });

  it("points writes agent → capability and reads capability → agent", () => {
    const g = deriveGraph(ws(), kinds);
    const hook = g.edges.find((e) => e.id === "bind:a2:hook")!;
    expect([hook.source, hook.target]).toEqual(["agent:a2", "cap:hook"]);
    const notes = g.edges.find((e) => e.id === "bind:a2:notes")!;
    expect([notes.source, notes.target]).toEqual(["cap:notes", "agent:a2"]);
    const ch = g.edges.find((e) => e.id === "chan:a1:a2")!;
    expect([ch.source, ch.target, ch.type]).toEqual(["agent:a1", "agent:a2", "channel"]);
  });

  it("colours edges by the Workspace's verdicts and carries the why", () => {
    const g = deriveGraph(ws(), kinds);
    const hook = g.edges.find((e) => e.id === "bind:a2:hook")!;
    expect(hook.data.verdict).toBe("approval");
    expect(hook.data.colour).toBe(VERDICT_COLOUR.approval);
    expect(hook.data.why).toContain("a1's env.src");
    expect(g.edges.find((e) => e.id === "bind:a1:src")!.data.colour).toBe(VERDICT_COLOUR.safe);
    expect(g.edges.find((e) => e.id === "bind:a2:notes")!.data.colour).toBe(VERDICT_COLOUR.source);
    const a2 = g.nodes.find((n) => n.id === "agent:a2")!;
    expect(a2.data.verdict).toBe("approval");
  });

  it("takes a binding's verdict, why and audience from Go, not from the sinks", () => {
    const w = ws();
    // Go's summary of the template is what is drawn, whatever the per-instance sinks say.
    const g = deriveGraph(w, kinds);
    const t = g.edges.find((e) => e.id === "bind:triage:thread")!;
    expect(t.data).toMatchObject({
      verdict: "approval",
      rule: "integrity",
      why: "1 of 2 instances need approval; triage[t2]: carol was copied in",
      audience: ["person:carol"],
      colour: VERDICT_COLOUR.approval,
    });
    w.agents[2].bindings[0] = { ...w.agents[2].bindings[0], verdict: "safe", rule: "", why: "all safe", audience: [] };
    const safe = deriveGraph(w, kinds).edges.find((e) => e.id === "bind:triage:thread")!;
    expect(safe.data).toMatchObject({ verdict: "safe", rule: "", why: "all safe", colour: VERDICT_COLOUR.safe });
    expect(deriveGraph(w, kinds).nodes.find((n) => n.id === "agent:triage")!.data.verdict).toBe("safe");
  });

  it("keeps saved positions and lays out the nodes Go sent null for", () => {
    const g = deriveGraph(ws(), kinds);
    expect(g.nodes.find((n) => n.id === "cap:hook")!.position).toEqual({ x: 900, y: 100 });
    const at = (id: string) => g.nodes.find((n) => n.id === id)!.position;
    for (const id of ["agent:a1", "agent:a2", "agent:triage", "cap:src", "cap:notes", "cap:mailbox"]) {
      expect(Number.isFinite(at(id).x) && Number.isFinite(at(id).y)).toBe(true);
    }
    expect(at("agent:a1").x).toBeLessThan(at("agent:a2").x);
    expect(at("cap:mailbox").x).toBeLessThan(at("agent:triage").x);
    // No two laid-out nodes on the same spot.
    const spots = new Set(g.nodes.map((n) => `${n.position.x},${n.position.y}`));
    expect(spots.size).toBe(g.nodes.length);
  });

  it("keeps every position Go sends, 0,0 and Go's own defaults included", () => {
    const w = ws();
    w.agents[0].pos = { x: 0, y: 0 };
    w.agents[1].pos = { x: 700, y: 40 };
    w.capabilities[0].pos = { x: 40, y: 40 };
    const g = deriveGraph(w, kinds);
    const at = (id: string) => g.nodes.find((n) => n.id === id)!.position;
    expect(at("agent:a1")).toEqual({ x: 0, y: 0 });
    expect(at("agent:a2")).toEqual({ x: 700, y: 40 });
    expect(at("cap:src")).toEqual({ x: 40, y: 40 });
  });

  it("lays out a node whose position is absent (the generated type's optional field)", () => {
    const w = ws();
    delete w.agents[0].pos;
    const p = deriveGraph(w, kinds).nodes.find((n) => n.id === "agent:a1")!.position;
    expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
  });

  it("shows live states and instance states", () => {
    let live = emptyLive();
    live = applyEvent(live, { type: "run.start", time: "", agent: "a1" }, ws(), 1);
    live = applyEvent(live, { type: "run.end", time: "", agent: "triage[t2]", detail: "error", error: "boom" }, ws(), 2);
    const g = deriveGraph(ws(), kinds, live);
    const a1 = g.nodes.find((n) => n.id === "agent:a1")!;
    expect(a1.data.state).toBe("running");
    const tr = g.nodes.find((n) => n.id === "agent:triage")!;
    expect(tr.data.state).toBe("failed");
    expect((tr.data as { instanceStates: Record<string, string> }).instanceStates).toEqual({ "triage[t1]": "ok", "triage[t2]": "failed" });
  });
});

describe("applyEvent", () => {
  it("pulses the channels of a message and ignores others", () => {
    const l = applyEvent(emptyLive(), { type: "message", time: "", agent: "a1", to: "a2" }, ws(), 42);
    expect(l.pulses).toEqual({ "chan:a1:a2": 42 });
    const same = emptyLive();
    expect(applyEvent(same, { type: "message", time: "", agent: "nobody", to: "a2" }, ws(), 1)).toBe(same);
    expect(applyEvent(same, { type: "report", time: "" }, ws(), 1)).toBe(same);
  });

  it("ends a run ok unless it failed", () => {
    const ok = applyEvent(emptyLive(), { type: "run.end", time: "", agent: "a1", detail: "ok" }, null, 0);
    expect(ok.runs.a1).toBe("ok");
    const lim = applyEvent(emptyLive(), { type: "run.end", time: "", agent: "a1", detail: "limit" }, null, 0);
    expect(lim.runs.a1).toBe("failed");
  });
});

describe("names", () => {
  it("makes unique names, leaving their validity to Go", () => {
    expect(uniqueName("agent", [])).toBe("agent");
    expect(uniqueName("agent", ["agent", "agent2"])).toBe("agent3");
    expect(uniqueName("http", ["http"])).toBe("http2");
    expect(uniqueName("My Kind", [])).toBe("My Kind");
  });

  it("suggests a node's name in camelCase as its env name", () => {
    expect(envName("owner-report")).toBe("ownerReport");
    expect(envName("http2")).toBe("http2");
    expect(envName("a--b-")).toBe("aB");
  });

  it("reads verdict strings", () => {
    expect(verdict("safe")).toBe("safe");
    expect(verdict("approval")).toBe("approval");
    expect(verdict("")).toBe("");
    expect(verdict("maybe")).toBe("");
  });

  it("parses node ids", () => {
    expect(parseNodeId("agent:a")).toEqual({ kind: "agent", name: "a" });
    expect(parseNodeId("cap:b")).toEqual({ kind: "capability", name: "b" });
    expect(parseNodeId("x")).toBeNull();
  });
});

describe("palette drops", () => {
  it("round-trips palette items and rejects others", () => {
    expect(decodePaletteItem(encodePaletteItem({ type: "agent" }))).toEqual({ type: "agent" });
    expect(decodePaletteItem(encodePaletteItem({ type: "capability", kind: "http" }))).toEqual({ type: "capability", kind: "http" });
    expect(decodePaletteItem("{")).toBeNull();
    expect(decodePaletteItem('{"type":"capability"}')).toBeNull();
    expect(decodePaletteItem(null)).toBeNull();
  });

  it("adds a uniquely named agent or capability at the drop", () => {
    const r = dropRequest({ type: "agent" }, { x: 10.4, y: 20.6 }, ws());
    expect(r.method).toBe("AddAgent");
    expect(r.spec.name).toBe("agent");
    expect(r.spec.pos).toEqual({ x: 10, y: 21 });
    const c = dropRequest({ type: "capability", kind: "http" }, { x: 0, y: 0 }, { ...ws(), capabilities: [...ws().capabilities, { name: "http", kind: "http", props: {}, secrets: {}, pos: { x: 1, y: 1 } }] });
    expect(c).toMatchObject({ method: "AddCapability", spec: { name: "http2", kind: "http", pos: { x: 0, y: 0 } } });
  });
});

describe("connectIntent", () => {
  it("binds an agent and a capability either way, with a free env name", () => {
    expect(connectIntent("agent:a1", "cap:hook", ws())).toEqual({ kind: "bind", agent: "a1", capability: "hook", env: "hook" });
    expect(connectIntent("cap:src", "agent:a1", ws())).toEqual({ kind: "bind", agent: "a1", capability: "src", env: "src2" });
  });

  it("connects two agents as a channel", () => {
    expect(connectIntent("agent:a2", "agent:a1", ws())).toEqual({ kind: "channel", from: "a2", to: "a1", env: "a1" });
    expect(connectIntent("agent:a1", "agent:a2", ws())).toMatchObject({ kind: "channel", env: "a22" });
  });

  it("refuses capability ↔ capability and self-loops", () => {
    expect(connectIntent("cap:a", "cap:b", ws()).kind).toBe("invalid");
    expect(connectIntent("agent:a1", "agent:a1", ws()).kind).toBe("invalid");
  });
});

describe("colours", () => {
  it("maps verdicts to colours", () => {
    expect(edgeColour({ kind: "binding", verdict: "approval" })).toBe(VERDICT_COLOUR.approval);
    expect(edgeColour({ kind: "binding", verdict: "safe" })).toBe(VERDICT_COLOUR.safe);
    expect(edgeColour({ kind: "binding", verdict: "", role: "source" })).toBe(VERDICT_COLOUR.source);
    expect(edgeColour({ kind: "binding", verdict: "", role: "pure" })).toBe(VERDICT_COLOUR.none);
    expect(edgeColour({ kind: "channel", verdict: "" })).toBe(VERDICT_COLOUR.channel);
  });

});

describe("movedPositions", () => {
  it("keys positions by kind and name, rounded", () => {
    expect(movedPositions({ "agent:a": { x: 1.6, y: 2.2 }, "cap:b": { x: 0, y: 5 }, junk: { x: 1, y: 1 } })).toEqual({
      "agent:a": { x: 2, y: 2 },
      "capability:b": { x: 0, y: 5 },
    });
  });
});

describe("templates", () => {
  it("draws a template's item binding as a read", () => {
    const g = deriveGraph(ws(), kinds);
    const t = g.edges.find((e) => e.id === "bind:triage:thread")!;
    expect([t.source, t.target]).toEqual(["cap:mailbox", "agent:triage"]);
  });
});

describe("ruleTitle", () => {
  it("says which rule holds a flagged sink", () => {
    expect(ruleTitle("integrity")).toContain("could steer");
    expect(ruleTitle("both")).toContain("and others could steer");
    expect(ruleTitle("confidentiality")).toContain("may not read");
  });
});
