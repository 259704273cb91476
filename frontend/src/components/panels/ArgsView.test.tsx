// @vitest-environment jsdom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { ArgsView, looksLikeDiff } from "./ArgsView";

afterEach(cleanup);

const diff = "--- a/notes.md\n+++ b/notes.md\n@@ -1,1 +1,2 @@\n # Notes\n+- a new line\n";

describe("ArgsView", () => {
  it("knows a unified diff from other text", () => {
    expect(looksLikeDiff(diff)).toBe(true);
    expect(looksLikeDiff("--- just a rule\nand text")).toBe(false);
  });

  it("shows a held folder plan's files with their diffs as diffs", () => {
    const plan = { summary: "1 file changed", files: [{ path: "notes.md", before: "ab12", after: "cd34", diff }] };
    const { container } = render(<ArgsView args={[plan]} testId="args" />);
    expect(screen.getByTestId("args").textContent).toContain("notes.md");
    const added = container.querySelectorAll('[data-kind="add"]');
    expect(added.length).toBe(1);
    expect(added[0].textContent).toContain("+- a new line");
    expect(container.textContent).not.toContain("\\n");
  });
});
