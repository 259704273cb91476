// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AgentView, Authored, Workspace } from "../../lib/api";
import { agentView } from "../../lib/fixtures";
import { DescribeBox, wouldCall } from "./DescribeBox";
import { deferred, fakeApi } from "./testing";

afterEach(cleanup);

const ws = { name: "army" } as Workspace;
const NEW = 'export default {\n  async run(input, env) {\n    await env.notes.put("k", input.v);\n    return "ok";\n  },\n};\n';

const authored = (extra: Partial<Authored> = {}): Authored => ({
  agent: "writer",
  model: "local",
  code: NEW,
  diff: "--- a/agent.ts\n+++ b/agent.ts\n@@ -1,3 +1,3 @@\n export default {\n-  async run() { return null; },\n+  async run(input, env) { await env.notes.put(\"k\", input.v); return \"ok\"; },\n };\n",
  value: "ok",
  console: [{ level: "log", text: "dry" }],
  calls: [{ env: "notes", method: "put", args: ["k", 1] }],
  attempts: [
    { code: "export default {", error: "compile: Unexpected end of file", usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 } },
    { code: NEW, usage: { prompt_tokens: 150, completion_tokens: 30, total_tokens: 180 } },
  ],
  ...extra,
});

function setup(overrides: Parameters<typeof fakeApi>[0] = {}, a: AgentView = agentView("writer", { code: "export default {}" }), models = ["local", "remote"]) {
  const api = fakeApi({ Describe: async () => authored(), UpdateAgent: async () => ws, ...overrides });
  const onWorkspace = vi.fn();
  const onAccepted = vi.fn();
  render(<DescribeBox api={api} agent={a} models={models} onWorkspace={onWorkspace} onAccepted={onAccepted} />);
  return { api, onWorkspace, onAccepted };
}

const describeIt = (text: string, input = "") => {
  fireEvent.change(screen.getByTestId("describe-text"), { target: { value: text } });
  if (input) fireEvent.change(screen.getByTestId("describe-input"), { target: { value: input } });
};

describe("DescribeBox", () => {
  it("asks Describe with the words, the picked model and the sample input, showing progress", async () => {
    const held = deferred<Authored>();
    const { api } = setup({ Describe: () => held.promise });
    expect((screen.getByTestId("describe-write") as HTMLButtonElement).disabled).toBe(true); // nothing said yet
    describeIt("keep v under k", '{"v": 1}');
    fireEvent.change(screen.getByTestId("describe-model"), { target: { value: "remote" } });
    fireEvent.click(screen.getByTestId("describe-write"));
    expect(api.Describe).toHaveBeenCalledWith("writer", "keep v under k", "remote", '{"v": 1}');
    expect(screen.getByTestId("describe-writing")).toBeTruthy();
    expect(screen.getByTestId("describe-write").textContent).toBe("Writing…");
    await act(async () => held.resolve(authored()));
    expect(screen.queryByTestId("describe-writing")).toBeNull();
    expect(screen.getByTestId("describe-result")).toBeTruthy();
  });

  it("defaults the model to the agent's and sends an empty sample input as empty", async () => {
    const { api } = setup({}, agentView("writer", { mode: "plan", model: "remote", instructions: "x" }));
    expect((screen.getByTestId("describe-model") as HTMLSelectElement).value).toBe("remote");
    describeIt("do it");
    fireEvent.click(screen.getByTestId("describe-write"));
    await screen.findByTestId("describe-result");
    expect(api.Describe).toHaveBeenCalledWith("writer", "do it", "remote", "");
  });

  it("refuses a sample input that is not JSON before asking", () => {
    const { api } = setup();
    describeIt("do it", "{nope");
    expect(screen.getByTestId("describe-input-error").textContent).toMatch(/\d+:\d+/);
    expect((screen.getByTestId("describe-write") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId("describe-write"));
    expect(api.Describe).not.toHaveBeenCalled();
  });

  it("shows each attempt, the calls it would make, the dry run and the diff", async () => {
    setup();
    describeIt("keep v under k");
    fireEvent.click(screen.getByTestId("describe-write"));
    await screen.findByTestId("describe-result");
    expect(screen.getByTestId("attempt-1").dataset.ok).toBe("0");
    expect(screen.getByTestId("attempt-error-1").textContent).toContain("Unexpected end of file");
    expect(screen.getByTestId("attempt-2").dataset.ok).toBe("1");
    expect(screen.getByTestId("attempt-2").textContent).toContain("180 tokens");
    expect((screen.getByTestId("attempt-code-1") as HTMLDetailsElement).open).toBe(false);
    expect(screen.getByTestId("describe-call").textContent).toBe('would call env.notes.put("k", 1)');
    expect(screen.getByTestId("describe-value").textContent).toBe('"ok"');
    expect(screen.getByTestId("describe-console").textContent).toContain("dry");
    const diff = screen.getByTestId("describe-diff");
    expect(diff.querySelector("[data-kind=add]")!.textContent).toContain("env.notes.put");
    expect(diff.querySelector("[data-kind=add]")!.className).toContain("lbp-diff-add");
    expect(diff.querySelector("[data-kind=del]")!.textContent).toContain("return null");
    expect(diff.querySelector("[data-kind=hunk]")!.textContent).toMatch(/^@@/);
  });

  it("says when the code would write nothing", async () => {
    setup({ Describe: async () => authored({ calls: [] }) });
    describeIt("read only");
    fireEvent.click(screen.getByTestId("describe-write"));
    expect((await screen.findByTestId("describe-no-calls")).textContent).toContain("no writing call");
  });

  it("Accept saves the code with UpdateAgent and hands it on; the result goes away", async () => {
    const { api, onWorkspace, onAccepted } = setup();
    describeIt("keep v under k");
    fireEvent.click(screen.getByTestId("describe-write"));
    await screen.findByTestId("describe-result");
    fireEvent.click(screen.getByTestId("describe-accept"));
    await waitFor(() => expect(onAccepted).toHaveBeenCalledWith(NEW));
    expect(api.UpdateAgent).toHaveBeenCalledWith("writer", { name: "writer", code: NEW });
    expect(onWorkspace).toHaveBeenCalledWith(ws);
    expect(screen.queryByTestId("describe-result")).toBeNull();
  });

  it("a refused Accept keeps the result and says why", async () => {
    const { onAccepted } = setup({ UpdateAgent: async () => Promise.reject(new Error("agent writer: bad")) });
    describeIt("x");
    fireEvent.click(screen.getByTestId("describe-write"));
    await screen.findByTestId("describe-result");
    fireEvent.click(screen.getByTestId("describe-accept"));
    expect((await screen.findByTestId("describe-error")).textContent).toContain("agent writer: bad");
    expect(screen.getByTestId("describe-result")).toBeTruthy();
    expect(onAccepted).not.toHaveBeenCalled();
  });

  it("Discard forgets the result without saving", async () => {
    const { api } = setup();
    describeIt("x");
    fireEvent.click(screen.getByTestId("describe-write"));
    await screen.findByTestId("describe-result");
    fireEvent.click(screen.getByTestId("describe-discard"));
    expect(screen.queryByTestId("describe-result")).toBeNull();
    expect(api.UpdateAgent).not.toHaveBeenCalled();
  });

  it("when every attempt failed, shows the attempts with the error and nothing to accept", async () => {
    const failed = authored({
      code: "",
      diff: "",
      calls: [],
      value: null,
      error: "engine: agent writer: no attempt passed: compile: Unexpected end of file (after 2 attempts)",
      attempts: [
        { code: "export default {", error: "compile: Unexpected end of file" },
        { code: "export default {{", error: "compile: Unexpected end of file again" },
      ],
    });
    const { api } = setup({ Describe: async () => failed });
    describeIt("x");
    fireEvent.click(screen.getByTestId("describe-write"));
    expect((await screen.findByTestId("describe-error")).textContent).toContain("(after 2 attempts)");
    expect(screen.getByTestId("attempt-error-1").textContent).toContain("Unexpected end of file");
    expect(screen.getByTestId("attempt-error-2").textContent).toContain("again");
    expect(screen.getByTestId("describe-failed")).toBeTruthy();
    expect(screen.queryByTestId("describe-accept")).toBeNull();
    expect(screen.queryByTestId("describe-diff")).toBeNull();
    fireEvent.click(screen.getByTestId("describe-discard"));
    expect(screen.queryByTestId("describe-result")).toBeNull();
    expect(screen.queryByTestId("describe-error")).toBeNull();
    expect(api.UpdateAgent).not.toHaveBeenCalled();
  });

  it("shows Go's error, e.g. an army with no llm capability", async () => {
    setup({ Describe: async () => Promise.reject("agent writer: no model to write code: the army has no llm capability") }, undefined, []);
    expect((screen.getByTestId("describe-model") as HTMLSelectElement).value).toBe("");
    expect(screen.getByTestId("describe-model").textContent).toContain("no llm capability");
    describeIt("x");
    fireEvent.click(screen.getByTestId("describe-write"));
    expect((await screen.findByTestId("describe-error")).textContent).toContain("the army has no llm capability");
    expect(screen.queryByTestId("describe-result")).toBeNull();
  });

  it("asks once while a Write is in flight", async () => {
    const held = deferred<Authored>();
    const { api } = setup({ Describe: () => held.promise });
    describeIt("x");
    fireEvent.click(screen.getByTestId("describe-write"));
    fireEvent.click(screen.getByTestId("describe-write"));
    await act(async () => {});
    expect(api.Describe).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId("describe-writing")).toBeTruthy();
  });

  it("wouldCall cuts long arguments", () => {
    const line = wouldCall({ env: "thread", method: "reply", args: ["x".repeat(500)] });
    expect(line.startsWith('would call env.thread.reply("xxx')).toBe(true);
    expect(line.endsWith("…)")).toBe(true);
    expect(line.length).toBeLessThan(300);
  });
});
