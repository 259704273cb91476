// notes: files each digest the summarizer sends as a Markdown note,
// digests/DATE.md, and keeps index.md listing them, newest first. Both files
// change in one plan (planEdits), applied all or nothing (applyEditPlan).

interface Digest {
  date: string;
  title: string;
  lines: string[];
}

export default {
  async onMessage(d: Digest, env: Env) {
    const date = /^\d{4}-\d{2}-\d{2}$/.test(d.date) ? d.date : "undated";
    const path = `digests/${date}.md`;
    const note = `# ${d.title}\n\n${d.lines.join("\n") || "No mail."}\n`;
    let index = "# Notes\n\n";
    try {
      index = (await env.folder.read("index.md")) as string;
    } catch {
      // No index yet: this is the first note.
    }
    const entry = `- [${date}](${path})`;
    if (!index.includes(entry + "\n")) {
      index = index.replace("# Notes\n\n", `# Notes\n\n${entry}\n`);
    }
    const plan = await env.folder.planEdits([
      { path, content: note },
      { path: "index.md", content: index },
    ]);
    const res = await env.folder.applyEditPlan(plan);
    return { note: path, result: res };
  },
};
