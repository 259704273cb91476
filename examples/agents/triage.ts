// triage: one agent per mail thread (an agent template over the mailbox).
//
// It reads its own thread, decides whether it needs the owner, and sends a
// short note to the summarizer over a one-way channel. It can reply only to
// the thread's own participants, so whatever a message says (the phishing
// thread asks to forward the owner's mail elsewhere) it cannot reach anyone
// else: there is no binding that could.

interface Message {
  id: string;
  from: string;
  subject: string;
  date: string;
  text: string;
}

interface Thread {
  thread: string;
  subject: string;
  participants: string[];
  messages: Message[];
}

const URGENT = /\b(urgent|asap|today|deadline|overdue)\b/i;
const SUSPICIOUS = /(ignore (all |any )?previous instructions|verify your (account|password)|forward .* (inbox|mail))/i;

export default {
  async run(_input: unknown, env: Env) {
    const t = (await env.thread.read()) as Thread;
    const last = t.messages[t.messages.length - 1];
    const text = t.messages.map((m) => m.subject + "\n" + m.text).join("\n");
    const note = {
      thread: t.thread,
      subject: t.subject,
      from: last ? last.from : "",
      messages: t.messages.length,
      urgent: URGENT.test(text),
      suspicious: SUSPICIOUS.test(text),
    };
    await env.summary.send(note);
    return note;
  },
};
