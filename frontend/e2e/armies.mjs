// The e2e's running-armies steps: the title bar lists the armies the engine
// runs side by side (every army the run imported before still runs). Two
// more are imported; the list shows them with the shown one marked; Show
// brings back the army shown before, and nothing restarts; Stop (confirmed)
// stops one from the list; and `littleboxes stop`, another client of the
// same engine, stops the other: the open list drops it at once, by the
// engine's event, with no reload.

import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

const armyYAML = (name) => `name: ${name}
doc: imported by the e2e's running-armies steps
agents:
  ticker:
    triggers: [manual]
    code: |
      export default { async run() { return "${name}" } }
`;

/**
 * Runs the running-armies steps on the open page with e2e.mjs's helpers:
 * { page, step, until, api, assert, binary, dataDir, shots, path }; the
 * open list's screenshot is armies.png.
 */
export async function armySteps({ page, step, until, api, assert, binary, dataDir, shots, path }) {
  const suffix = Date.now().toString(36);
  const second = `armies-two-${suffix}`;
  const third = `armies-three-${suffix}`;
  let first = "";
  let before = [];
  const button = page.getByTestId("running-armies");
  const count = async () => Number(await button.getAttribute("data-count"));
  const openList = async () => {
    if ((await page.getByTestId("running-list").count()) === 0) await button.click();
    await page.getByTestId("running-list").waitFor();
  };

  await step("the title bar counts the armies running, as Running() lists them", async () => {
    await page.keyboard.press("Escape");
    first = (await api("Workspace")).name;
    before = (await api("Running")).filter((a) => !a.notRunning).map((a) => a.name);
    assert(before.includes(first), `${first} is not in ${before.join(", ")}`);
    await until(`${before.length} running`, async () => (await count()) === before.length);
    return `${before.length}: ${before.join(", ")}`;
  });

  await step("two armies imported run beside the others; the list marks the shown one", async () => {
    for (const name of [second, third]) {
      await page.getByTestId("open-import").click();
      await page.getByTestId("import-text").fill(armyYAML(name));
      await page.getByTestId("import-ok").click();
      await until(`the ${name} army shown`, async () => (await page.getByTestId("army-name").textContent()) === name);
    }
    await until(`${before.length + 2} running`, async () => (await count()) === before.length + 2);
    await openList();
    await until(`${third} marked shown`, async () => (await page.getByTestId(`running-army-${third}`).getAttribute("data-shown")) === "1");
    for (const name of [first, second]) {
      assert((await page.getByTestId(`running-army-${name}`).getAttribute("data-shown")) === "0", `${name} is marked shown`);
    }
    await page.screenshot({ path: path.join(shots, "armies.png") });
    return `${await count()} running`;
  });

  await step("Show brings back the army shown before, still running", async () => {
    await openList();
    await page.getByTestId(`running-open-${first}`).click();
    await until(`${first} shown`, async () => (await page.getByTestId("army-name").textContent()) === first);
    await page.getByTestId("running-list").waitFor({ state: "detached" });
    const ws = await api("Workspace");
    assert(ws.name === first && ws.running, `shown ${ws.name}, running ${ws.running}`);
    const shown = (await api("Running")).filter((a) => a.shown).map((a) => a.name);
    assert(shown.length === 1 && shown[0] === first, `Running() marks ${shown.join(", ")}`);
  });

  await step("Stop, confirmed, stops an army from the list", async () => {
    await openList();
    await page.getByTestId(`running-stop-${third}`).click();
    await page.getByTestId("running-stop-cancel").click();
    assert((await count()) === before.length + 2, "cancel stopped it");
    await page.getByTestId(`running-stop-${third}`).click();
    await page.getByTestId("running-stop-confirm").click();
    await page.getByTestId(`running-army-${third}`).waitFor({ state: "detached" });
    await until(`${before.length + 1} running`, async () => (await count()) === before.length + 1);
    const names = (await api("Running")).map((a) => a.name);
    assert(!names.includes(third) && names.includes(second), `Running() lists ${names.join(", ")}`);
  });

  await step("`littleboxes stop`, another client, stops one: the open list drops it by the engine's event", async () => {
    await openList();
    await page.getByTestId(`running-army-${second}`).waitFor();
    const { stdout } = await run(binary, ["stop", second, "--data", dataDir], { timeout: 30_000 });
    await page.getByTestId(`running-army-${second}`).waitFor({ state: "detached" });
    await until(`${before.length} running`, async () => (await count()) === before.length);
    await page.keyboard.press("Escape");
    return stdout.trim();
  });
}
