import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { failure } from "../lib/result";
import { ResultPanel } from "./ResultPanel";

const render = (el: React.ReactElement) => renderToStaticMarkup(el);

describe("ResultPanel", () => {
  it("invites a run before the first one", () => {
    const html = render(<ResultPanel result={null} running={false} />);
    expect(html).toContain("to run the module once");
  });

  it("shows the value and the console", () => {
    const html = render(
      <ResultPanel
        result={{ ok: true, value: '{"a":[1]}', console: [{ level: "warn", text: "careful <b>" }], durationMs: 3 }}
        running={false}
      />,
    );
    expect(html).toContain("Returned in 3.00 ms");
    expect(html).toContain("{\n  &quot;a&quot;: [\n    1\n  ]\n}");
    expect(html).toContain('class="console-line level-warn"');
    expect(html).toContain("careful &lt;b&gt;");
  });

  it("shows a compile error with its position", () => {
    const html = render(
      <ResultPanel result={failure("compile", 'Unexpected ";"', { line: 3, column: 15 })} running={false} />,
    );
    expect(html).toContain("Compile error");
    expect(html).toContain("agent.ts:3:15");
    expect(html).toContain("Unexpected &quot;;&quot;");
  });

  it("shows a thrown error with its stack", () => {
    const r = failure("script", "TypeError: bad", { name: "TypeError", stack: "at run (agent.ts:4:11)" });
    const html = render(<ResultPanel result={r} running={false} />);
    expect(html).toContain("Uncaught TypeError");
    expect(html).toContain("at run (agent.ts:4:11)");
  });

  it("says when the backend is missing", () => {
    const html = render(<ResultPanel result={failure("connection", "not connected")} running={false} />);
    expect(html).toContain("Not connected");
  });

  it("marks itself busy while running", () => {
    const html = render(<ResultPanel result={null} running={true} />);
    expect(html).toContain('aria-busy="true"');
    expect(html).toContain("running…");
  });
});
