// @vitest-environment jsdom
import { EditorView } from "@codemirror/view";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { AgentView, Workspace } from "../../lib/api";
import { agentView } from "../../lib/fixtures";
import { InstructionsEditor } from "./InstructionsEditor";
import { deferred, fakeApi, installDomShims } from "./testing";

beforeAll(installDomShims);
afterEach(cleanup);

const ws = { name: "army" } as Workspace;
const PLAN = "export default { async run(input, env) { return 1; } };";

const planner = (extra: Partial<AgentView> = {}) =>
  agentView("triage", { instructions: "Sort the thread.", model: "local", mode: "plan", attempts: 2, ...extra });

async function setup(overrides: Parameters<typeof fakeApi>[0] = {}, a: AgentView = planner(), convert = false) {
  const api = fakeApi({ CachedPlan: async () => "", UpdateAgent: async () => ws, ...overrides });
  const onWorkspace = vi.fn();
  const utils = render(<InstructionsEditor api={api} agent={a} models={["local", "remote"]} onWorkspace={onWorkspace} convert={convert} />);
  await act(async () => {});
  return { api, onWorkspace, ...utils };
}

const value = (id: string) => (screen.getByTestId(id) as HTMLInputElement).value;

describe("InstructionsEditor", () => {
  it("shows the instructions, model, mode and attempts", async () => {
    await setup();
    expect(value("instructions-text")).toBe("Sort the thread.");
    expect(value("instructions-model")).toBe("local");
    expect(value("instructions-mode")).toBe("plan");
    expect(value("instructions-attempts")).toBe("2");
    expect(screen.queryByTestId("instructions-save")).toBeNull(); // nothing changed
  });

  it("saves every Code Mode setting with UpdateAgent", async () => {
    const { api, onWorkspace } = await setup();
    fireEvent.change(screen.getByTestId("instructions-text"), { target: { value: "Reply politely." } });
    fireEvent.change(screen.getByTestId("instructions-model"), { target: { value: "remote" } });
    fireEvent.change(screen.getByTestId("instructions-mode"), { target: { value: "per-call" } });
    fireEvent.change(screen.getByTestId("instructions-attempts"), { target: { value: "4" } });
    fireEvent.click(screen.getByTestId("instructions-save"));
    await waitFor(() => expect(onWorkspace).toHaveBeenCalledWith(ws));
    expect(api.UpdateAgent).toHaveBeenCalledWith("triage", {
      name: "triage",
      instructions: "Reply politely.",
      model: "remote",
      mode: "per-call",
      attempts: 4,
    });
  });

  it("refuses empty instructions and a bad attempts count before asking", async () => {
    const { api } = await setup();
    fireEvent.change(screen.getByTestId("instructions-attempts"), { target: { value: "0" } });
    expect((screen.getByTestId("instructions-save") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("instructions-attempts"), { target: { value: "3" } });
    fireEvent.change(screen.getByTestId("instructions-text"), { target: { value: "  " } });
    expect((screen.getByTestId("instructions-save") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.submit(screen.getByTestId("instructions"));
    expect(api.UpdateAgent).not.toHaveBeenCalled();
  });

  it("shows Go's refusal", async () => {
    await setup({ UpdateAgent: async () => Promise.reject("agent triage: model nope is not an llm capability") });
    fireEvent.change(screen.getByTestId("instructions-text"), { target: { value: "x" } });
    fireEvent.click(screen.getByTestId("instructions-save"));
    expect((await screen.findByTestId("instructions-error")).textContent).toContain("not an llm capability");
  });

  it("a plan not written yet says so", async () => {
    const { api } = await setup();
    expect(api.CachedPlan).toHaveBeenCalledWith("triage");
    expect(screen.getByTestId("cached-plan-empty").textContent).toContain("not written yet");
  });

  it("shows the cached plan read-only, and reloads it", async () => {
    let plan = "";
    const { api } = await setup({ CachedPlan: async () => plan });
    plan = PLAN;
    fireEvent.click(screen.getByTestId("cached-plan-refresh"));
    const host = await screen.findByTestId("cached-plan");
    // The editor mounts into the host after it appears: wait for it.
    const editor = await waitFor(() => {
      const el = host.querySelector(".cm-editor");
      if (!el) throw new Error("the plan's editor is not mounted yet");
      return el as HTMLElement;
    });
    const view = EditorView.findFromDOM(editor)!;
    expect(view.state.doc.toString()).toBe(PLAN);
    expect(view.state.readOnly).toBe(true);
    expect(api.CachedPlan).toHaveBeenCalledTimes(2);
  });

  it("a CachedPlan failure is shown", async () => {
    await setup({ CachedPlan: async () => Promise.reject(new Error("no engine")) });
    expect(screen.getByTestId("cached-plan-error").textContent).toContain("no engine");
  });

  it("per-call mode has no cached plan to ask for", async () => {
    const { api } = await setup({}, planner({ mode: "per-call" }));
    expect(api.CachedPlan).not.toHaveBeenCalled();
    expect(screen.queryByTestId("cached-plan-empty")).toBeNull();
  });

  it("turns a code agent into an instructions agent", async () => {
    const held = deferred<Workspace>();
    const code = agentView("triage", { code: "export default {}" });
    const { api } = await setup({ UpdateAgent: () => held.promise }, code, true);
    expect(screen.getByTestId("instructions").dataset.convert).toBe("1");
    expect(value("instructions-text")).toBe("");
    expect(value("instructions-model")).toBe("local"); // the army's first model
    expect(value("instructions-mode")).toBe("plan");
    expect(value("instructions-attempts")).toBe("3");
    fireEvent.change(screen.getByTestId("instructions-text"), { target: { value: "Count the mail." } });
    expect(screen.getByTestId("instructions-save").textContent).toBe("Switch to instructions");
    fireEvent.click(screen.getByTestId("instructions-save"));
    expect(screen.getByTestId("instructions-save").textContent).toBe("Saving…");
    await act(async () => held.resolve(ws));
    expect(api.UpdateAgent).toHaveBeenCalledWith("triage", { name: "triage", instructions: "Count the mail.", model: "local", mode: "plan", attempts: 3 });
    expect(api.CachedPlan).not.toHaveBeenCalled();
  });
});
