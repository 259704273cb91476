// End-to-end test of the littleboxes app in headless Chromium.
//
//   node frontend/e2e/e2e.mjs BINARY DATA_DIR [SCREENSHOT_DIR]
//
// Starts `BINARY serve --addr 127.0.0.1:0 --data DATA_DIR`, opens the URL it
// prints (the token in its #fragment), checks the token leaves the address
// bar and never rides in a cookie or a query, and drives the page with real mouse drags and clicks, as a person
// would: builds an army of two agents with an http capability each, joins
// them by a channel and watches the webhook sink turn flagged, writes their
// code, runs the first agent, approves what it holds, and checks on loopback
// servers that each effect arrived exactly once. Then it sets a secret in the
// UI and checks its value appears in no page content and no API response.
// Last, Code Mode: an army with an llm capability pointing at a scripted
// OpenAI-compatible server (node, on loopback), an agent described in the
// Describe box, its diff and "would call" line checked, accepted, and run.
// Then the dynamic kinds, each added from the palette, its methods and
// their roles checked on the canvas, and called by an agent: an MCP server
// (mcp.mjs) and a loopback API described by an OpenAPI document (openapi.mjs).
// Last, the armies running side by side, listed in the title bar, shown
// and stopped from there and by `littleboxes stop` (armies.mjs).
//
// Prints one line per check and "e2e: N passed, M failed"; exits 1 on any
// failure. Run it with build/test-e2e.sh (a real Secret Service around it).
// Screenshots go to SCREENSHOT_DIR (default build/screenshots):
// canvas.png, editor.png, approvals.png, playground.png, describe.png,
// openapi.png, armies.png.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { armySteps } from "./armies.mjs";
import { integrity } from "./integrity.mjs";
import { mcpSteps } from "./mcp.mjs";
import { openapiSteps } from "./openapi.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const [binary, dataDir, shotsArg] = process.argv.slice(2);
if (!binary || !dataDir) {
  console.error("usage: node e2e.mjs BINARY DATA_DIR [SCREENSHOT_DIR]");
  process.exit(2);
}
const shots = shotsArg ?? path.resolve(here, "../../build/screenshots");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const T = 15_000; // the longest wait for one thing to show

let passed = 0;
let failed = 0;
let broken = null; // the first failed step: later steps are skipped
const cleanups = [];

async function step(name, fn) {
  if (broken) {
    failed++;
    console.log(`SKIP  ${name} (after: ${broken})`);
    return;
  }
  const t0 = Date.now();
  try {
    const note = await fn();
    passed++;
    console.log(`ok    ${name}${note ? `: ${note}` : ""} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    broken = name;
    console.log(`FAIL  ${name}: ${err?.stack ?? err}`);
  }
}

/** A check that does not stop the run when it fails. */
async function check(name, fn) {
  if (broken) return step(name, fn);
  try {
    const note = await fn();
    passed++;
    console.log(`ok    ${name}${note ? `: ${note}` : ""}`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${name}: ${err?.message ?? err}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function until(what, fn, ms = T) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// --- Loopback servers: the first agent's source and the second's webhook. ---

function server(handler) {
  return new Promise((resolve) => {
    const s = http.createServer(handler);
    s.listen(0, "127.0.0.1", () => {
      cleanups.push(() => new Promise((r) => s.close(() => r())));
      s.closeAllConnections?.();
      resolve(s);
    });
  });
}

const SOURCE_TEXT = `news of the day ${randomBytes(4).toString("hex")}`;
const sourceHits = [];
const hookHits = [];
const source = await server((req, res) => {
  sourceHits.push({ method: req.method, url: req.url });
  res.setHeader("Content-Type", "text/plain");
  res.end(SOURCE_TEXT);
});
const hook = await server((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    hookHits.push({ method: req.method, url: req.url, body });
    res.end("thanks");
  });
});
// The scripted model: every POST /v1/chat/completions is answered with
// MODULE in a fence, and recorded.
const MODULE = `export default {
  async run(input, env) {
    const name = (input && input.name) || "world";
    await env.notes.put("greeting", "hello " + name);
    return { stored: await env.notes.get("greeting") };
  },
};`;
const modelHits = [];
const model = await server((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    modelHits.push({ method: req.method, url: req.url, body });
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.statusCode = 404;
      return res.end(JSON.stringify({ error: { message: `no ${req.method} ${req.url}` } }));
    }
    res.setHeader("Content-Type", "application/json");
    res.end(
      JSON.stringify({
        id: `chatcmpl-${modelHits.length}`,
        object: "chat.completion",
        model: "scripted",
        choices: [{ index: 0, message: { role: "assistant", content: "```ts\n" + MODULE + "\n```" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
  });
});
const MODEL = `http://127.0.0.1:${model.address().port}/v1`;
const SOURCE = `http://127.0.0.1:${source.address().port}`;
const HOOK = `http://127.0.0.1:${hook.address().port}`;

// --- The app. ---

const app = spawn(binary, ["serve", "--addr", "127.0.0.1:0", "--data", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
let appLog = "";
app.stderr.on("data", (d) => (appLog += d));
cleanups.push(
  () =>
    new Promise((r) => {
      if (app.exitCode !== null) return r();
      app.once("exit", () => r());
      app.kill("SIGTERM");
      setTimeout(() => app.kill("SIGKILL"), 5000).unref();
    }),
);

let browser;
let page;
let url;
const responses = []; // every API response: {url, status, body}
const setCookies = []; // every Set-Cookie any response carried
const pending = [];

async function finish() {
  if (page) await page.close().catch(() => {});
  if (browser) await browser.close().catch(() => {});
  for (const c of cleanups.reverse()) await c().catch(() => {});
  if (failed > 0 && appLog) console.log(`----- app stderr (last 2000 chars) -----\n${appLog.slice(-2000)}`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}
process.on("SIGINT", () => void finish());
process.on("SIGTERM", () => void finish());

await step("serve prints its URL", async () => {
  const rl = readline.createInterface({ input: app.stdout });
  const line = await Promise.race([
    new Promise((resolve) => rl.once("line", resolve)),
    new Promise((_, reject) => app.once("exit", (c) => reject(new Error(`serve exited with ${c}: ${appLog}`)))),
    new Promise((_, reject) => setTimeout(() => reject(new Error("no URL within 20 s")), 20_000)),
  ]);
  const m = /^littleboxes serve: (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64})$/.exec(line);
  assert(m, `first line is ${JSON.stringify(line)}`);
  url = m[1];
  app.stdout.resume();
  return url.replace(/token=.*/, "token=…");
});

await step("the page opens on the inbox army's canvas", async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(T);
  page.on("pageerror", (e) => console.log(`      pageerror: ${e.message}`));
  page.on("response", (r) => {
    r.allHeaders().then(
      (h) => h["set-cookie"] && setCookies.push(`${r.url()}: ${h["set-cookie"]}`),
      () => {},
    );
    if (!r.url().includes("/api/") || r.url().includes("/api/events")) return;
    pending.push(
      r.text().then(
        (body) => responses.push({ url: r.url(), status: r.status(), body }),
        () => {},
      ),
    );
  });
  await page.goto(url);
  await page.locator('[data-testid=app][data-ready="1"]').waitFor();
  await page.locator('[data-testid="node-agent-triage"]').waitFor();
  const name = await page.getByTestId("army-name").textContent();
  assert(name === "inbox", `army is ${name}`);
  await watchEvents();
  const n = await page.locator(".react-flow__node").count();
  return `${n} nodes`;
});

/** A second event stream, to check later that no event carries the secret. */
async function watchEvents() {
  await page.evaluate(() => {
    const w = window;
    w.__events = [];
    const token = sessionStorage.getItem("littleboxes.token");
    void (async () => {
      const res = await fetch("/api/events", { headers: { "X-Littleboxes-Token": token } });
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        for (const line of dec.decode(value, { stream: true }).split("\n")) if (line.startsWith("data: ")) w.__events.push(line.slice(6));
      }
    })();
  });
}

await check("the token leaves the address bar and no cookie carries it", async () => {
  const addr = page.url();
  assert(!addr.includes("token"), `the address bar shows ${addr}`);
  const token = url.replace(/.*#token=/, "");
  assert((await page.evaluate(() => sessionStorage.getItem("littleboxes.token"))) === token, "the token is not in sessionStorage");
  const cookies = await page.context().cookies();
  assert(cookies.length === 0, `cookies: ${JSON.stringify(cookies)}`);
  assert(setCookies.length === 0, `Set-Cookie: ${setCookies.join("; ")}`);
  // Attacks from the page itself: the token in a cookie, or in the query.
  const got = await page.evaluate(async (token) => {
    document.cookie = `littleboxes_token=${token}; path=/`;
    const byCookie = (await fetch("/api/call/Version", { method: "POST", credentials: "include" })).status;
    document.cookie = "littleboxes_token=; path=/; max-age=0";
    const byQuery = (await fetch(`/api/call/Version?token=${token}`, { method: "POST" })).status;
    const pageByQuery = (await fetch(`/?token=${token}`)).status;
    return { byCookie, byQuery, pageByQuery };
  }, token);
  assert(got.byCookie === 401 && got.byQuery === 400 && got.pageByQuery === 400, JSON.stringify(got));
  // A reload finds the kept token.
  await page.reload();
  await page.locator('[data-testid=app][data-ready="1"]').waitFor();
  await watchEvents();
  return `${addr}; cookie ${got.byCookie}, query ${got.byQuery}`;
});

await check("a template is drawn as a stack with its count", async () => {
  const t = page.getByTestId("node-agent-triage");
  const text = await t.textContent();
  assert(/×\d+/.test(text), `no ×N in ${text}`);
  await page.getByTestId("instances-triage").click();
  const items = await page.getByTestId("instance-list-triage").locator("li").count();
  assert(items > 1, `${items} instances listed`);
  await page.getByTestId("instances-triage").click();
  return `${items} instances`;
});

await step("import an empty army", async () => {
  await page.getByTestId("open-import").click();
  await page.getByTestId("import-text").fill("name: e2e\ndoc: built by the end-to-end test\n");
  await page.getByTestId("import-ok").click();
  await until("the e2e army", async () => (await page.getByTestId("army-name").textContent()) === "e2e");
  await until("an empty canvas", async () => (await page.locator(".react-flow__node").count()) === 0);
});

async function center(locator) {
  const b = await locator.boundingBox();
  assert(b, "element not visible");
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/** Waits until locator's box stops moving (the canvas' fit-view animation). */
async function steady(locator) {
  let last = "";
  await until("the canvas to settle", async () => {
    const b = JSON.stringify(await locator.boundingBox());
    const same = b === last;
    last = b;
    return same;
  });
}

/** A real mouse drag from one point to another, in small steps. */
async function drag(from, to) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 12, from.y + 6, { steps: 3 });
  await page.mouse.move(to.x, to.y, { steps: 12 });
  await page.mouse.up();
}

/** Drags a palette item onto the canvas, at fractions of the canvas' box. */
async function dropFromPalette(testid, fx, fy) {
  await closeSide();
  const c = await page.getByTestId("canvas").boundingBox();
  await drag(await center(page.getByTestId(testid)), { x: c.x + c.width * fx, y: c.y + c.height * fy });
}

async function closeSide() {
  for (const id of ["agent-close", "capability-close"]) {
    const b = page.getByTestId(id);
    if (await b.isVisible().catch(() => false)) await b.click();
  }
  await page.getByTestId("side-panel").waitFor({ state: "detached" });
}

/** Drags from one node's right handle to another's left handle. */
async function connect(fromTestId, toTestId) {
  await closeSide();
  const from = page.getByTestId(fromTestId).locator(".react-flow__handle-right");
  const to = page.getByTestId(toTestId).locator(".react-flow__handle-left");
  await drag(await center(from), await center(to));
  await page.getByTestId("env-prompt").waitFor();
}

async function answerEnv(env) {
  await page.getByTestId("env-prompt-input").fill(env);
  await page.getByTestId("env-prompt-ok").click();
  await page.getByTestId("env-prompt").waitFor({ state: "detached" });
}

/**
 * Drops a new agent from the palette at (x, y) of the canvas, binds it to the
 * capability node `cap` as `env.<envName>`, and returns the agent's name once
 * the binding's edge shows.
 */
async function bindNewAgent(cap, envName, x, y) {
  const before = new Set((await api("Workspace")).agents.map((a) => a.name));
  await dropFromPalette("palette-agent", x, y);
  const agent = await until("the new agent", async () => (await api("Workspace")).agents.find((a) => !before.has(a.name))?.name);
  await page.getByTestId(`node-agent-${agent}`).waitFor();
  await closeSide();
  // The canvas pans to a new node, which may leave the other out of
  // view: zoom to fit, and wait for both to stand still.
  await page.getByTestId("fit-view").click();
  await steady(page.getByTestId(`node-agent-${agent}`));
  await steady(page.getByTestId(`node-cap-${cap}`));
  await connect(`node-agent-${agent}`, `node-cap-${cap}`);
  await answerEnv(envName);
  await page.locator(`[data-testid="edge-label-bind:${agent}:${envName}"]`).waitFor();
  return agent;
}

async function verdict(edgeId) {
  return page.locator(`[data-testid="edge-label-${edgeId}"]`).getAttribute("data-verdict");
}

async function setHttpProps(name, { origin, methods, label }) {
  // A dropped capability is selected, its editor open; else open it.
  const title = page.getByTestId("capability-title");
  if (!((await title.isVisible().catch(() => false)) && (await title.textContent()) === name)) {
    await closeSide();
    await page.getByTestId(`node-cap-${name}`).locator(".lb-node-name").click();
  }
  await page.getByTestId("capability-editor").waitFor();
  await page.getByTestId("prop-origins-input").fill(origin);
  await page.getByTestId("prop-origins-input").press("Enter");
  for (const m of methods ?? []) {
    await page.getByTestId("prop-methods-input").fill(m);
    await page.getByTestId("prop-methods-input").press("Enter");
  }
  if (label) await page.getByTestId("prop-label").fill(label);
  await page.getByTestId("prop-allow_private_network").check();
  await page.getByTestId("capability-save").click();
  await until(`${name}'s props saved`, async () => {
    const ws = await api("Workspace");
    const c = ws.capabilities.find((x) => x.name === name);
    return c && Array.isArray(c.props.origins) && c.props.origins.includes(origin) && c.props.allow_private_network === true;
  });
}

/** Calls the API from the page, as the page does (recorded like its own calls). */
async function api(method, ...args) {
  return page.evaluate(
    async ({ method, args }) => {
      const token = sessionStorage.getItem("littleboxes.token");
      const r = await fetch(`/api/call/${method}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Littleboxes-Token": token },
        body: JSON.stringify(args),
      });
      const t = await r.text();
      if (!r.ok) throw new Error(`${method}: ${r.status} ${t}`);
      return t ? JSON.parse(t) : null;
    },
    { method, args },
  );
}

await step("drag an agent and an http capability from the palette", async () => {
  await dropFromPalette("palette-agent", 0.15, 0.25);
  await page.getByTestId("node-agent-agent").waitFor();
  await page.getByTestId("agent-editor").waitFor(); // a new node opens its editor
  await dropFromPalette("palette-kind-http", 0.45, 0.25);
  await page.getByTestId("node-cap-http").waitFor();
  await page.getByTestId("capability-editor").waitFor();
});

await step("set the http capability's props in its form", async () => {
  await setHttpProps("http", { origin: SOURCE });
  return SOURCE;
});

await step("connect the agent to http as env.src", async () => {
  await connect("node-agent-agent", "node-cap-http");
  const def = await page.getByTestId("env-prompt-input").inputValue();
  assert(def === "http", `default env name ${def}`);
  await answerEnv("src");
  await page.locator('[data-testid="edge-label-bind:agent:src"]').waitFor();
  // The source's own origin wrote what the agent reads: asking it is safe.
  const v = await verdict("bind:agent:src");
  assert(v === "safe", `the agent's own fetch is ${v}`);
  return "env.src safe";
});

await step("a second agent with a webhook http capability", async () => {
  await dropFromPalette("palette-agent", 0.15, 0.6);
  await page.getByTestId("node-agent-agent2").waitFor();
  await dropFromPalette("palette-kind-http", 0.45, 0.6);
  await page.getByTestId("node-cap-http2").waitFor();
  await setHttpProps("http2", { origin: HOOK, methods: ["POST"], label: "public" });
  await connect("node-agent-agent2", "node-cap-http2");
  await answerEnv("hook");
  await page.locator('[data-testid="edge-label-bind:agent2:hook"]').waitFor();
  const v = await verdict("bind:agent2:hook");
  assert(v === "safe", `the webhook is ${v} before the channel`);
  return "webhook sink safe";
});

await step("a channel agent → agent2 turns the webhook sink flagged", async () => {
  await connect("node-agent-agent", "node-agent-agent2");
  await answerEnv("out");
  await page.locator('[data-testid="edge-label-chan:agent:out"]').waitFor();
  await until("the webhook flagged", async () => (await verdict("bind:agent2:hook")) === "approval");
  await page.locator('[data-testid="edge-label-bind:agent2:hook"]').click();
  const why = await page.getByTestId("why-text").textContent();
  assert(/agent2/.test(why) && /hook|origin/.test(why), `why: ${why}`);
  return `why: ${why.slice(0, 90)}…`;
});

const AGENT1 = `// Reads the source, then hands what it read to agent2.
export default {
  async run(input, env) {
    const res = await env.src.fetch("/news");
    await env.out.send({ news: res.body });
    return "sent";
  },
};
`;
const AGENT2 = `// Posts every message it gets to the webhook.
export default {
  async onMessage(msg, env) {
    const res = await env.hook.fetch("/hook", { method: "POST", body: JSON.stringify(msg) });
    return res;
  },
};
`;

async function writeCode(agent, code) {
  await closeSide();
  await page.getByTestId(`node-agent-${agent}`).locator(".lb-node-name").click();
  await page.getByTestId("agent-editor").waitFor();
  const editor = page.getByTestId("agent-code").locator(".cm-content");
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(code);
  await page.getByTestId("agent-save").click();
  await until(`${agent}'s code saved`, async () => (await api("Workspace")).agents.find((a) => a.name === agent)?.code === code);
}

await check("a click on the flagged sink shows why", async () => {
  await closeSide();
  await page.getByTestId("why-panel").locator("button").click().catch(() => {});
  await page.getByTestId("node-cap-http2").locator(".lb-node-name").click();
  await page.getByTestId("capability-editor").waitFor();
  const v = await page.getByTestId("why-panel").getAttribute("data-verdict");
  assert(v === "approval", `why panel verdict ${v}`);
});

await step("give both agents code in the editor", async () => {
  await writeCode("agent2", AGENT2);
  await writeCode("agent", AGENT1);
  await page.getByTestId("agent-compiles").waitFor();
  await page.screenshot({ path: path.join(shots, "editor.png") });
  const ws = await api("Workspace");
  assert(ws.problems.length === 0, `problems: ${JSON.stringify(ws.problems)}`);
});

await step("run agent from the Run button: it reads the source once and sends to agent2", async () => {
  // Watch the channel edge pulse when agent sends to agent2.
  await page.evaluate(() => {
    const w = window;
    w.__pulsed = false;
    const obs = new MutationObserver(() => {
      if (document.querySelector('[data-testid="edge-label-chan:agent:out"].pulsing')) w.__pulsed = true;
    });
    obs.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["class"], childList: true });
  });
  await page.getByTestId("agent-run").click();
  await until("the source's GET", async () => sourceHits.length >= 1);
  await page.getByTestId("run-result").waitFor(); // the run is over
  assert(sourceHits.length === 1, `${sourceHits.length} GETs`);
  return "the source read once, without asking";
});

await check("the agent node shows its run's state", async () => {
  await until("data-state ok", async () => (await page.getByTestId("node-agent-agent").getAttribute("data-state")) === "ok");
});

async function approveOnly(envName) {
  if (!(await page.getByTestId("approvals-inbox").isVisible().catch(() => false))) await page.getByTestId("approvals-badge").click();
  await page.getByTestId("approvals-inbox").waitFor();
  const item = await until(`a pending approval for env.${envName}`, async () => {
    const items = page.locator('[data-testid^="approval-"]').filter({ has: page.locator('[data-testid^="approve-"]') });
    const n = await items.count();
    for (let i = 0; i < n; i++) {
      const it = items.nth(i);
      if ((await it.textContent()).includes(envName)) return it;
    }
    return null;
  });
  return item;
}

await step("agent2's webhook POST waits for approval (badge 1)", async () => {
  await until("the webhook approval", async () => {
    const list = await api("Approvals", false);
    return list.some((e) => e.agent === "agent2" && e.status === "pending");
  });
  await until("badge 1", async () => (await page.getByTestId("approvals-badge").getAttribute("data-count")) === "1");
  const item = await approveOnly("hook");
  const text = await item.textContent();
  assert(text.includes("news"), `the approval does not show what will be sent: ${text.slice(0, 200)}`);
  await page.screenshot({ path: path.join(shots, "approvals.png") });
  assert(hookHits.length === 0, "the webhook was called before approval");
  await item.locator('[data-testid^="approve-"]').click();
});

await step("the webhook got the POST exactly once", async () => {
  await until("the POST", async () => hookHits.length >= 1);
  // Once the engine records the effect as performed, it is done with it.
  await until("the effect approved and performed", async () =>
    (await api("Approvals", true)).some((e) => e.agent === "agent2" && e.status === "approved"),
  );
  assert(hookHits.length === 1, `${hookHits.length} requests`);
  assert(hookHits[0].method === "POST", hookHits[0].method);
  assert(hookHits[0].body.includes(SOURCE_TEXT), `body ${hookHits[0].body}`);
  await until("badge 0", async () => (await page.getByTestId("approvals-badge").getAttribute("data-count")) === "0");
  return `body ${hookHits[0].body}`;
});

await check("the channel edge pulsed when the message passed", async () => {
  await until("a pulse", () => page.evaluate(() => window.__pulsed), 5000);
});

await check("moving a node saves its position", async () => {
  if (await page.getByTestId("approvals-drawer-close").isVisible().catch(() => false)) await page.getByTestId("approvals-drawer-close").click();
  await closeSide();
  const before = (await api("Workspace")).agents.find((a) => a.name === "agent2").pos;
  const head = page.getByTestId("node-agent-agent2").locator(".lb-node-name");
  const c = await center(head);
  await drag(c, { x: c.x + 40, y: c.y + 60 });
  const after = await until("the new position saved", async () => {
    const p = (await api("Workspace")).agents.find((a) => a.name === "agent2").pos;
    return p.x !== before.x || p.y !== before.y ? p : null;
  });
  return `${before.x},${before.y} → ${after.x},${after.y}`;
});

await check("deleting a channel (click, Delete key) makes the webhook safe again", async () => {
  await closeSide();
  await page.locator('[data-testid="edge-label-chan:agent:out"]').click();
  await page.keyboard.press("Delete");
  await until("the channel gone", async () => (await page.locator('[data-testid="edge-label-chan:agent:out"]').count()) === 0);
  await until("the webhook safe", async () => (await verdict("bind:agent2:hook")) === "safe");
  const ws = await api("Workspace");
  assert(ws.channels.length === 0, `channels: ${JSON.stringify(ws.channels)}`);
});

await check("deleting nodes: the Delete button and the Backspace key", async () => {
  await dropFromPalette("palette-agent", 0.3, 0.85);
  await page.getByTestId("node-agent-agent3").waitFor();
  await page.getByTestId("delete-selected").click();
  await page.getByTestId("node-agent-agent3").waitFor({ state: "detached" });
  await dropFromPalette("palette-kind-kv", 0.55, 0.85);
  await page.getByTestId("node-cap-kv").waitFor();
  await closeSide();
  await page.getByTestId("node-cap-kv").locator(".lb-node-name").click();
  await page.keyboard.press("Backspace");
  await page.getByTestId("node-cap-kv").waitFor({ state: "detached" });
  const ws = await api("Workspace");
  assert(!ws.agents.some((a) => a.name === "agent3") && !ws.capabilities.some((c) => c.name === "kv"), "still in the workspace");
});

await check("export shows the army as YAML", async () => {
  await page.getByTestId("open-export").click();
  const text = await until("the YAML", async () => {
    const t = await page.getByTestId("export-text").inputValue();
    return t.includes("agent2") ? t : null;
  });
  await page.getByTestId("export-dialog-close").click();
  return `${text.split("\n").length} lines`;
});

const SECRET = `s3cr3t-${randomBytes(12).toString("hex")}`;

await step("set a secret in the secrets panel", async () => {
  await page.keyboard.press("Escape");
  if (await page.getByTestId("approvals-drawer-close").isVisible().catch(() => false)) await page.getByTestId("approvals-drawer-close").click();
  await page.getByTestId("open-secrets").click();
  const panel = page.getByTestId("secrets-panel");
  await panel.getByTestId("secret-name").fill("e2e-token");
  await panel.getByTestId("secret-value").fill(SECRET);
  await panel.getByTestId("secret-save").click();
  await page.getByTestId("secret-e2e-token").waitFor();
  const v = await panel.getByTestId("secret-value").inputValue();
  assert(v === "", "the password field was not cleared");
});

await step("the secret is in no page content and no API response", async () => {
  // Exercise every read the page has, then look.
  await api("Workspace");
  await api("Secrets");
  await api("ExportYAML");
  await api("Approvals", true);
  await api("Runs", "agent", 50);
  await api("Runs", "agent2", 50);
  await page.getByTestId("secrets-dialog-close").click();
  await page.getByTestId("secrets-dialog").waitFor({ state: "hidden" });
  await Promise.all(pending);
  const html = await page.content();
  assert(!html.includes(SECRET), "the value is in page.content()");
  const inputs = await page.evaluate(() => [...document.querySelectorAll("input,textarea")].map((e) => e.value).join("\n"));
  assert(!inputs.includes(SECRET), "the value is in an input");
  const leaking = responses.filter((r) => r.body.includes(SECRET));
  assert(leaking.length === 0, `in ${leaking.map((r) => r.url).join(", ")}`);
  const events = await page.evaluate(() => window.__events);
  assert(events.length > 0, "the second event stream (fetch with the token header) got no event");
  assert(!events.join("\n").includes(SECRET), "the value is in an event");
  const names = await api("Secrets");
  assert(Array.isArray(names) && names.includes("e2e-token"), `Secrets() = ${JSON.stringify(names)}`);
  return `${responses.length} API responses checked`;
});

await check("the playground runs a module", async () => {
  await page.getByTestId("tab-playground").click();
  await page.getByTestId("run").click();
  const status = await until("a result", async () => {
    const t = await page.getByTestId("result-status").textContent().catch(() => "");
    return t && !/running/i.test(t) ? t : null;
  });
  assert(!/error|not connected/i.test(status), `result: ${status}`);
  await page.mouse.move(5, 895);
  await page.screenshot({ path: path.join(shots, "playground.png") });
  await page.getByTestId("tab-army").click();
  await page.getByTestId("canvas").waitFor();
});

await check("the canvas screenshot (the inbox example)", async () => {
  await page.getByTestId("open-import").click();
  await page.getByTestId("example-inbox").click();
  await until("the inbox army", async () => (await page.getByTestId("army-name").textContent()) === "inbox");
  await page.locator('[data-testid="node-agent-triage"]').waitFor();
  await steady(page.locator('[data-testid="node-agent-triage"]'));
  // Show why the flagged reply to a thread needs approval.
  await page.locator('[data-testid="edge-label-bind:triage:thread"]').click();
  await page.getByTestId("why-panel").waitFor();
  await page.mouse.move(5, 895);
  await page.screenshot({ path: path.join(shots, "canvas.png") });
  return path.join(shots, "canvas.png");
});

await integrity({ page, step, check, assert, until, api, server, closeSide, approveOnly, shots, path });

// --- Code Mode: describe an agent to a (scripted) model, accept, run. ---

const CODEMODE_ARMY = `name: codemode
doc: An agent whose code a model writes from the owner's description.
capabilities:
  model:
    kind: llm
    props: {base_url: "${MODEL}", model: scripted, timeout: 20s}
  notes:
    kind: kv
    props: {namespace: e2e-codemode}
agents:
  writer:
    doc: Keeps a greeting.
    triggers: [manual]
    bindings: {notes: notes}
    code: |
      export default {
        async run(input, env) {
          return null;
        },
      };
  planner:
    doc: Keeps a greeting, in code a model writes from these words.
    triggers: [manual]
    bindings: {notes: notes}
    instructions: Store "hello " and the input's name under greeting in env.notes, and return what is stored.
    model: model
    mode: plan
`;

await step("describe an agent: the scripted model writes it, the box shows the diff and what it would call", async () => {
  await page.keyboard.press("Escape");
  await page.getByTestId("open-import").click();
  await page.getByTestId("import-text").fill(CODEMODE_ARMY);
  await page.getByTestId("import-ok").click();
  await until("the codemode army", async () => (await page.getByTestId("army-name").textContent()) === "codemode");
  await page.getByTestId("node-agent-writer").waitFor();
  await closeSide();
  await page.getByTestId("node-agent-writer").locator(".lb-node-name").click();
  const box = page.getByTestId("describe");
  await box.waitFor();
  const picked = await box.getByTestId("describe-model").inputValue();
  assert(picked === "model", `the model picker shows ${JSON.stringify(picked)}`);
  await box.getByTestId("describe-text").fill("Store 'hello ' and the input's name under greeting in env.notes, and return what is stored.");
  await box.getByTestId("describe-input").fill('{"name": "e2e"}');
  const before = modelHits.length;
  await box.getByTestId("describe-write").click();
  await box.getByTestId("describe-result").waitFor();
  assert(modelHits.length === before + 1, `${modelHits.length - before} requests to the model`);
  const prompt = modelHits.at(-1).body;
  assert(prompt.includes("notes"), "the prompt does not carry the env declaration");
  const call = await box.getByTestId("describe-call").first().textContent();
  assert(call.includes('would call env.notes.put("greeting", "hello e2e")'), `call line: ${call}`);
  const added = await box.locator('[data-testid=describe-diff] [data-kind=add]').allTextContents();
  assert(added.some((l) => l.includes("env.notes.put")), `added lines: ${added.join(" | ")}`);
  const removed = await box.locator('[data-testid=describe-diff] [data-kind=del]').allTextContents();
  assert(removed.some((l) => l.includes("return null")), `removed lines: ${removed.join(" | ")}`);
  // The dry run wrote nothing: the read after the simulated put finds no greeting.
  const value = await box.getByTestId("describe-value").textContent();
  assert(/"stored":\s*null/.test(value), `dry-run value ${value}`);
  const ok = await box.getByTestId("attempt-1").getAttribute("data-ok");
  assert(ok === "1", "the first attempt failed");
  await box.getByTestId("describe-diff").scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shots, "describe.png") });
  return call.trim();
});

await step("accept: the agent's code is the model's, in the editor too", async () => {
  await page.getByTestId("describe-accept").click();
  await until("the code saved", async () =>
    (await api("Workspace")).agents.find((a) => a.name === "writer")?.code.includes('env.notes.put("greeting"'),
  );
  await until("the editor shows it", async () => (await page.getByTestId("agent-code").locator(".cm-content").textContent()).includes("env.notes.put"));
  await page.getByTestId("describe-result").waitFor({ state: "detached" });
  const ws = await api("Workspace");
  assert(ws.problems.length === 0, `problems: ${JSON.stringify(ws.problems)}`);
});

await step("run the described agent from the Run button: it stores and returns the greeting", async () => {
  await page.getByTestId("agent-run-input").fill('{"name": "e2e"}');
  const before = modelHits.length;
  await page.getByTestId("agent-run").click();
  const rec = page.locator('[data-testid=run-result][data-status]');
  await rec.waitFor();
  const status = await rec.getAttribute("data-status");
  const value = await page.getByTestId("run-value").textContent();
  assert(status === "ok", `status ${status}: ${await rec.textContent()}`);
  assert(/"stored":\s*"hello e2e"/.test(value), `value ${value}`);
  assert(modelHits.length === before, `the run asked the model (${modelHits.length - before} requests): a code agent needs none`);
  return value.replace(/\s+/g, " ");
});

await check("an instructions agent: its badge, its editor, a run that plans once and caches the plan", async () => {
  const badge = page.getByTestId("node-mode-planner");
  const text = await badge.textContent();
  assert((await badge.getAttribute("data-mode")) === "plan" && text.includes("instructions · plan") && text.includes("model"), `badge: ${text}`);
  await closeSide();
  await page.getByTestId("node-agent-planner").locator(".lb-node-name").click();
  await page.getByTestId("instructions").waitFor();
  const words = await page.getByTestId("instructions-text").inputValue();
  assert(words.includes("under greeting"), `instructions: ${words}`);
  assert((await page.getByTestId("agent-code").count()) === 0, "an instructions agent shows a code editor");
  await page.getByTestId("cached-plan-empty").waitFor();
  const before = modelHits.length;
  const canary = `canary-${randomBytes(6).toString("hex")}`;
  await page.getByTestId("agent-run-input").fill(JSON.stringify({ name: canary }));
  await page.getByTestId("agent-run").click();
  const rec = page.locator('[data-testid=run-result][data-status]');
  await rec.waitFor();
  assert((await rec.getAttribute("data-status")) === "ok", `run: ${await rec.textContent()}`);
  const value = await page.getByTestId("run-value").textContent();
  assert(value.includes(`"hello ${canary}"`), `value ${value}`);
  assert(modelHits.length === before + 1, `${modelHits.length - before} model calls for the plan`);
  assert(!modelHits.some((h) => h.body.includes(canary)), "plan mode sent the input to the model");
  await rec.getByTestId("run-attempts").waitFor();
  await page.getByTestId("cached-plan").waitFor();
  const plan = await page.getByTestId("cached-plan").locator(".cm-content").textContent();
  assert(plan.includes("env.notes.put"), `cached plan: ${plan}`);
  // A second run reuses the plan: no model call.
  await page.getByTestId("agent-run").click();
  await until("the second run", async () => (await page.getByTestId("run-result").locator('[data-testid=attempt-1]').textContent()).includes("cached plan"));
  assert(modelHits.length === before + 1, `${modelHits.length - before} model calls after two runs`);
  return "one model call, two runs";
});

await mcpSteps({ page, step, until, api, assert, dropFromPalette, bindNewAgent, writeCode, closeSide });
await openapiSteps({ page, step, until, api, assert, server, dropFromPalette, bindNewAgent, writeCode, closeSide, shots, path });
await armySteps({ page, step, until, api, assert, binary, dataDir, shots, path });
await finish();
