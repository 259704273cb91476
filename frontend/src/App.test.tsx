import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { App } from "./App";
import { ArmyScreen } from "./components/ArmyScreen";
import { emptyArmy } from "./lib/army";
import { NOT_CONNECTED } from "./lib/backend";

describe("App", () => {
  it("opens on the Army tab without Wails", () => {
    const html = renderToStaticMarkup(<App />);
    for (const part of ["littleboxes", 'data-testid="tab-army"', 'data-testid="tab-playground"', "Loading the army"]) {
      expect(html).toContain(part);
    }
    expect(html).not.toContain('data-testid="run"');
  });

  it("renders the playground screen without Wails", () => {
    const html = renderToStaticMarkup(<App initialView="playground" />);
    for (const part of ["littleboxes", "agent.ts", "Input", "Result", 'data-testid="run"', "export default {"]) {
      expect(html).toContain(part);
    }
    expect(html).toContain("connecting…");
    expect(html).toContain("valid JSON");
  });
});

describe("ArmyScreen", () => {
  it("says not connected outside Wails", () => {
    const html = renderToStaticMarkup(<ArmyScreen army={emptyArmy(NOT_CONNECTED)} />);
    expect(html).toContain("not connected");
  });

  it("shows the template stacked, the labels and the verdicts", () => {
    const html = renderToStaticMarkup(
      <ArmyScreen
        army={{
          name: "inbox",
          doc: "Triage the inbox.",
          path: "",
          agents: [
            { name: "summarizer", template: "", item: "", label: ["owner"] },
            { name: "triage[aa]", template: "triage", item: "aa", label: ["owner", "person:a@x.org"] },
            { name: "triage[bb]", template: "triage", item: "bb", label: ["owner"] },
          ],
          sinks: [
            { agent: "summarizer", binding: "report", audience: ["owner"], verdict: "safe", why: "fine" },
            { agent: "summarizer", binding: "webhook", audience: ["public"], verdict: "approval", why: "leaks" },
          ],
          channels: [
            { from: "triage[aa]", to: "summarizer" },
            { from: "triage[bb]", to: "summarizer" },
          ],
        }}
      />,
    );
    for (const part of ["inbox", "Triage the inbox.", "triage", "×2", "summarizer", "✓ safe", "⚠ approval", "webhook"]) {
      expect(html).toContain(part);
    }
    expect(html.indexOf("webhook")).toBeLessThan(html.indexOf("report")); // approvals first
  });
});
