export default {
  async run(input: unknown, env: any) {
    const t = await env.thread.read();
    await env.summary.send({ summary: t.subject });
  },
};
