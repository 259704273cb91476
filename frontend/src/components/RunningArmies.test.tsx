// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type RunningApi, useRunning } from "../hooks/useRunning";
import type { RunningArmy, Workspace } from "../lib/api";
import { workspace } from "../lib/fixtures";
import { deferred, fakeApi } from "./panels/testing";
import { RunningArmies } from "./RunningArmies";

afterEach(cleanup);

const army = (name: string, extra: Partial<RunningArmy> = {}): RunningArmy => ({ name, path: `/a/${name}.yaml`, shown: false, agents: 2, ...extra });

function Harness({ api, onWorkspace }: { api: RunningApi; onWorkspace(ws: Workspace): void }) {
  return <RunningArmies running={useRunning(api, onWorkspace)} />;
}

/** An engine running armies, as Running/OpenRunning/StopArmy see them. */
function engine(names: string[], shown: string) {
  let list = names;
  let current = shown;
  return fakeApi({
    Running: async () => list.map((n) => army(n, { shown: n === current })),
    OpenRunning: async (name: string) => {
      if (!list.includes(name)) throw new Error(`army ${name} is not running`);
      current = name;
      return workspace({ name, running: true });
    },
    StopArmy: async (name: string) => {
      if (!list.includes(name)) throw new Error(`army ${name} is not running`);
      list = list.filter((n) => n !== name);
    },
  });
}

const button = () => screen.getByTestId("running-armies");

describe("RunningArmies", () => {
  it("counts the armies running and lists them with the shown one marked", async () => {
    const api = engine(["inbox", "notes"], "notes");
    render(<Harness api={api} onWorkspace={vi.fn()} />);
    await waitFor(() => expect(button().dataset.count).toBe("2"));
    expect(button().textContent).toBe("2 running");
    expect(screen.queryByTestId("running-list")).toBeNull();
    fireEvent.click(button());
    expect(screen.getByTestId("running-army-notes").dataset.shown).toBe("1");
    expect(screen.getByTestId("running-army-inbox").dataset.shown).toBe("0");
    expect(screen.getByTestId("running-army-inbox").textContent).toContain("2 agents");
    // The shown army cannot be shown again; the others can.
    expect(screen.queryByTestId("running-open-notes")).toBeNull();
    expect(screen.getByTestId("running-open-inbox")).toBeTruthy();
  });

  it("shows another army: the page gets its Workspace and the list closes", async () => {
    const api = engine(["inbox", "notes"], "notes");
    const onWorkspace = vi.fn();
    render(<Harness api={api} onWorkspace={onWorkspace} />);
    await waitFor(() => expect(button().dataset.count).toBe("2"));
    fireEvent.click(button());
    fireEvent.click(screen.getByTestId("running-open-inbox"));
    await waitFor(() => expect(onWorkspace).toHaveBeenCalledTimes(1));
    expect(api.OpenRunning).toHaveBeenCalledWith("inbox");
    expect(onWorkspace.mock.calls[0][0].name).toBe("inbox");
    await waitFor(() => expect(screen.queryByTestId("running-list")).toBeNull());
    fireEvent.click(button());
    await waitFor(() => expect(screen.getByTestId("running-army-inbox").dataset.shown).toBe("1"));
  });

  it("stops an army only once confirmed, then lists the rest", async () => {
    const api = engine(["inbox", "notes"], "notes");
    render(<Harness api={api} onWorkspace={vi.fn()} />);
    await waitFor(() => expect(button().dataset.count).toBe("2"));
    fireEvent.click(button());
    fireEvent.click(screen.getByTestId("running-stop-inbox"));
    fireEvent.click(screen.getByTestId("running-stop-cancel"));
    expect(api.StopArmy).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId("running-stop-inbox"));
    expect(screen.getByRole("group").textContent).toContain("Stop inbox?");
    fireEvent.click(screen.getByTestId("running-stop-confirm"));
    await waitFor(() => expect(screen.queryByTestId("running-army-inbox")).toBeNull());
    expect(api.StopArmy).toHaveBeenCalledWith("inbox");
    expect(button().dataset.count).toBe("1");
  });

  it("says why an action failed and keeps the list as last read", async () => {
    const api = engine(["inbox"], "inbox");
    const stop = deferred<void>();
    api.StopArmy.mockImplementation(() => stop.promise);
    render(<Harness api={api} onWorkspace={vi.fn()} />);
    await waitFor(() => expect(button().dataset.count).toBe("1"));
    fireEvent.click(button());
    fireEvent.click(screen.getByTestId("running-stop-inbox"));
    fireEvent.click(screen.getByTestId("running-stop-confirm"));
    // In flight: its buttons wait.
    await waitFor(() => expect((screen.getByTestId("running-stop-inbox") as HTMLButtonElement).disabled).toBe(true));
    stop.reject(new Error("the littleboxes engine is not running; reconnecting"));
    await waitFor(() => expect(screen.getByTestId("running-error").textContent).toContain("reconnecting"));
    expect(screen.getByTestId("running-army-inbox")).toBeTruthy();
  });

  it("says when no army runs", async () => {
    const api = engine([], "");
    render(<Harness api={api} onWorkspace={vi.fn()} />);
    await waitFor(() => expect(api.Running).toHaveBeenCalled());
    fireEvent.click(button());
    await waitFor(() => expect(screen.getByTestId("running-empty")).toBeTruthy());
    expect(button().textContent).toBe("0 running");
  });
});
