// Prints one closing line for CI from vitest's JSON reports: "N passed, N failed, N skipped".
// With --no-skips it names every skipped test and exits 1 if there is one (CI installs every tool a
// test needs, so a skip there means a missing tool).
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const noSkips = process.argv.includes('--no-skips');
const files = process.argv.slice(2).filter((f) => f !== '--no-skips' && existsSync(f));
const skippedNames = [];
for (const f of files) {
  const r = JSON.parse(readFileSync(f, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (r.success === false && (r.numFailedTests ?? 0) === 0) failed += 1; // a suite that failed to load
  for (const t of r.testResults ?? []) for (const a of t.assertionResults ?? []) if (a.status === 'skipped' || a.status === 'pending' || a.status === 'todo') skippedNames.push(`${t.name}: ${a.fullName ?? a.title}`);
}
if (files.length === 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (noSkips && skipped > 0) {
  for (const n of skippedNames) console.log(`skipped: ${n}`);
  console.log('a test was skipped: CI installs every tool the tests need (.ci/run), so this is a failure');
  process.exit(1);
}
