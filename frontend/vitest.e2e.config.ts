import { defineConfig } from "vitest/config";

// The browser scenario: real backend (tests/support/stack.py), Debian's nginx with our config, Debian's chromium.
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
