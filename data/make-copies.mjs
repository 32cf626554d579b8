#!/usr/bin/env node
// Builds the data/ subsets from the full labelled sets in ../shared/data (see data/SOURCES.md).
// Run once by hand from the repository root:   node data/make-subsets.mjs [sourceDir]
// No random numbers: every subset is a filter over the source file in its original order, so a
// second run writes byte-identical files. Rows are copied unchanged (same ids, fields and order).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = resolve(process.argv[2] ?? resolve(here, '..', '..', 'shared', 'data'));

function readRows(name) {
  const file = resolve(sourceDir, name);
  const lines = readFileSync(file, 'utf8').split('\n');
  const rows = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      rows.push({ line, row: JSON.parse(line) });
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not valid JSON: ${err.message}`);
    }
  });
  return rows;
}

/** Keep rows in source order, at most `capOf(row)` rows per group `groupOf(row)` (the first ones met). */
function filterCapped(rows, groupOf, capOf) {
  const seen = new Map();
  return rows.filter(({ row }) => {
    const g = groupOf(row);
    const n = seen.get(g) ?? 0;
    if (n >= capOf(row)) return false;
    seen.set(g, n + 1);
    return true;
  });
}

function write(name, rows) {
  const text = rows.map((r) => r.line).join('\n') + '\n';
  writeFileSync(resolve(here, name), text);
  const sha = createHash('sha256').update(text).digest('hex').slice(0, 16);
  console.log(`${name.padEnd(22)} ${String(rows.length).padStart(6)} rows ${String(Buffer.byteLength(text)).padStart(9)} bytes  sha256 ${sha}…`);
}

// SIB-200: both languages in full (1,004 parallel rows each).
write('sib200_en.jsonl', readRows('sib200_en.jsonl'));
write('sib200_zh.jsonl', readRows('sib200_zh.jsonl'));

// CLINC150: every val and test row, and the first 20 train rows of every intent (label_fine).
// 150 intents x (20 train + 20 val + 30 test) = 10,500 rows, 1,050 per domain.
const CLINC_TRAIN_PER_INTENT = 20;
write(
  'clinc150_en.jsonl',
  filterCapped(
    readRows('clinc150_en.jsonl'),
    (r) => `${r.split}|${r.label_fine}`,
    (r) => (r.split === 'train' ? CLINC_TRAIN_PER_INTENT : Infinity),
  ),
);

// CSL titles: every dev and test row (the 2,000 rows with label_fine), and the first 50 train rows
// of every category, so each of the 13 categories also has training rows.
const CSL_TRAIN_PER_LABEL = 50;
write(
  'csl_titles_zh.jsonl',
  filterCapped(
    readRows('csl_titles_zh.jsonl'),
    (r) => `${r.split}|${r.label}`,
    (r) => (r.split === 'train' ? CSL_TRAIN_PER_LABEL : Infinity),
  ),
);
