import preact from "@preact/preset-vite";
import { build, defineConfig, type InlineConfig, type Plugin } from "vite";

/**
 * The service worker: one classic script (no chunk imports, so every browser runs it), at a
 * fixed name the server serves at /sw.js with its cache list first (maillage/web/pwa.py).
 * Whatever it imports from src/ is bundled into it.
 */
const SERVICE_WORKER: InlineConfig = {
  configFile: false,
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: false,
    copyPublicDir: false,
    // The server puts one line before the code: a source map would be off by one line.
    sourcemap: false,
    lib: { entry: "src/sw/sw.ts", formats: ["iife"], name: "maillageSW", fileName: () => "sw.js" },
  },
};

/** `vite build` builds the app, then the worker beside it: one command, both outputs. */
function serviceWorker(): Plugin {
  let root = "";
  return {
    name: "maillage:service-worker",
    apply: "build",
    configResolved(config) {
      root = config.root;
    },
    async closeBundle() {
      await build({ ...SERVICE_WORKER, root, mode: "production" });
    },
  };
}

export default defineConfig({
  plugins: [preact(), serviceWorker()],
  base: "/static/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    manifest: true,
    sourcemap: true,
    rollupOptions: { input: "src/main.tsx" },
  },
});
