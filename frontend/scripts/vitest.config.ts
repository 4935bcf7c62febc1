import { defineConfig } from "vitest/config";

/** Only for `npm run vectors`: the generators are not tests and never run with `npm test`. */
export default defineConfig({
  test: {
    include: ["scripts/**/*.gen.ts"],
    environment: "node",
  },
});
