// A typical small agent: typed input, a few web APIs, a structured result.
interface Input {
  name: string;
}

interface Greeting {
  ok: boolean;
  text: string;
  id: string;
  bytes: number;
}

export default {
  async run(input: Input, env: unknown, ctx: unknown): Promise<Greeting> {
    const text = `hello, ${input.name}`;
    const url = new URL("https://example.com/greet");
    url.searchParams.set("to", input.name);
    await new Promise((resolve) => setTimeout(resolve, 1));
    return {
      ok: url.href === "https://example.com/greet?to=test",
      text,
      id: crypto.randomUUID(),
      bytes: new TextEncoder().encode(text).length,
    };
  },
};
