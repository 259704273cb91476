// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Mutes } from "../lib/api";
import { fakeApi } from "./panels/testing";
import { MuteSettings } from "./MuteSettings";

afterEach(cleanup);

const box = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const KINDS = ["mute-approvals", "mute-cordons", "mute-dead-letters"];

/** An Api keeping the mutes as the Go side does: SetMute saves them whole. */
function settingsApi(initial: Mutes) {
  let saved = initial;
  return fakeApi({
    Settings: async () => ({ keepRunning: false, mute: saved }),
    SetMute: async (m: Mutes) => {
      saved = m;
      return { keepRunning: false, mute: saved };
    },
  });
}

describe("MuteSettings", () => {
  it.each([
    ["approvals", "mute-approvals", { approvals: true }],
    ["cordons", "mute-cordons", { cordons: true }],
    ["dead letters", "mute-dead-letters", { deadLetters: true }],
    ["all", "mute-all", { all: true }],
  ])("mutes %s, keeping the others as they were", async (_, id, want) => {
    const api = settingsApi({});
    render(<MuteSettings api={api} />);
    expect(box(id).disabled).toBe(true); // until the settings are read
    await waitFor(() => expect(box(id).disabled).toBe(false));
    expect(box(id).checked).toBe(false);
    fireEvent.click(box(id));
    await waitFor(() => expect(box(id).checked).toBe(true));
    expect(api.SetMute).toHaveBeenCalledWith(want);
  });

  it("shows the kinds muted, and unchangeable, while all are muted; unmuting all gives them back", async () => {
    const api = settingsApi({ all: true, cordons: true });
    render(<MuteSettings api={api} />);
    await waitFor(() => expect(box("mute-all").checked).toBe(true));
    for (const id of KINDS) {
      expect(box(id).checked).toBe(true);
      expect(box(id).disabled).toBe(true);
    }
    fireEvent.click(box("mute-all"));
    await waitFor(() => expect(box("mute-all").checked).toBe(false));
    expect(api.SetMute).toHaveBeenCalledWith({ all: false, cordons: true });
    expect(KINDS.map((id) => [id, box(id).checked, box(id).disabled])).toEqual([
      ["mute-approvals", false, false],
      ["mute-cordons", true, false],
      ["mute-dead-letters", false, false],
    ]);
  });

  it("says why it could not save, and keeps what is saved", async () => {
    const api = fakeApi({
      Settings: async () => ({ keepRunning: false, mute: {} }),
      SetMute: async () => {
        throw new Error("the littleboxes engine is not running; reconnecting");
      },
    });
    render(<MuteSettings api={api} />);
    await waitFor(() => expect(box("mute-all").disabled).toBe(false));
    fireEvent.click(box("mute-all"));
    await waitFor(() => expect(screen.getByTestId("mute-error").textContent).toContain("reconnecting"));
    expect(box("mute-all").checked).toBe(false);
  });
});
