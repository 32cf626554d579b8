#!/usr/bin/env node
// Copies the labelled sets from the prepared full copy (see data/SOURCES.md) into data/, checking
// that every line is JSON with a text and a label. Run once by hand from the repository root:
//   node data/make-copies.mjs [sourceDir]        (default ../shared/data)
// Rows are copied unchanged, in their original order, so a second run writes byte-identical files.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = resolve(process.argv[2] ?? resolve(here, '..', '..', 'shared', 'data'));

for (const name of ['sib200_en.jsonl', 'sib200_zh.jsonl', 'clinc150_en.jsonl', 'csl_titles_zh.jsonl']) {
  const file = resolve(sourceDir, name);
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  lines.forEach((line, i) => {
    let row;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not valid JSON: ${err.message}`);
    }
    if (typeof row.text !== 'string' || typeof row.label !== 'string') throw new Error(`${file}:${i + 1}: needs string "text" and "label"`);
  });
  const text = lines.join('\n') + '\n';
  writeFileSync(resolve(here, name), text);
  const sha = createHash('sha256').update(text).digest('hex');
  console.log(`${sha}  ${name}  (${lines.length} rows, ${Buffer.byteLength(text)} bytes)`);
}
