/**
 * The ordering rules shared by the aggregate: ranking, term cap, evidence, argmax. Each is a total
 * order, so results never depend on the order in which things arrived.
 */
import type { EvidenceEntry } from './types.js';

/** Code-unit string order: the same on every machine and locale (unlike localeCompare). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A record without a prototype: any string, "__proto__" included, is an ordinary key. */
export function nullRecord<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

/** rec[key] if key is an own property, else undefined (never an inherited Object.prototype member). */
export function own<V>(rec: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

/** Entries sorted by value descending, ties by key ascending. */
export function ranked(rec: Readonly<Record<string, number>>): Array<[string, number]> {
  const entries: Array<[string, number]> = Object.keys(rec).map((k) => [k, rec[k] as number]);
  return entries.sort((x, y) => y[1] - x[1] || compareStrings(x[0], y[0]));
}

/** Keep the `max` highest entries (ties: key ascending). Returns the same record if already small. */
export function capRecord(rec: Record<string, number>, max: number): Record<string, number> {
  if (Object.keys(rec).length <= max) return rec;
  const out = nullRecord<number>();
  for (const [k, v] of ranked(rec).slice(0, max)) out[k] = v;
  return out;
}

/** Evidence order: newest ts first, ties by larger commentId first. */
export function compareEvidence(a: EvidenceEntry, b: EvidenceEntry): number {
  return b.ts - a.ts || compareStrings(b.commentId, a.commentId);
}

/** The newest k entries, one per commentId (its newest), newest first. Fresh entry objects. */
export function newestEvidence(entries: readonly EvidenceEntry[], k: number): EvidenceEntry[] {
  const sorted = [...entries].sort(compareEvidence);
  const seen = new Set<string>();
  const out: EvidenceEntry[] = [];
  for (const e of sorted) {
    if (out.length >= k) break;
    if (seen.has(e.commentId)) continue;
    seen.add(e.commentId);
    out.push({ commentId: e.commentId, ts: e.ts });
  }
  return out;
}

/** The label with the highest probability (> 0), ties by label ascending; undefined if none. */
export function argmaxLabel(probs: Readonly<Record<string, number>>): string | undefined {
  let best: string | undefined;
  let bestP = 0;
  for (const label of Object.keys(probs)) {
    const p = probs[label] as number;
    if (p > bestP || (p === bestP && best !== undefined && compareStrings(label, best) < 0)) {
      best = label;
      bestP = p;
    }
  }
  return best;
}
