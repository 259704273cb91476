// summarizer: receives one note per thread from the triage agents, keeps
// them in its own kv namespace, and reports a digest to the owner.
//
// Its label is the owner alone: it hears from every thread, so only the
// owner may see what it knows. Reporting to the owner is therefore safe.

interface Note {
  thread: string;
  subject: string;
  from: string;
  messages: number;
  urgent: boolean;
  suspicious: boolean;
}

export default {
  async onMessage(note: Note, env: Env) {
    await env.notes.put("thread/" + note.thread, JSON.stringify(note));
    if (note.urgent && !note.suspicious) {
      await env.report.send({ title: "Urgent: " + note.subject, body: "From " + note.from, level: "urgent" });
    }
    return { kept: note.thread };
  },

  async run(_input: unknown, env: Env) {
    const notes: Note[] = [];
    let page = await env.notes.list("thread/");
    for (;;) {
      for (const key of page.keys) {
        const v = await env.notes.get(key);
        if (v !== null) notes.push(JSON.parse(v) as Note);
      }
      if (page.next === null) break;
      page = await env.notes.list("thread/", { after: page.next });
    }
    const lines = notes
      .sort((a, b) => Number(b.urgent) - Number(a.urgent))
      .map((n) => `${n.urgent ? "!" : "-"} ${n.subject} (${n.from}, ${n.messages} messages)${n.suspicious ? " [suspicious]" : ""}`);
    const body = lines.join("\n") || "No mail.";
    await env.report.send({ title: `Inbox digest: ${notes.length} threads`, body });
    return { threads: notes.length };
  },
};
