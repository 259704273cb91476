/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The window loads frontend/dist through Wails' asset server, which injects
// /wails/ipc.js and /wails/runtime.js itself; nothing here depends on them
// being present at build time (see src/lib/backend.ts).
export default defineConfig({
  plugins: [react()],
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1024,
  },
  server: {
    host: "127.0.0.1",
    strictPort: false,
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
    // A ceiling for a failing test, not a wait: see src/test-setup.ts.
    testTimeout: 30_000,
  },
});
