// The e2e's OpenAPI steps: an army of its own is imported; a small pet-store
// API is served on loopback (node) and its OpenAPI document written beside
// the army file; an openapi capability is added from the palette and given
// its spec, origin and operations (by operationId or as METHOD /path, one
// left out) in its form; the canvas lists the allowed operations with their
// roles (a GET without arguments a source; a GET with a query, whose
// arguments reach the server, and a POST exchanges); the capability is bound
// to a new agent, which, run from its Run button, calls two operations and
// shows what the server answered, and the server saw those two requests.

import { writeFileSync } from "node:fs";

// The document: four operations, of which the form allows three.
const SPEC = `openapi: 3.0.3
info: {title: Pets, version: "1"}
paths:
  /status:
    get:
      operationId: getStatus
      summary: Says whether the store is up.
      responses:
        "200":
          description: the status
          content:
            application/json:
              schema: {type: object, required: [up], properties: {up: {type: boolean}}}
  /pets:
    get:
      operationId: listPets
      summary: Lists the pets.
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1}}
      responses:
        "200":
          description: the pets
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
    post:
      operationId: createPet
      summary: Adds a pet.
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses:
        "201":
          description: the pet made
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
  /pets/{petId}:
    get:
      operationId: getPet
      summary: Reads one pet.
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: the pet
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: string}
        name: {type: string}
`;

/**
 * Runs the OpenAPI steps on the open page with e2e.mjs's helpers:
 * { page, step, until, api, assert, server, dropFromPalette, bindNewAgent, writeCode, closeSide, shots, path }.
 */
export async function openapiSteps({ page, step, until, api, assert, server, dropFromPalette, bindNewAgent, writeCode, closeSide, shots, path }) {
  const PETS = [
    { id: "1", name: `rex-${Date.now()}` },
    { id: "2", name: "tom" },
    { id: "3", name: "kit" },
  ];
  const hits = [];
  const api1 = await server((req, res) => {
    const u = new URL(req.url, "http://x");
    hits.push(`${req.method} ${u.pathname}${u.search}`);
    res.setHeader("Content-Type", "application/json");
    if (req.method === "GET" && u.pathname === "/status") return res.end(JSON.stringify({ up: true }));
    if (req.method === "GET" && u.pathname === "/pets") {
      const limit = Number(u.searchParams.get("limit") ?? PETS.length);
      return res.end(JSON.stringify(PETS.slice(0, limit)));
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ error: `no ${req.method} ${u.pathname}` }));
  });
  const ORIGIN = `http://127.0.0.1:${api1.address().port}`;
  let cap = "";
  let agent = "";

  await step("import an army for the OpenAPI steps, its document beside it", async () => {
    await closeSide();
    await page.keyboard.press("Escape");
    await page.getByTestId("open-import").click();
    await page.getByTestId("import-text").fill("name: e2e-openapi\ndoc: an openapi capability, added from the palette\n");
    await page.getByTestId("import-ok").click();
    await until("the e2e-openapi army", async () => (await page.getByTestId("army-name").textContent()) === "e2e-openapi");
    await until("an empty canvas", async () => (await page.locator(".react-flow__node").count()) === 0);
    const file = path.join(path.dirname((await api("Workspace")).path), "pets.yaml");
    writeFileSync(file, SPEC);
    return file;
  });

  await step("add an openapi capability from the palette: spec, origin and operations in its form", async () => {
    await dropFromPalette("palette-kind-openapi", 0.75, 0.2);
    cap = await until("the new openapi capability", async () => (await api("Workspace")).capabilities.find((c) => c.kind === "openapi")?.name);
    await page.getByTestId(`node-cap-${cap}`).waitFor();
    await page.getByTestId("capability-editor").waitFor();
    await page.getByTestId("prop-spec").fill("./pets.yaml");
    await page.getByTestId("prop-origin").fill(ORIGIN);
    for (const op of ["GET /status", "listPets", "POST /pets"]) {
      await page.getByTestId("prop-operations-input").fill(op);
      await page.getByTestId("prop-operations-input").press("Enter");
    }
    await page.getByTestId("prop-allow_private_network").check();
    await page.getByTestId("capability-save").click();
    await until(`${cap}'s props saved and the army running`, async () => {
      const ws = await api("Workspace");
      const c = ws.capabilities.find((x) => x.name === cap);
      return c && c.props.spec === "./pets.yaml" && c.props.origin === ORIGIN && c.props.operations?.length === 3 && ws.running;
    });
    return `${cap} → ${ORIGIN}`;
  });

  await step("the canvas lists the allowed operations with their roles", async () => {
    await closeSide();
    const node = page.getByTestId(`node-cap-${cap}`);
    await node.getByTestId(`cap-methods-${cap}`).waitFor();
    const want = { getStatus: "source", listPets: "exchange", createPet: "exchange" };
    for (const [name, role] of Object.entries(want)) {
      const m = node.getByTestId(`cap-method-${cap}-${name}`);
      assert((await m.getAttribute("data-role")) === role, `${name}: role ${await m.getAttribute("data-role")}, want ${role}`);
      assert((await m.textContent()).includes(role), `${name} shows ${await m.textContent()}`);
    }
    const shown = await node.locator("[data-role]").evaluateAll((els) => els.map((e) => `${e.dataset.testid?.split("-").pop()}:${e.dataset.role}`));
    assert(shown.length === 3, `methods shown: ${shown.join(", ")} (getPet is not allowed)`);
    const ws = await api("Workspace");
    const methods = ws.capabilities.find((c) => c.name === cap).methods;
    assert(JSON.stringify(methods.map((m) => `${m.name}:${m.role}`).sort()) === JSON.stringify(["createPet:exchange", "getStatus:source", "listPets:exchange"]), JSON.stringify(methods));
    return shown.join(", ");
  });

  await step("bind it to a new agent as env.pets", async () => {
    agent = await bindNewAgent(cap, "pets", 0.3, 0.2);
    const b = (await api("Workspace")).agents.find((a) => a.name === agent).bindings.find((x) => x.env === "pets");
    assert(b && b.kind === "openapi" && b.role === "exchange", `binding ${JSON.stringify(b)}`);
    await page.screenshot({ path: path.join(shots, "openapi.png") });
    return `${agent} → ${cap} (${b.role})`;
  });

  await step("the agent calls getStatus and listPets, and shows what the server answered", async () => {
    const code = `// Asks the store whether it is up, and lists its first two pets.
export default {
  async run(input, env) {
    const status = await env.pets.getStatus();
    const pets = await env.pets.listPets({ limit: 2 });
    return (status.up ? "up: " : "down: ") + pets.map((p) => p.name).join(",");
  },
};
`;
    await writeCode(agent, code);
    const before = hits.length;
    await page.getByTestId("agent-run").click();
    const rec = page.locator("[data-testid=run-result][data-status]");
    await rec.waitFor();
    assert((await rec.getAttribute("data-status")) === "ok", `run: ${await rec.textContent()}`);
    const value = await page.getByTestId("run-value").textContent();
    assert(value.includes(`up: ${PETS[0].name},${PETS[1].name}`), `value ${value}`);
    assert(JSON.stringify(hits.slice(before)) === JSON.stringify(["GET /status", "GET /pets?limit=2"]), `the server saw ${JSON.stringify(hits.slice(before))}`);
    await closeSide();
    return value.trim();
  });
}
