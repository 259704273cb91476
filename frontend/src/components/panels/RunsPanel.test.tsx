// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RunRecord } from "../../lib/api";
import { RunsPanel } from "./index";
import { fakeApi } from "./testing";

afterEach(cleanup);

const run = (id: string, start: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  id,
  agent: "triage",
  trigger: "manual",
  entry: "run",
  start,
  end: start + 120,
  status: "ok",
  result: { n: start },
  console: [],
  ...extra,
});

const rowIds = () =>
  Array.from(document.querySelectorAll("[data-testid^='run-']"))
    .map((el) => el.getAttribute("data-testid")!)
    .filter((t) => /^run-r\d+$/.test(t));

describe("RunsPanel", () => {
  it("lists every agent's runs newest first", async () => {
    const api = fakeApi({
      Runs: async () => [run("r1", 1000), run("r3", 3000, { status: "error", error: "boom" }), run("r2", 2000, { status: "limit" })],
    });
    render(<RunsPanel api={api} />);
    await screen.findByTestId("run-r1");
    expect(api.Runs).toHaveBeenCalledWith("", 50);
    expect(rowIds()).toEqual(["run-r3", "run-r2", "run-r1"]);
    expect(screen.getByTestId("run-r3").className).toContain("lbp-run-error");
    expect(screen.getByTestId("run-r2").className).toContain("lbp-run-limit");
    expect(screen.getByTestId("run-r3").textContent).toContain("boom");
    expect(screen.getByTestId("run-r1").textContent).toContain("120 ms");
    expect(screen.getByTestId("run-r1").textContent).toContain("triage");
    expect(screen.getByTestId("run-r1").textContent).toContain("manual");
  });

  it("expands a run to its result, error and console", async () => {
    const api = fakeApi({
      Runs: async () => [
        run("r1", 1000, { status: "error", error: "TypeError: x is undefined", result: undefined, console: [{ level: "warn", text: "careful" }] }),
      ],
    });
    render(<RunsPanel api={api} agent="triage" />);
    fireEvent.click(await screen.findByTestId("run-toggle-r1"));
    const detail = screen.getByTestId("run-detail-r1");
    expect(detail.textContent).toContain("TypeError: x is undefined");
    expect(detail.textContent).toContain("careful");
    expect(api.Runs).toHaveBeenCalledWith("triage", 50);
    fireEvent.click(screen.getByTestId("run-toggle-r1"));
    expect(screen.queryByTestId("run-detail-r1")).toBeNull();
  });

  it("shows a run's attempts: number, error or ok, tokens, cached plan, code on demand", async () => {
    const api = fakeApi({
      Runs: async () => [
        run("r1", 1000, {
          attempts: [
            { code: "env.nope()", error: "TypeError: env.nope is not a function (env has: thread, ask)", usage: { prompt_tokens: 300, completion_tokens: 40, total_tokens: 340 } },
            { code: "return 1;", usage: { prompt_tokens: 400, completion_tokens: 10, total_tokens: 410 } },
          ],
        }),
        run("r2", 2000, { attempts: [{ code: "return 1;", cached: true }] }),
        run("r3", 3000),
      ],
    });
    render(<RunsPanel api={api} agent="triage" />);
    expect((await screen.findByTestId("run-attempts-r1")).textContent).toBe("2 attempts");
    expect(screen.getByTestId("run-attempts-r2").textContent).toBe("cached plan");
    expect(screen.queryByTestId("run-attempts-r3")).toBeNull();
    fireEvent.click(screen.getByTestId("run-toggle-r1"));
    const detail = screen.getByTestId("run-detail-r1");
    const first = detail.querySelector("[data-testid=attempt-1]") as HTMLElement;
    expect(first.dataset.ok).toBe("0");
    expect(first.textContent).toContain("#1");
    expect(first.textContent).toContain("env.nope is not a function");
    expect(first.textContent).toContain("340 tokens (300 in, 40 out)");
    const code = first.querySelector("[data-testid=attempt-code-1]") as HTMLDetailsElement;
    expect(code.open).toBe(false);
    expect(code.textContent).toContain("env.nope()");
    const second = detail.querySelector("[data-testid=attempt-2]") as HTMLElement;
    expect(second.dataset.ok).toBe("1");
    expect(second.textContent).toContain("✓ ok");
    fireEvent.click(screen.getByTestId("run-toggle-r2"));
    const cached = screen.getByTestId("run-detail-r2").querySelector("[data-testid=attempt-1]") as HTMLElement;
    expect(cached.textContent).toContain("cached plan");
    fireEvent.click(screen.getByTestId("run-toggle-r3"));
    expect(screen.getByTestId("run-detail-r3").querySelector("[data-testid=run-attempts]")).toBeNull();
  });

  it("reloads when the agent or the version changes, and on Refresh", async () => {
    const api = fakeApi({ Runs: async () => [] });
    const { rerender } = render(<RunsPanel api={api} agent="a" version={1} />);
    await screen.findByTestId("runs-empty");
    rerender(<RunsPanel api={api} agent="a" version={2} />);
    await waitFor(() => expect(api.Runs).toHaveBeenCalledTimes(2));
    rerender(<RunsPanel api={api} agent="b" version={2} />);
    await waitFor(() => expect(api.Runs).toHaveBeenLastCalledWith("b", 50));
    expect(api.Runs).toHaveBeenCalledTimes(3);
    vi.mocked(api.Runs).mockImplementation(async () => [run("r9", 9)]);
    await act(async () => fireEvent.click(screen.getByTestId("runs-refresh")));
    await screen.findByTestId("run-r9");
  });

  it("shows a failed load", async () => {
    const api = fakeApi({ Runs: async () => Promise.reject(new Error("store closed")) });
    render(<RunsPanel api={api} />);
    expect((await screen.findByTestId("runs-error")).textContent).toBe("store closed");
  });
});
