// The README's quickstart, run as it is written: its first ```javascript block under "## Quickstart", saved in
// dist/ (inside the package, so that "@lightspeedpay/sdk" resolves to this build) and run with node against the
// platform. tests/sdks/test_js_sdk.py checks that docs/developers/sdk-node.md shows the same code.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { promisify } from "node:util";

import { SKIP_WITHOUT_PLATFORM } from "./helpers.mjs";

export function quickstart(markdown) {
  const section = markdown.split(/^## Quickstart$/m)[1];
  assert.ok(section, "a ## Quickstart section");
  const block = section.match(/^```javascript\n([\s\S]*?)^```$/m);
  assert.ok(block, "a ```javascript block in it");
  return block[1];
}

test("the README's quickstart runs: a payment paid and refunded", { skip: SKIP_WITHOUT_PLATFORM }, async () => {
  const code = quickstart(readFileSync(new URL("../README.md", import.meta.url), "utf8"));
  const file = new URL("../dist/quickstart.mjs", import.meta.url);
  writeFileSync(file, code);
  const { stdout } = await promisify(execFile)(process.execPath, [file.pathname], { timeout: 120_000 });
  const lines = stdout.trim().split("\n");
  assert.match(lines[0], /^created [0-9a-f-]{36} pay_\w+$/);
  assert.match(lines[1], /^checkout page: http:\/\/127\.0\.0\.1:\d+\//);
  assert.match(lines[2], /^paid pay_\w+ 49900$/);
  assert.match(lines[3], /^refund rfnd_\w+ (pending|processed)$/);
});
