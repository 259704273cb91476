// summarizer (leaky): the same digest, also posted to a webhook.
//
// The webhook's audience is hooks.example.com, who may not read what the
// summarizer knows (every thread's mail), so each post is held for the
// owner's approval: the call resolves to { status: "pending_approval", id }
// at once and the post happens only if the owner approves it.

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
    const page = await env.notes.list("thread/", { limit: 1000 });
    for (const key of page.keys) {
      const v = await env.notes.get(key);
      if (v !== null) notes.push(JSON.parse(v) as Note);
    }
    const body = notes.map((n) => `- ${n.subject} (${n.from})`).join("\n") || "No mail.";
    await env.report.send({ title: `Inbox digest: ${notes.length} threads`, body });
    const posted = await env.webhook.fetch("https://hooks.example.com/digest", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body,
    });
    return { threads: notes.length, webhook: posted };
  },
};
