import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // The ReDoS check compiles and analyses a few hundred patterns up front.
    hookTimeout: 180_000,
    pool: "forks",
  },
});
