// @vitest-environment jsdom
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { fakeApi } from "./panels/testing";
import { ImportDialog } from "./ImportDialog";

afterEach(cleanup);

describe("ImportDialog", () => {
  it("offers inbox-ai when a local model answers", async () => {
    const api = fakeApi({ Examples: async () => ["inbox", "inbox-ai"], LocalModel: async () => "http://127.0.0.1:11434/v1" });
    render(<ImportDialog api={api} onClose={() => {}} onWorkspace={() => {}} />);
    await waitFor(() => expect(screen.getByTestId("local-model").textContent).toContain("A model answers at http://127.0.0.1:11434/v1"));
    expect(screen.getByTestId("example-inbox-ai").className).toContain("primary");
    expect(screen.getByTestId("example-inbox").className).not.toContain("primary");
  });

  it("says what inbox-ai needs when no model answers", async () => {
    const api = fakeApi({ Examples: async () => ["inbox", "inbox-ai"], LocalModel: async () => "" });
    render(<ImportDialog api={api} onClose={() => {}} onWorkspace={() => {}} />);
    await waitFor(() => expect(screen.getByTestId("local-model").textContent).toContain("needs a local model"));
    expect(screen.getByTestId("example-inbox-ai").className).not.toContain("primary");
  });
});
