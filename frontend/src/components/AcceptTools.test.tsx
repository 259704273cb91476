// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { workspace } from "../lib/fixtures";
import type { Workspace } from "../lib/api";
import { fakeApi } from "./panels/testing";
import { Problems } from "./Problems";

afterEach(cleanup);

const changed = workspace({
  problems: [
    {
      line: 0,
      column: 0,
      path: "",
      message: 'the army is not running: engine: capability "tools": … new tool grown',
      tools: "tools",
    },
  ],
});
const other = workspace({ problems: [{ line: 3, column: 1, path: "agents.a.code", message: "no code" }] });

describe("Problems with changed MCP tools", () => {
  it("accepts the new tools of the capability the problem names, and shows the army after", async () => {
    const after = workspace({ running: true });
    const api = fakeApi({ AcceptTools: async () => after });
    const onWorkspace = vi.fn((_: Workspace) => {});
    render(<Problems ws={changed} api={api} onWorkspace={onWorkspace} />);
    const button = screen.getByTestId("accept-tools");
    expect(button.textContent).toBe("Accept the new tools of tools");
    fireEvent.click(button);
    await waitFor(() => expect(onWorkspace).toHaveBeenCalledWith(after));
    expect(api.AcceptTools).toHaveBeenCalledWith("tools");
    expect(api.AcceptTools).toHaveBeenCalledTimes(1);
  });

  it("says why when accepting fails, and keeps the army as it was", async () => {
    const api = fakeApi({
      AcceptTools: async () => {
        throw new Error("accepting the tools of tools: no tool change is pending");
      },
    });
    const onWorkspace = vi.fn((_: Workspace) => {});
    render(<Problems ws={changed} api={api} onWorkspace={onWorkspace} />);
    fireEvent.click(screen.getByTestId("accept-tools"));
    await waitFor(() => expect(screen.getByTestId("accept-tools-error").textContent).toContain("no tool change is pending"));
    expect(onWorkspace).not.toHaveBeenCalled();
  });

  it("shows the button on the problem in the opened list too", () => {
    render(<Problems ws={changed} api={fakeApi({})} onWorkspace={() => {}} />);
    fireEvent.click(screen.getByRole("button", { name: /1 problem stops this army/ }));
    const item = screen.getByTestId("problem");
    expect(item.querySelector("[data-testid=accept-tools]")).not.toBeNull();
  });

  it("offers no button for any other problem", () => {
    render(<Problems ws={other} api={fakeApi({})} onWorkspace={() => {}} />);
    expect(screen.queryByTestId("accept-tools")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: /1 problem stops this army/ }));
    expect(screen.queryByTestId("accept-tools")).toBeNull();
  });
});
