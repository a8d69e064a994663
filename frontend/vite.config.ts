/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import openapi from "./openapi.json" with { type: "json" };

// Dev server proxies /api/ like nginx does in production, so the app only ever calls same-origin /api/.
const devBackend = process.env.TODO_BACKEND_URL ?? "http://127.0.0.1:8000";

// The API's input limits, from its OpenAPI document: compiled in as constants (src/api-limits.ts), so
// the bundle carries two numbers instead of the whole document, and tsc fails here if the API drops one.
const schemas = openapi.components.schemas;
const apiLimits = {
  chatMessageMaxLength: schemas.ChatRequest.properties.message.maxLength,
  passwordMinLength: schemas.Register.properties.password.minLength,
};

export default defineConfig({
  plugins: [react()],
  define: { __API_LIMITS__: JSON.stringify(apiLimits) },
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
