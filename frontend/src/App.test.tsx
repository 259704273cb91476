import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { App } from "./App";

describe("App", () => {
  it("renders the whole screen without Wails", () => {
    const html = renderToStaticMarkup(<App />);
    for (const part of ["littleboxes", "agent.ts", "Input", "Result", 'data-testid="run"', "export default {"]) {
      expect(html).toContain(part);
    }
    expect(html).toContain("connecting…");
    expect(html).toContain("valid JSON");
  });
});
