// Builds dist/: ES modules (dist/esm), CommonJS (dist/cjs) and the declarations (dist/types), with the pinned
// TypeScript from node_modules. Each output folder says its module kind in a package.json of its own, so that
// Node reads dist/esm/*.js as ES modules and dist/cjs/*.js as CommonJS whatever the package's "type".
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
rmSync(join(root, "dist"), { recursive: true, force: true });
for (const config of ["tsconfig.json", "tsconfig.cjs.json"]) {
  try {
    execFileSync(process.execPath, [tsc, "-p", join(root, config)], { cwd: root, stdio: "inherit" });
  } catch {
    console.error(`tsc -p ${config} failed (its errors are above)`);
    process.exit(1);
  }
}
for (const [folder, type] of [["esm", "module"], ["cjs", "commonjs"]]) {
  mkdirSync(join(root, "dist", folder), { recursive: true });
  writeFileSync(join(root, "dist", folder, "package.json"), JSON.stringify({ type }) + "\n");
}
