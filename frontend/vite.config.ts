/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Dev server proxies /api/ like nginx does in production, so the app only ever calls same-origin /api/.
const devBackend = process.env.TODO_BACKEND_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    // Chromium, Firefox and Safari of the last years support modulepreload; no inline polyfill keeps the CSP strict.
    modulePreload: { polyfill: false },
    target: "es2022",
    sourcemap: false,
  },
  server: { proxy: { "/api": devBackend } },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
