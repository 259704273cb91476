// The module and input the editor starts with.

export const EXAMPLE_MODULE = `// An agent: a module whose default export has entry
// points. run(input, env, ctx) runs on a manual or a
// scheduled trigger; env holds its bindings (none yet).

interface Input {
  name: string;
  boxes?: number;
}

export default {
  async run(input: Input, env, ctx) {
    console.log("hi from an isolate");
    const n = input.boxes ?? 3;
    const stack = [];
    for (let i = 1; i <= n; i++) stack.push("box " + i);
    return { greeting: "hello " + input.name, stack };
  },
};
`;

export const EXAMPLE_INPUT = `{
  "name": "ada",
  "boxes": 3
}
`;
