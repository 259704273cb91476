// summarizer (notes army): receives one note per thread from the triage
// agents and keeps them in its own kv namespace; when run, it sends a digest
// of them over a one-way channel to the notes agent.
//
// Its label is the owner alone: it hears from every thread. The notes agent
// it sends to can therefore write only where the owner alone reads.

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
      .sort((a, b) => Number(b.urgent) - Number(a.urgent) || a.subject.localeCompare(b.subject))
      .map((n) => `- ${n.urgent ? "**urgent** " : ""}${n.subject} (${n.from}, ${n.messages} messages)${n.suspicious ? " [suspicious]" : ""}`);
    const date = new Date().toISOString().slice(0, 10);
    await env.digest.send({ date, title: `Inbox digest: ${notes.length} threads`, lines });
    return { threads: notes.length };
  },
};
