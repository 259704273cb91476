// @vitest-environment jsdom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { EngineBanner } from "./EngineBanner";

afterEach(cleanup);

describe("EngineBanner", () => {
  it("says the app is reconnecting", () => {
    render(<EngineBanner state="reconnecting" />);
    expect(screen.getByTestId("engine-banner").textContent).toContain("reconnecting…");
  });

  it("shows nothing while attached", () => {
    render(<EngineBanner state="attached" />);
    expect(screen.queryByTestId("engine-banner")).toBeNull();
  });
});
