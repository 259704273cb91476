// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { fakeApi } from "./panels/testing";
import { KeepRunningToggle } from "./KeepRunningToggle";

afterEach(cleanup);

function box() {
  return screen.getByTestId("keep-running") as HTMLInputElement;
}

describe("KeepRunningToggle", () => {
  it("shows the setting and saves a change", async () => {
    const api = fakeApi({ Settings: async () => ({ keepRunning: false, mute: {} }), SetKeepRunning: async (on: boolean) => ({ keepRunning: on, mute: {} }) });
    render(<KeepRunningToggle api={api} />);
    expect(box().disabled).toBe(true);
    await waitFor(() => expect(box().disabled).toBe(false));
    expect(box().checked).toBe(false);
    fireEvent.click(box());
    await waitFor(() => expect(box().checked).toBe(true));
    expect(api.SetKeepRunning).toHaveBeenCalledWith(true);
  });

  it("says why it could not save, and keeps what is saved", async () => {
    const api = fakeApi({
      Settings: async () => ({ keepRunning: true, mute: {} }),
      SetKeepRunning: async () => {
        throw new Error("the littleboxes engine is not running; reconnecting");
      },
    });
    render(<KeepRunningToggle api={api} />);
    await waitFor(() => expect(box().checked).toBe(true));
    fireEvent.click(box());
    await waitFor(() => expect(screen.getByTestId("keep-running-error").textContent).toContain("reconnecting"));
    expect(box().checked).toBe(true);
  });
});
