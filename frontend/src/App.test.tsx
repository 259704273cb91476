// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { App } from "./App";
import type { Event, Workspace } from "./lib/api";
import { type Connection, apiFromCall } from "./lib/transport";

beforeAll(() => {
  // React Flow measures with ResizeObserver, which jsdom lacks.
  const g = globalThis as unknown as { ResizeObserver?: unknown };
  g.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
});

afterEach(() => cleanup());

const WS: Workspace = {
  name: "inbox",
  doc: "",
  path: "/tmp/inbox.yaml",
  running: true,
  problems: [{ line: 3, column: 1, path: "agents.x", message: "agent x has no code" }],
  agents: [
    {
      name: "summarizer",
      doc: "",
      code: "export default {}",
      codePath: "",
      instructions: "",
      model: "",
      mode: "",
      attempts: 0,
      triggers: ["message"],
      template: null,
      instances: [],
      label: ["owner"],
      bindings: [{ env: "hook", capability: "hook", kind: "http", role: "exchange", verdict: "approval", rule: "confidentiality", why: "leaks to hooks", audience: ["origin:https://h"] }],
      pos: null, // never placed: the canvas lays it out
      state: "idle",
    },
  ],
  capabilities: [{ name: "hook", kind: "http", props: { origins: ["https://h"] }, secrets: {}, pos: { x: 700, y: 40 } }],
  channels: [],
  sinks: [{ agent: "summarizer", binding: "hook", audience: ["origin:https://h"], verdict: "approval", why: "leaks to hooks" }],
};

function fakeConnection(overrides: Record<string, (...a: unknown[]) => unknown> = {}) {
  const calls: string[] = [];
  let listener: ((e: Event) => void) | null = null;
  const replies: Record<string, (...a: unknown[]) => unknown> = {
    Workspace: () => WS,
    Kinds: () => [{ id: "http", doc: "web", props: [], secrets: [], methods: [], declaration: "", enumerates: false }],
    Version: () => "9.9.9",
    Approvals: () => [{ id: "e1", status: "pending" }, { id: "e2", status: "pending" }],
    Runs: () => [],
    Secrets: () => [],
    Running: () => [{ name: "inbox", path: "/tmp/inbox.yaml", shown: true, agents: 1 }],
    ...overrides,
  };
  const call = async (m: string, args: unknown[]) => {
    calls.push(m);
    const f = replies[m];
    if (!f) throw new Error(`no fake for ${m}`);
    return f(...args);
  };
  const c: Connection = {
    api: apiFromCall(call),
    kind: "http",
    subscribe(cb) {
      listener = cb;
      return () => (listener = null);
    },
  };
  return {
    c,
    calls,
    subscribed: () => listener !== null,
    /** Delivers e to the app; an event nobody listens to is a test that raced the app. */
    emit: (e: Event) => {
      if (!listener) throw new Error(`emit ${e.type}: the app has not subscribed yet`);
      listener(e);
    },
  };
}

describe("App", () => {
  it("renders the shell without a backend", () => {
    const html = renderToStaticMarkup(<App />);
    for (const part of ["littleboxes", 'data-testid="tab-army"', 'data-testid="tab-playground"', "Loading the army"]) {
      expect(html).toContain(part);
    }
    expect(html).not.toContain('data-testid="run"');
  });

  it("renders the playground screen without Wails", () => {
    const html = renderToStaticMarkup(<App initialView="playground" />);
    for (const part of ["littleboxes", "agent.ts", "Input", "Result", 'data-testid="run"', "export default {"]) {
      expect(html).toContain(part);
    }
    expect(html).toContain("connecting…");
  });

  it("shows the canvas, problems and the approvals count from the API", async () => {
    const f = fakeConnection();
    render(<App connection={f.c} />);
    await waitFor(() => expect(screen.getByTestId("app").dataset.ready).toBe("1"));
    expect(screen.getByTestId("army-name").textContent).toBe("inbox");
    expect(screen.getByTestId("problems").textContent).toContain("agent x has no code");
    expect(screen.getByTestId("palette-kind-http")).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId("approvals-badge").textContent).toContain("2"));
    // The canvas draws the workspace's nodes.
    await waitFor(() => expect(screen.getByTestId("node-agent-summarizer")).toBeTruthy());
    expect(screen.getByTestId("node-cap-hook").dataset.kind).toBe("http");
    expect(screen.getByTestId("node-agent-summarizer").textContent).toContain("a sink needs approval");
    expect(f.calls).toContain("Kinds");
  });

  it("draws an instructions agent with its mode and model, and offers the army's models to its editor", async () => {
    const planner = {
      ...WS.agents[0],
      name: "planner",
      code: "",
      instructions: "Sort the mail.",
      model: "local",
      mode: "plan",
      attempts: 3,
      bindings: [],
      pos: { x: 40, y: 300 },
    };
    const f = fakeConnection({
      Workspace: () => ({
        ...WS,
        agents: [...WS.agents, planner],
        capabilities: [...WS.capabilities, { name: "local", kind: "llm", props: {}, secrets: {}, pos: { x: 700, y: 300 } }],
      }),
      AgentEnv: () => "declare const env: {};",
      CheckCode: () => [],
      CachedPlan: () => "",
    });
    render(<App connection={f.c} />);
    const badge = await screen.findByTestId("node-mode-planner");
    expect(badge.dataset.mode).toBe("plan");
    expect(badge.textContent).toContain("instructions · plan");
    expect(badge.textContent).toContain("local");
    expect(screen.queryByTestId("node-mode-summarizer")).toBeNull();
    fireEvent.click(screen.getByTestId("node-agent-planner"));
    const picker = (await screen.findByTestId("describe-model")) as HTMLSelectElement;
    expect(Array.from(picker.options).map((o) => o.value)).toEqual(["local"]);
    expect((screen.getByTestId("instructions-text") as HTMLTextAreaElement).value).toBe("Sort the mail.");
  });

  it("reloads the workspace on a workspace event", async () => {
    const f = fakeConnection();
    render(<App connection={f.c} />);
    await waitFor(() => expect(screen.getByTestId("app").dataset.ready).toBe("1"));
    // The app subscribes in an effect that may run after the first paint:
    // wait for it, not for a time.
    await waitFor(() => expect(f.subscribed()).toBe(true));
    const before = f.calls.filter((m) => m === "Workspace").length;
    await act(async () => f.emit({ type: "workspace", time: "" }));
    await waitFor(() => expect(f.calls.filter((m) => m === "Workspace").length).toBe(before + 1));
  });

  it("shows the engine reconnecting, then reloads the army when it is back", async () => {
    const f = fakeConnection();
    render(<App connection={f.c} />);
    await waitFor(() => expect(screen.getByTestId("app").dataset.ready).toBe("1"));
    await waitFor(() => expect(f.subscribed()).toBe(true));
    expect(screen.queryByTestId("engine-banner")).toBeNull();
    await act(async () => f.emit({ type: "engine", detail: "reconnecting", time: "" }));
    expect(screen.getByTestId("engine-banner").textContent).toContain("reconnecting");
    const before = f.calls.filter((m) => m === "Workspace").length;
    // What an attached API sends when the engine is back.
    await act(async () => f.emit({ type: "engine", detail: "attached", time: "" }));
    await act(async () => f.emit({ type: "workspace", detail: "reconnected", time: "" }));
    expect(screen.queryByTestId("engine-banner")).toBeNull();
    await waitFor(() => expect(f.calls.filter((m) => m === "Workspace").length).toBe(before + 1));
  });

  it("opens the settings with the keep-running toggle", async () => {
    const f = fakeConnection({ Settings: () => ({ keepRunning: true, mute: {} }) });
    render(<App connection={f.c} />);
    fireEvent.click(await screen.findByTestId("open-settings"));
    const box = (await screen.findByTestId("keep-running")) as HTMLInputElement;
    await waitFor(() => expect(box.checked).toBe(true));
  });

  it("opens the approvals on the one a notification's click is about", async () => {
    const pending = (id: string) => ({ id, status: "pending", capability: "hook", method: "fetch", agent: "summarizer", args: [], audience: ["x"], created: 1 });
    const f = fakeConnection({ Approvals: (all: unknown) => (all ? [] : [pending("e1"), pending("e2")]) });
    render(<App connection={f.c} />);
    await waitFor(() => expect(screen.getByTestId("app").dataset.ready).toBe("1"));
    await waitFor(() => expect(f.subscribed()).toBe(true));
    expect(screen.queryByTestId("approvals-drawer")).toBeNull();
    await act(async () => f.emit({ type: "window.approval", id: "e2", time: "" }));
    const focused = await screen.findByTestId("approval-e2");
    expect(focused.dataset.focused).toBe("1");
    expect(screen.getByTestId("approval-e1").dataset.focused).toBeUndefined();
    expect(screen.queryByTestId("approval-focus-gone")).toBeNull();
    // One decided meanwhile: the drawer says so instead.
    await act(async () => f.emit({ type: "window.approval", id: "e9", time: "" }));
    await waitFor(() => expect(screen.getByTestId("approval-focus-gone").textContent).toContain("decided already"));
    expect(screen.getByTestId("approval-e2").dataset.focused).toBeUndefined();
  });

  it("opens the settings with the notification mutes", async () => {
    const f = fakeConnection({ Settings: () => ({ keepRunning: false, mute: { cordons: true } }) });
    render(<App connection={f.c} />);
    fireEvent.click(await screen.findByTestId("open-settings"));
    const box = (await screen.findByTestId("mute-cordons")) as HTMLInputElement;
    await waitFor(() => expect(box.checked).toBe(true));
  });

  it("lists the running armies again when one starts or stops elsewhere, and shows one picked there", async () => {
    let running = ["inbox"];
    const f = fakeConnection({
      Running: () => running.map((name) => ({ name, path: `/tmp/${name}.yaml`, shown: name === "inbox", agents: 1 })),
      OpenRunning: (name: unknown) => ({ ...WS, name: String(name), problems: [] }),
    });
    render(<App connection={f.c} />);
    await waitFor(() => expect(f.subscribed()).toBe(true));
    await waitFor(() => expect(screen.getByTestId("running-armies").dataset.count).toBe("1"));
    running = ["inbox", "notes"];
    await act(async () => f.emit({ type: "army.started", army: "notes", time: "" }));
    await waitFor(() => expect(screen.getByTestId("running-armies").dataset.count).toBe("2"));
    fireEvent.click(screen.getByTestId("running-armies"));
    fireEvent.click(await screen.findByTestId("running-open-notes"));
    await waitFor(() => expect(screen.getByTestId("army-name").textContent).toBe("notes"));
    running = ["inbox"];
    await act(async () => f.emit({ type: "army.stopped", army: "notes", time: "" }));
    await waitFor(() => expect(screen.getByTestId("running-armies").dataset.count).toBe("1"));
  });

  it("says so when the backend cannot be reached", async () => {
    const f = fakeConnection({
      Workspace: () => {
        throw new Error("forbidden");
      },
    });
    render(<App connection={f.c} />);
    await waitFor(() => expect(screen.getByTestId("load-error").textContent).toContain("forbidden"));
  });
});
