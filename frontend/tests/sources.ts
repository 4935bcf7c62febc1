/** The app's source files as text, for tests that hold its structure in place. */
const raw = import.meta.glob<string>("../src/**/*.{ts,tsx}", {
  query: "?raw",
  import: "default",
  eager: true,
});

export const sourceFiles: { name: string; text: string }[] = Object.entries(raw).map(
  ([path, text]) => ({ name: path.replace(/^\.\.\/src\//, ""), text }),
);
