// The e2e's MCP steps: an mcp capability wrapping the reference server
// (@modelcontextprotocol/server-everything from npm, installed in
// build/testservers, run by node over stdio) is added from the palette and
// its form; the canvas lists its tools with their roles; it is bound to a
// new agent as env.tools, and the agent, run from its Run button, calls the
// server's echo tool and shows what it answered.

import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const EVERYTHING = path.resolve(here, "../../build/testservers/node_modules/@modelcontextprotocol/server-everything/dist/index.js");

/**
 * Runs the MCP steps on the open page with e2e.mjs's helpers:
 * { page, step, until, api, assert, dropFromPalette, bindNewAgent, writeCode, closeSide }.
 */
export async function mcpSteps({ page, step, until, api, assert, dropFromPalette, bindNewAgent, writeCode, closeSide }) {
  const message = `hello over MCP ${Date.now()}`;
  let cap = "";
  let agent = "";

  await step("add an mcp capability (server-everything over stdio) from the palette", async () => {
    assert(existsSync(EVERYTHING), `${EVERYTHING} is missing: npm ci in build/testservers`);
    const before = new Set((await api("Workspace")).capabilities.map((c) => c.name));
    await dropFromPalette("palette-kind-mcp", 0.8, 0.12);
    cap = await until("the new mcp capability", async () => (await api("Workspace")).capabilities.find((c) => c.kind === "mcp" && !before.has(c.name))?.name);
    await page.getByTestId(`node-cap-${cap}`).waitFor();
    await page.getByTestId("capability-editor").waitFor();
    await page.getByTestId("prop-command").fill("node");
    for (const a of [EVERYTHING, "stdio"]) {
      await page.getByTestId("prop-args-input").fill(a);
      await page.getByTestId("prop-args-input").press("Enter");
    }
    await page.getByTestId("prop-trusted").check();
    await page.getByTestId("capability-save").click();
    await until(`${cap}'s props saved`, async () => {
      const c = (await api("Workspace")).capabilities.find((x) => x.name === cap);
      return c && c.props.command === "node" && Array.isArray(c.props.args) && c.props.args.includes("stdio");
    });
    return cap;
  });

  await step("the canvas lists the server's tools with their roles", async () => {
    await closeSide();
    const methods = await until("the tools in the view", async () => {
      const c = (await api("Workspace")).capabilities.find((x) => x.name === cap);
      return c?.methods?.length > 0 && c.methods;
    });
    assert(methods.some((m) => m.name === "echo"), `no echo among ${methods.map((m) => m.name).join(", ")}`);
    const node = page.getByTestId(`node-cap-${cap}`);
    await node.getByTestId(`cap-methods-${cap}`).waitFor();
    const shown = await node.locator("[data-role]").evaluateAll((els) => els.map((e) => [e.querySelector("code")?.textContent, e.dataset.role]));
    assert(shown.length > 0 && shown.length <= methods.length, `${shown.length} of ${methods.length} tools shown`);
    for (const [name, role] of shown) {
      const m = methods.find((x) => x.name === name);
      assert(m && m.role === role && ["source", "exchange", "sink", "pure"].includes(role), `${name} shown as ${role}, the view says ${m?.role}`);
    }
    if (shown.length < methods.length) {
      const more = await node.getByTestId(`cap-methods-more-${cap}`).textContent();
      assert(more === `+${methods.length - shown.length} more`, `more: ${more}`);
    }
    return shown.map(([n, r]) => `${n}:${r}`).join(", ") + (shown.length < methods.length ? ` +${methods.length - shown.length}` : "");
  });

  await step("bind it to a new agent as env.tools", async () => {
    agent = await bindNewAgent(cap, "tools", 0.6, 0.12);
    return `${agent} → ${cap}`;
  });

  await step("the agent calls the MCP server's echo tool and shows its answer", async () => {
    const code = `// Calls the MCP server's echo tool.
export default {
  async run(input, env) {
    const blocks = await env.tools.echo({ message: ${JSON.stringify(message)} });
    return blocks.map((b) => b.text).join("\\n");
  },
};
`;
    await writeCode(agent, code);
    await page.getByTestId("agent-run").click();
    const rec = page.locator("[data-testid=run-result][data-status]");
    await rec.waitFor();
    assert((await rec.getAttribute("data-status")) === "ok", `run: ${await rec.textContent()}`);
    const value = await page.getByTestId("run-value").textContent();
    assert(value.includes(`Echo: ${message}`), `value ${value}`);
    await closeSide();
    return value.trim();
  });
}
