// Prints one closing line for CI from vitest's JSON reports: "N passed, N failed, N skipped".
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const files = process.argv.slice(2).filter((f) => existsSync(f));
for (const f of files) {
  const r = JSON.parse(readFileSync(f, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (r.success === false && (r.numFailedTests ?? 0) === 0) failed += 1; // a suite that failed to load
}
if (files.length === 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
