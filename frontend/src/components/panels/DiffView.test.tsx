// @vitest-environment jsdom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { DiffView, diffLineKind } from "./DiffView";

afterEach(cleanup);

describe("DiffView", () => {
  it("tells a unified diff's lines apart", () => {
    expect(diffLineKind("--- a/agent.ts")).toBe("file");
    expect(diffLineKind("+++ b/agent.ts")).toBe("file");
    expect(diffLineKind("@@ -1,2 +1,2 @@")).toBe("hunk");
    expect(diffLineKind("+  return 2;")).toBe("add");
    expect(diffLineKind("-  return 1;")).toBe("del");
    expect(diffLineKind(" export default {")).toBe("same");
    expect(diffLineKind("")).toBe("same");
  });

  it("shows added lines green and removed lines red, in order", () => {
    render(<DiffView diff={"@@ -1 +1 @@\n-old\n+new\n same\n"} testId="d" />);
    const rows = Array.from(screen.getByTestId("d").querySelectorAll("[data-kind]"));
    expect(rows.map((r) => r.getAttribute("data-kind"))).toEqual(["hunk", "del", "add", "same"]);
    expect(rows[1].className).toContain("lbp-diff-del");
    expect(rows[2].className).toContain("lbp-diff-add");
    expect(rows[2].textContent).toBe("+new\n");
  });

  it("says when nothing changed", () => {
    render(<DiffView diff="" testId="d" />);
    expect(screen.getByTestId("d").textContent).toContain("no change");
  });
});
