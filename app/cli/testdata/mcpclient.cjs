// A desktop MCP client's part, played by the TypeScript SDK from npm
// (@modelcontextprotocol/sdk, pinned in build/testservers): it starts the
// command in MCP_COMMAND (a JSON array) over stdio, or, with MCP_URL,
// connects to that streamable HTTP endpoint sending MCP_TOKEN as a bearer
// token; it lists the tools, calls execute with MCP_CODE, and prints
// {tools, execute} as JSON on stdout.
const path = require("node:path");
const { createRequire } = require("node:module");
const req = createRequire(path.join(process.env.TESTSERVERS, "package.json"));
const { Client } = req("@modelcontextprotocol/sdk/client/index.js");

function transport() {
  if (process.env.MCP_URL) {
    const { StreamableHTTPClientTransport } = req("@modelcontextprotocol/sdk/client/streamableHttp.js");
    return new StreamableHTTPClientTransport(new URL(process.env.MCP_URL), {
      requestInit: { headers: { Authorization: `Bearer ${process.env.MCP_TOKEN}` } },
    });
  }
  const { StdioClientTransport } = req("@modelcontextprotocol/sdk/client/stdio.js");
  const [command, ...args] = JSON.parse(process.env.MCP_COMMAND);
  return new StdioClientTransport({ command, args, env: { ...process.env }, stderr: "inherit" });
}

async function main() {
  const client = new Client({ name: "littleboxes-test", version: "0" });
  await client.connect(transport());
  const { tools } = await client.listTools();
  const execute = await client.callTool({ name: "execute", arguments: { code: process.env.MCP_CODE, input: 5 } });
  await client.close();
  process.stdout.write(JSON.stringify({ tools: tools.map((t) => t.name).sort(), execute }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
