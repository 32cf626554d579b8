/**
 * Scoring a classifier on labelled embeddings (pure apart from the clock used to time prediction).
 */
import type { Classifier } from '../classify/types.js';
import { classificationReport, topLabel, type ClassificationReport } from '../train/metrics.js';
import type { Lang } from '../text/index.js';

/** The compact summary kept in artifacts and printed by the commands. */
export interface MetricsSummary {
  rows: number;
  accuracy: number;
  macroF1: number;
  macroPrecision: number;
  macroRecall: number;
  weightedF1: number;
  perClass: Record<string, { precision: number; recall: number; f1: number; support: number }>;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

export function summarize(r: ClassificationReport): MetricsSummary {
  const perClass: MetricsSummary['perClass'] = {};
  for (const c of r.perClass) perClass[c.label] = { precision: r4(c.precision), recall: r4(c.recall), f1: r4(c.f1), support: c.support };
  return {
    rows: r.rows,
    accuracy: r4(r.accuracy),
    macroF1: r4(r.macro.f1),
    macroPrecision: r4(r.macro.precision),
    macroRecall: r4(r.macro.recall),
    weightedF1: r4(r.weighted.f1),
    perClass,
  };
}

/** Predict every embedding and score the top label against the truth (label order: the classifier's). */
export function evaluateClassifier(clf: Classifier, X: readonly Float32Array[], yTrue: readonly string[], langs?: readonly Lang[]): { report: ClassificationReport; predictions: string[]; probs: Record<string, number>[] } {
  const probs = clf.predict(X, langs);
  const predictions = probs.map(topLabel);
  return { report: classificationReport(yTrue, predictions, clf.labels), predictions, probs };
}

/**
 * Microseconds per comment of `predict` in batches of `batch` (the processor's embedding batch):
 * after a warm-up pass, the best of `rounds` rounds of at least `roundMs` each — the minimum is the
 * classifier's own cost, the rest of any round is other work on a shared machine.
 */
export function predictMicros(clf: Classifier, X: readonly Float32Array[], batch = 16, roundMs = 60, rounds = 5): number {
  if (X.length === 0) return 0;
  clf.predict(X.slice(0, Math.min(X.length, 256)));
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const started = performance.now();
    while (performance.now() - started < roundMs) {
      for (let i = 0; i < X.length && (n === 0 || performance.now() - started < roundMs); i += batch) {
        const part = X.slice(i, i + batch);
        clf.predict(part);
        n += part.length;
      }
    }
    best = Math.min(best, ((performance.now() - started) * 1000) / n);
  }
  return Math.round(best * 10) / 10;
}
