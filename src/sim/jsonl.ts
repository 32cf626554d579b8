/**
 * Reading JSONL files for the simulator and `portrait produce`. Errors are USAGE errors that name
 * the file and the 1-based line, so a bad input file is easy to fix.
 */
import { readFileSync } from 'node:fs';
import { PortraitError } from '../util/errors.js';

/** One non-blank line of a file, with its 1-based line number. */
export interface JsonlLine {
  line: number;
  text: string;
}

/** One parsed line. */
export interface JsonlRecord {
  line: number;
  value: unknown;
}

/** A labelled text row as in data/*.jsonl: `{ id, text, label }` plus optional `lang` and `split`. */
export interface LabelledRow {
  id: string;
  text: string;
  label: string;
  lang?: string;
  split?: string;
}

/** Read a whole UTF-8 text file; a missing or unreadable file is a USAGE error naming it. */
export function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (cause as Error).message;
    throw new PortraitError('USAGE', `cannot read ${file}: ${why}`, { cause });
  }
}

/** Split text into its non-blank lines (LF or CRLF; a leading BOM is dropped). */
export function splitLines(text: string): JsonlLine[] {
  const out: JsonlLine[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, i) => {
    const t = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (t.trim() !== '') out.push({ line: i + 1, text: t });
  });
  return out;
}

/** Parse JSONL text; `file` only names the source in error messages. */
export function parseJsonl(text: string, file: string): JsonlRecord[] {
  return splitLines(text).map(({ line, text: t }) => {
    try {
      return { line, value: JSON.parse(t) as unknown };
    } catch (cause) {
      throw new PortraitError('USAGE', `${file}:${line}: not valid JSON: ${(cause as Error).message}`, { cause, details: { file, line } });
    }
  });
}

/** The parsed lines of a JSONL file, with line numbers. */
export function readJsonlRecords(file: string): JsonlRecord[] {
  return parseJsonl(readTextFile(file), file);
}

/** The parsed values of a JSONL file (blank lines skipped). */
export function readJsonl(file: string): unknown[] {
  return readJsonlRecords(file).map((r) => r.value);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Check that every record is a labelled row; the first bad one is a USAGE error naming file and line. */
export function toLabelledRows(records: readonly JsonlRecord[], file: string): LabelledRow[] {
  const seen = new Set<string>();
  return records.map(({ line, value }) => {
    const bad = (why: string) => new PortraitError('USAGE', `${file}:${line}: ${why}`, { details: { file, line } });
    if (!isObject(value)) throw bad('expected a JSON object {"id","text","label"}');
    const { id, text, label, lang, split } = value;
    if (typeof id !== 'string' && typeof id !== 'number') throw bad('"id" must be a string or a number');
    if (typeof text !== 'string' || text.trim() === '') throw bad('"text" must be a non-empty string');
    if (typeof label !== 'string' || label.trim() === '') throw bad('"label" must be a non-empty string (use --raw to publish events as they are)');
    if (lang !== undefined && typeof lang !== 'string') throw bad('"lang" must be a string when present');
    const key = String(id);
    if (seen.has(key)) throw bad(`duplicate id ${JSON.stringify(key)}`);
    seen.add(key);
    const row: LabelledRow = { id: key, text, label };
    if (typeof lang === 'string' && lang !== '') row.lang = lang;
    if (typeof split === 'string') row.split = split;
    return row;
  });
}

/** Read a labelled JSONL file such as data/sib200_zh.jsonl. */
export function readLabelledRows(file: string): LabelledRow[] {
  return toLabelledRows(readJsonlRecords(file), file);
}
