// Set-up for every unit test file (vite.config.ts: test.setupFiles).
//
// UI tests wait for what they need (findBy*, waitFor), never for a fixed
// time. How long they may wait is a ceiling only, reached when a test
// fails: generous, so a loaded machine makes a test slower, not red.
if (typeof document !== "undefined") {
  const { configure } = await import("@testing-library/react");
  configure({ asyncUtilTimeout: 10_000 });
}

export {};
