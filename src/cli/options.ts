/**
 * The commands' options: parsers of their values, given to commander as argParsers, and the option
 * groups several commands share. A bad value is a usage error: commander prints it with the flag
 * and the value, e.g.
 *
 *   error: option '--users <n>' argument 'x' is invalid. --users must be an integer >= 1.
 *
 * then the command's help, and the command exits with the usage code (2).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { projectPath } from '../config/index.js';

/** An integer of at least `min` (and at most `max`). */
export function intOption(flag: string, min: number, max?: number): (v: string) => number {
  const rule = max === undefined ? `an integer >= ${min}` : `an integer ${min}-${max}`;
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) throw new InvalidArgumentError(`${flag} must be ${rule}.`);
    return n;
  };
}

/** A finite number that passes `ok`; `rule` says which in the error, e.g. 'in (0, 1)'. */
export function numberOption(flag: string, ok: (n: number) => boolean, rule: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new InvalidArgumentError(`${flag} must be ${rule}.`);
    return n;
  };
}

/** "8" or "5-30" → [min, max], 1 <= min <= max. */
export function rangeOption(flag: string): (v: string) => [number, number] {
  return (v) => {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(v);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 1 || hi < lo) throw new InvalidArgumentError(`${flag} must be N or MIN-MAX with 1 <= MIN <= MAX.`);
    return [lo, hi];
  };
}

/** Epoch milliseconds (digits only) or a date/time `Date.parse` reads (ISO-8601); NaN when neither. */
export function parseTime(v: string): number {
  return /^\d+$/.test(v.trim()) ? Number(v) : Date.parse(v);
}

/** An option holding a time: epoch milliseconds or an ISO date/time. */
export function timeOption(flag: string): (v: string) => number {
  return (v) => {
    const t = parseTime(v);
    if (!Number.isFinite(t)) throw new InvalidArgumentError(`${flag} must be epoch milliseconds or an ISO date such as 2025-01-31T08:00:00Z.`);
    return t;
  };
}

// ---------------------------------------------------------------------------------------------
// option groups of the commands that embed a labelled data set (train, evaluate, calibrate)

/** Which fields of a labelled JSONL row hold the text, the label and the split. */
export interface FieldCliOptions {
  textField: string;
  labelField: string;
  splitField: string;
}

/** --text-field, --label-field, --split-field. */
export function addFieldOptions(cmd: Command): Command {
  return cmd.option('--text-field <name>', 'field holding the text', 'text').option('--label-field <name>', 'field holding the label', 'label').option('--split-field <name>', 'field holding the split name', 'split');
}

export function fieldsOf(o: FieldCliOptions): FieldCliOptions {
  return { textField: o.textField, labelField: o.labelField, splitField: o.splitField };
}

export interface EmbedCacheCliOptions {
  cache: boolean;
  cacheDir: string;
}

/** --cache-dir, --no-cache: the on-disk embedding cache of the data-set commands. */
export function addEmbedCacheOptions(cmd: Command): Command {
  return cmd.option('--cache-dir <dir>', 'embedding cache directory', 'artifacts/cache').option('--no-cache', 'do not read or write the embedding cache');
}

/** The cache directory to use (resolved in the project), or undefined with --no-cache. */
export function cacheDirOf(o: EmbedCacheCliOptions): string | undefined {
  return o.cache ? projectPath(o.cacheDir) : undefined;
}
