// @vitest-environment jsdom
import { EditorView } from "@codemirror/view";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { AgentView, RunRecord, Workspace } from "../../lib/api";
import { agentView } from "../../lib/fixtures";
import { AgentEditor } from "./index";
import { deferred, fakeApi, installDomShims } from "./testing";

beforeAll(installDomShims);
afterEach(cleanup);

const CODE = "export default {\n  async run(input, env) {\n    return input;\n  },\n};\n";

const agent = (extra: Partial<AgentView> = {}): AgentView =>
  agentView("triage", { doc: "Sorts the inbox.", code: CODE, pos: { x: 1, y: 2 }, ...extra });

const ws = { name: "army" } as Workspace;

const record = (extra: Partial<RunRecord> = {}): RunRecord => ({
  id: "r1",
  agent: "triage",
  trigger: "manual",
  entry: "run",
  start: 1000,
  end: 1042,
  status: "ok",
  result: { sorted: 3 },
  console: [{ level: "log", text: "hello from the agent" }],
  ...extra,
});

/** The Api of the editor setup rendered last. */
let shown: ReturnType<typeof fakeApi>;

/** Renders the editor and lets its first calls (AgentEnv) answer, inside act. */
async function setup(overrides: Parameters<typeof fakeApi>[0] = {}, a: AgentView = agent()) {
  const api = fakeApi({
    CheckCode: async () => [],
    AgentEnv: async () => "declare const env: {\n  mail: Mail;\n};",
    SetAgentCode: async () => ws,
    UpdateAgent: async () => ws,
    RunAgent: async () => record(),
    ...overrides,
  });
  shown = api;
  const onWorkspace = vi.fn();
  const onClose = vi.fn();
  const utils = render(<AgentEditor api={api} agent={a} kinds={[]} onWorkspace={onWorkspace} onClose={onClose} />);
  await act(async () => {});
  return { api, onWorkspace, onClose, ...utils };
}

/** The CodeMirror view inside a test id's host. */
const editorIn = (testId: string) => EditorView.findFromDOM(screen.getByTestId(testId).querySelector(".cm-editor") as HTMLElement)!;

/** Replaces the code, as typing would. */
const replaceCode = (text: string) =>
  act(() => {
    const v = editorIn("agent-code");
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } });
  });

/** Waits until the debounced CheckCode has been called with text and its answer is shown. */
const settle = async (text: string) => {
  await waitFor(() => expect(shown.CheckCode).toHaveBeenLastCalledWith(text));
  await waitFor(() => expect(screen.queryByTestId("agent-checking")).toBeNull());
};

/** Replaces the code and lets it be checked. */
const type = async (text: string) => {
  await replaceCode(text);
  await settle(text);
};

describe("AgentEditor", () => {
  it("shows the code in CodeMirror and the env declaration beside it", async () => {
    await setup();
    expect(screen.getByTestId("agent-editor")).toBeTruthy();
    expect(editorIn("agent-code").state.doc.toString()).toBe(CODE);
    await waitFor(() => expect(editorIn("agent-env").state.doc.toString()).toContain("mail: Mail"));
    expect(editorIn("agent-env").state.readOnly).toBe(true);
    expect(screen.getByTestId("agent-code").querySelector(".cm-content")!.getAttribute("data-language")).toBe("typescript");
  });

  it("checks the code after typing pauses and shows problems at their lines", async () => {
    const check = vi.fn(async (code: string) => (code.includes("inptu") ? [{ line: 3, column: 12, text: 'Could not resolve "inptu"' }] : []));
    await setup({ CheckCode: check });
    await waitFor(() => expect(check).toHaveBeenCalledTimes(1));
    await screen.findByTestId("agent-compiles");

    await replaceCode(CODE.replace("return input", "return inptu"));
    await replaceCode(CODE.replace("return input", "return inptu.x"));
    expect(check).toHaveBeenCalledTimes(1); // debounced
    await waitFor(() => expect(check).toHaveBeenCalledTimes(2));
    expect(check).toHaveBeenLastCalledWith(CODE.replace("return input", "return inptu.x"));

    const item = await screen.findByTestId("agent-diagnostic");
    expect(item.textContent).toContain("3:12");
    expect(item.textContent).toContain('Could not resolve "inptu"');
    // The same problem marked in the editor, over the word.
    const marked = screen.getByTestId("agent-code").querySelector(".cm-lintRange-error");
    expect(marked?.textContent).toBe("inptu");
  });

  it("saves with the button and with Ctrl+S", async () => {
    const { api, onWorkspace } = await setup();
    expect((screen.getByTestId("agent-save") as HTMLButtonElement).disabled).toBe(true);
    await type(CODE.replace("input;", "input ?? 1;"));
    expect(screen.getByTestId("agent-dirty")).toBeTruthy();
    await act(async () => fireEvent.click(screen.getByTestId("agent-save")));
    expect(api.SetAgentCode).toHaveBeenCalledWith("triage", CODE.replace("input;", "input ?? 1;"));
    expect(onWorkspace).toHaveBeenCalledWith(ws);

    await type(CODE.replace("input;", "input ?? 2;"));
    const content = screen.getByTestId("agent-code").querySelector(".cm-content")!;
    await act(async () => fireEvent.keyDown(content, { key: "s", ctrlKey: true }));
    expect(api.SetAgentCode).toHaveBeenLastCalledWith("triage", CODE.replace("input;", "input ?? 2;"));
    expect(api.SetAgentCode).toHaveBeenCalledTimes(2);

    // Ctrl+S outside the editor (in the doc field) saves too.
    await type(CODE.replace("input;", "input ?? 3;"));
    await act(async () => fireEvent.keyDown(screen.getByTestId("agent-doc"), { key: "s", ctrlKey: true }));
    expect(api.SetAgentCode).toHaveBeenCalledTimes(3);
  });

  it("shows a refused save", async () => {
    await setup({ SetAgentCode: async () => Promise.reject("agent triage: compile error") });
    await type("nope(");
    await act(async () => fireEvent.click(screen.getByTestId("agent-save")));
    expect(screen.getByTestId("agent-save-error").textContent).toBe("agent triage: compile error");
  });

  it("validates the run input before sending it", async () => {
    const { api } = await setup();
    const input = screen.getByTestId("agent-run-input");
    const run = screen.getByTestId("agent-run") as HTMLButtonElement;
    fireEvent.change(input, { target: { value: '{"to": "bob",}' } });
    expect(run.disabled).toBe(true);
    expect(screen.getByTestId("agent-run-input-error").textContent).toMatch(/line 1, column 14/);
    fireEvent.click(run);
    expect(api.RunAgent).not.toHaveBeenCalled();

    fireEvent.change(input, { target: { value: '{"to": "bob"}' } });
    expect(run.disabled).toBe(false);
    expect(screen.getByTestId("agent-run-input-ok")).toBeTruthy();
    await act(async () => fireEvent.click(run));
    expect(api.RunAgent).toHaveBeenCalledWith("triage", '{"to": "bob"}');
    const result = screen.getByTestId("run-result");
    expect(result.dataset.status).toBe("ok");
    expect(screen.getByTestId("run-value").textContent).toBe('{\n  "sorted": 3\n}');
    expect(screen.getByTestId("run-console").textContent).toContain("hello from the agent");

    fireEvent.change(input, { target: { value: "" } });
    await act(async () => fireEvent.click(run));
    expect(api.RunAgent).toHaveBeenLastCalledWith("triage", "null");
  });

  it("disables Run while running and shows errors and held effects", async () => {
    const held = deferred<RunRecord>();
    const { api } = await setup({ RunAgent: () => held.promise });
    const run = screen.getByTestId("agent-run") as HTMLButtonElement;
    fireEvent.click(run);
    await waitFor(() => expect(run.disabled).toBe(true));
    fireEvent.click(run);
    expect(api.RunAgent).toHaveBeenCalledTimes(1);
    await act(async () =>
      held.resolve(record({ status: "error", error: "Error: no mail", result: { sent: { status: "pending_approval", id: "e7" } } })),
    );
    expect(screen.getByTestId("run-result").dataset.status).toBe("error");
    expect(screen.getByTestId("run-error").textContent).toBe("Error: no mail");
    expect(screen.getByTestId("run-pending-approval").textContent).toMatch(/held for your approval — see Approvals/i);
  });

  it("saves unsaved code before running it", async () => {
    const { api } = await setup();
    await type("export default { run() { return 2 } }");
    expect(screen.getByTestId("agent-run").textContent).toContain("Save & run");
    await act(async () => fireEvent.click(screen.getByTestId("agent-run")));
    expect(api.SetAgentCode).toHaveBeenCalledWith("triage", "export default { run() { return 2 } }");
    expect(api.RunAgent).toHaveBeenCalled();
  });

  it("updates name, doc and triggers with UpdateAgent", async () => {
    const { api, onWorkspace } = await setup();
    fireEvent.change(screen.getByTestId("agent-name"), { target: { value: "sorter" } });
    fireEvent.change(screen.getByTestId("agent-doc"), { target: { value: "Sorts mail." } });
    const trig = screen.getByTestId("agent-triggers-input");
    fireEvent.change(trig, { target: { value: "every 1h" } });
    fireEvent.keyDown(trig, { key: "Enter" });
    await act(async () => fireEvent.click(screen.getByTestId("agent-settings-save")));
    expect(api.UpdateAgent).toHaveBeenCalledWith("triage", {
      name: "sorter",
      doc: "Sorts mail.",
      code: CODE,
      triggers: ["manual", "every 1h"],
    });
    expect(onWorkspace).toHaveBeenCalledWith(ws);
  });

  it("sends a name as typed and shows Go's refusal", async () => {
    const refusal = 'agent name "Not OK!" must be lowercase letters, digits and -';
    const { api, onWorkspace } = await setup({
      UpdateAgent: async () => {
        throw new Error(refusal);
      },
    });
    fireEvent.change(screen.getByTestId("agent-name"), { target: { value: "Not OK!" } });
    await act(async () => fireEvent.click(screen.getByTestId("agent-settings-save")));
    expect(api.UpdateAgent).toHaveBeenCalledWith("triage", expect.objectContaining({ name: "Not OK!" }));
    expect(screen.getByTestId("agent-settings-error").textContent).toContain(refusal);
    expect(onWorkspace).not.toHaveBeenCalled();
  });

  it("lists a template's instances with their state and label", async () => {
    await setup(
      {},
      agent({
        template: { each: "inbox", as: "thread" },
        instances: [
          { name: "triage[t1]", item: "t1", label: ["owner", "alice@example.org"], state: "ok" },
          { name: "triage[t2]", item: "t2", label: ["owner"], state: "failed" },
        ],
      }),
    );
    expect(screen.getByTestId("agent-instances").textContent).toContain("env.thread");
    const t1 = screen.getByTestId("instance-triage[t1]");
    expect(t1.textContent).toContain("ok");
    expect(t1.textContent).toContain("alice@example.org");
    expect(screen.getByTestId("instance-triage[t2]").textContent).toContain("failed");
  });

  it("an instructions agent shows its instructions, model, mode and cached plan instead of code", async () => {
    const api = (await setup({ CachedPlan: async () => "" }, agent({ code: "", instructions: "Sort the thread.", model: "local", mode: "plan", attempts: 3 }))).api;
    expect(screen.getByTestId("agent-editor").textContent).toContain("instructions · plan · local");
    expect((screen.getByTestId("instructions-text") as HTMLTextAreaElement).value).toBe("Sort the thread.");
    expect((screen.getByTestId("instructions-mode") as HTMLSelectElement).value).toBe("plan");
    expect(screen.queryByTestId("agent-code")).toBeNull();
    expect(screen.getByTestId("agent-env")).toBeTruthy();
    expect(screen.getByTestId("cached-plan-empty")).toBeTruthy();
    expect(api.CachedPlan).toHaveBeenCalledWith("triage");
    expect(screen.queryByTestId("to-instructions")).toBeNull();
    expect(screen.getByTestId("describe")).toBeTruthy();
  });

  it("a code agent offers to become an instructions agent", async () => {
    await setup();
    expect(screen.getByTestId("to-instructions").querySelector("[data-testid=instructions]")!.getAttribute("data-convert")).toBe("1");
  });

  it("settings of an instructions agent send no code (which would make it a code agent)", async () => {
    const { api } = await setup({ CachedPlan: async () => "" }, agent({ code: "", instructions: "Sort.", model: "local", mode: "per-call" }));
    fireEvent.change(screen.getByTestId("agent-doc"), { target: { value: "Sorts." } });
    await act(async () => fireEvent.click(screen.getByTestId("agent-settings-save")));
    expect(api.UpdateAgent).toHaveBeenCalledWith("triage", { name: "triage", doc: "Sorts.", triggers: ["manual"] });
  });

  it("Describe, then Accept: the editor shows the model's code, saved", async () => {
    const NEW = "export default {\n  async run() {\n    return 2;\n  },\n};\n";
    const { api, rerender, onWorkspace } = await setup({
      Describe: async () => ({ agent: "triage", model: "m", code: NEW, diff: "+x\n", value: 2, calls: [], attempts: [{ code: NEW }] }),
    });
    fireEvent.change(screen.getByTestId("describe-text"), { target: { value: "return 2" } });
    fireEvent.click(screen.getByTestId("describe-write"));
    await screen.findByTestId("describe-result");
    await act(async () => fireEvent.click(screen.getByTestId("describe-accept")));
    expect(api.UpdateAgent).toHaveBeenCalledWith("triage", { name: "triage", code: NEW });
    expect(onWorkspace).toHaveBeenCalledWith(ws);
    expect(editorIn("agent-code").state.doc.toString()).toBe(NEW);
    rerender(<AgentEditor api={api} agent={agent({ code: NEW })} kinds={[]} onWorkspace={onWorkspace} onClose={() => {}} />);
    expect(editorIn("agent-code").state.doc.toString()).toBe(NEW);
    expect(screen.queryByTestId("agent-dirty")).toBeNull();
  });

  it("closes", async () => {
    const { onClose } = await setup();
    fireEvent.click(screen.getByTestId("agent-close"));
    expect(onClose).toHaveBeenCalled();
  });
});
