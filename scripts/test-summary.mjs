// Prints one closing line for CI from vitest's JSON reports: "N passed, N failed, N skipped", and
// under it every failed test (its file, its name and the first line of its error), so the tail of a
// CI log says what failed. With --no-skips it names every skipped test and exits 1 if there is one
// (CI installs every tool a test needs, so a skip there means a missing tool).
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
const noSkips = process.argv.includes('--no-skips');
const args = process.argv.slice(2).filter((f) => f !== '--no-skips');
const files = args.filter((f) => existsSync(f));
const skippedNames = [];
const failures = [];
const firstLine = (s) =>
  String(s ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: vitest's messages carry ANSI colours
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim()
    .slice(0, 300) ?? '';
for (const f of args) if (!existsSync(f)) failures.push(`${f}: no report (the run did not finish)`);
for (const f of files) {
  const r = JSON.parse(readFileSync(f, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (r.success === false && (r.numFailedTests ?? 0) === 0) failed += 1; // a suite that failed to load
  for (const t of r.testResults ?? []) {
    const file = relative(process.cwd(), t.name ?? '?');
    const failedHere = (t.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const a of failedHere) failures.push(`${file}: ${a.fullName ?? a.title} (${Math.round((a.duration ?? 0) / 1000)} s)\n    ${firstLine(a.failureMessages?.[0])}`);
    if (t.status === 'failed' && failedHere.length === 0) failures.push(`${file}: the file failed outside its tests\n    ${firstLine(t.message)}`);
    for (const a of t.assertionResults ?? []) if (a.status === 'skipped' || a.status === 'pending' || a.status === 'todo') skippedNames.push(`${file}: ${a.fullName ?? a.title}`);
  }
}
if (files.length === 0) {
  console.log('0 passed, 1 failed');
  for (const f of failures) console.log(`failed: ${f}`);
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
for (const f of failures) console.log(`failed: ${f}`);
if (noSkips && skipped > 0) {
  for (const n of skippedNames) console.log(`skipped: ${n}`);
  console.log('a test was skipped: CI installs every tool the tests need (.ci/run), so this is a failure');
  process.exit(1);
}
