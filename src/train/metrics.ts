/**
 * Classification metrics (pure): confusion matrix, accuracy, per-class and macro / weighted
 * precision, recall and F1. Conventions (those of scikit-learn with zero_division=0):
 *
 * - precision of a class never predicted is 0; recall of a class absent from the truth is 0;
 *   F1 = 2PR / (P + R), 0 when P + R = 0;
 * - macro averages run over the classes that occur in the truth or in the predictions (a class of
 *   the label list that is in neither is reported with support 0 and left out of the averages);
 * - weighted averages weigh each class by its support (rows in the truth).
 */

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Rows of this class in the truth. */
  support: number;
  /** Rows predicted as this class. */
  predicted: number;
}

export interface Averages {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationReport {
  rows: number;
  accuracy: number;
  macro: Averages;
  weighted: Averages;
  perClass: ClassMetrics[];
  /** Label order of `confusion`. */
  labels: string[];
  /** confusion[i][j] = rows of true label i predicted as label j. */
  confusion: number[][];
}

/** Labels of `yTrue` and `yPred` not in `labels` are appended (sorted), so nothing is dropped. */
export function labelSpace(labels: readonly string[], yTrue: readonly string[], yPred: readonly string[]): string[] {
  const known = new Set(labels);
  const extra = new Set<string>();
  for (const l of [...yTrue, ...yPred]) if (!known.has(l)) extra.add(l);
  return [...labels, ...[...extra].sort()];
}

/** Confusion matrix over `labels` (rows: truth, columns: prediction). Unknown labels throw. */
export function confusionMatrix(labels: readonly string[], yTrue: readonly string[], yPred: readonly string[]): number[][] {
  if (yTrue.length !== yPred.length) throw new RangeError(`confusionMatrix: ${yTrue.length} true labels but ${yPred.length} predictions`);
  const index = new Map(labels.map((l, i) => [l, i]));
  if (index.size !== labels.length) throw new RangeError('confusionMatrix: labels must be unique');
  const m = labels.map(() => new Array<number>(labels.length).fill(0));
  yTrue.forEach((t, k) => {
    const i = index.get(t);
    const j = index.get(yPred[k]!);
    if (i === undefined || j === undefined) throw new RangeError(`confusionMatrix: label ${JSON.stringify(i === undefined ? t : yPred[k])} is not in the label list`);
    m[i]![j]!++;
  });
  return m;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Everything derived from a confusion matrix. */
export function reportFromConfusion(labels: readonly string[], confusion: readonly (readonly number[])[]): ClassificationReport {
  const n = labels.length;
  let rows = 0;
  let correct = 0;
  const perClass: ClassMetrics[] = labels.map((label, i) => {
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < n; j++) {
      support += confusion[i]![j]!;
      predicted += confusion[j]![i]!;
    }
    const tp = confusion[i]![i]!;
    rows += support;
    correct += tp;
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support, predicted };
  });
  const present = perClass.filter((c) => c.support > 0 || c.predicted > 0);
  const avg = (key: keyof Averages, weight: (c: ClassMetrics) => number) => {
    const w = present.reduce((s, c) => s + weight(c), 0);
    return w === 0 ? 0 : present.reduce((s, c) => s + c[key] * weight(c), 0) / w;
  };
  return {
    rows,
    accuracy: ratio(correct, rows),
    macro: { precision: avg('precision', () => 1), recall: avg('recall', () => 1), f1: avg('f1', () => 1) },
    weighted: { precision: avg('precision', (c) => c.support), recall: avg('recall', (c) => c.support), f1: avg('f1', (c) => c.support) },
    perClass,
    labels: [...labels],
    confusion: confusion.map((r) => [...r]),
  };
}

/** The full report for true and predicted labels; `labels` fixes the order (missing ones are appended). */
export function classificationReport(yTrue: readonly string[], yPred: readonly string[], labels: readonly string[] = []): ClassificationReport {
  const space = labelSpace(labels, yTrue, yPred);
  return reportFromConfusion(space, confusionMatrix(space, yTrue, yPred));
}

/** Macro-averaged F1 (shortcut). */
export function macroF1(yTrue: readonly string[], yPred: readonly string[]): number {
  return classificationReport(yTrue, yPred).macro.f1;
}

/** Fraction of equal pairs. */
export function accuracy(yTrue: readonly string[], yPred: readonly string[]): number {
  if (yTrue.length !== yPred.length) throw new RangeError(`accuracy: ${yTrue.length} true labels but ${yPred.length} predictions`);
  if (yTrue.length === 0) return 0;
  let ok = 0;
  yTrue.forEach((t, i) => {
    if (t === yPred[i]) ok++;
  });
  return ok / yTrue.length;
}

/** The label with the highest probability (first in iteration order on ties). */
export function topLabel(probs: Readonly<Record<string, number>>): string {
  let best = '';
  let bestP = -Infinity;
  for (const [l, p] of Object.entries(probs)) {
    if (p > bestP) {
      best = l;
      bestP = p;
    }
  }
  return best;
}

/** Mean negative log-likelihood of the true labels (probabilities floored at 1e-12). */
export function logLoss(yTrue: readonly string[], probs: readonly Readonly<Record<string, number>>[]): number {
  if (yTrue.length !== probs.length) throw new RangeError(`logLoss: ${yTrue.length} labels but ${probs.length} predictions`);
  if (yTrue.length === 0) return 0;
  let s = 0;
  yTrue.forEach((t, i) => (s -= Math.log(Math.max(1e-12, probs[i]![t] ?? 0))));
  return s / yTrue.length;
}
