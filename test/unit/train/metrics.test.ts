import { describe, expect, it } from 'vitest';
import { accuracy, classificationReport, confusionMatrix, labelSpace, logLoss, macroF1, reportFromConfusion, topLabel } from '../../../src/train/metrics.js';

// Hand-computed example (3 classes, 10 rows):
//   truth: a a a a b b b c c c
//   pred:  a a b c b b a c c b
// confusion (rows truth a,b,c; columns pred a,b,c):
//   a: [2, 1, 1]   b: [1, 2, 0]   c: [0, 1, 2]
// a: P = 2/3, R = 2/4 = 0.5, F1 = 2·(2/3·1/2)/(2/3+1/2) = (2/3)/(7/6) = 4/7
// b: P = 2/4 = 0.5, R = 2/3, F1 = 4/7
// c: P = 2/3, R = 2/3, F1 = 2/3
// accuracy 6/10; macro P = (2/3 + 1/2 + 2/3)/3 = 11/18; macro R = (1/2 + 2/3 + 2/3)/3 = 11/18
// macro F1 = (4/7 + 4/7 + 2/3)/3 = (24/21 + 14/21)/3 = 38/63
// weighted F1 = (4·4/7 + 3·4/7 + 3·2/3)/10 = (16/7 + 12/7 + 2)/10 = (28/7 + 2)/10 = 0.6
const T = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c'];
const P = ['a', 'a', 'b', 'c', 'b', 'b', 'a', 'c', 'c', 'b'];

describe('classification metrics (hand-computed)', () => {
  it('confusion matrix: rows are the truth, columns the prediction', () => {
    expect(confusionMatrix(['a', 'b', 'c'], T, P)).toEqual([
      [2, 1, 1],
      [1, 2, 0],
      [0, 1, 2],
    ]);
  });

  it('accuracy, per-class and macro / weighted precision, recall and F1', () => {
    const r = classificationReport(T, P);
    expect(r.rows).toBe(10);
    expect(r.accuracy).toBeCloseTo(0.6, 12);
    const by = Object.fromEntries(r.perClass.map((c) => [c.label, c]));
    expect(by.a!.precision).toBeCloseTo(2 / 3, 12);
    expect(by.a!.recall).toBeCloseTo(0.5, 12);
    expect(by.a!.f1).toBeCloseTo(4 / 7, 12);
    expect(by.b!.precision).toBeCloseTo(0.5, 12);
    expect(by.b!.recall).toBeCloseTo(2 / 3, 12);
    expect(by.b!.f1).toBeCloseTo(4 / 7, 12);
    expect(by.c!.f1).toBeCloseTo(2 / 3, 12);
    expect(by.a!.support).toBe(4);
    expect(by.b!.predicted).toBe(4);
    expect(r.macro.precision).toBeCloseTo(11 / 18, 12);
    expect(r.macro.recall).toBeCloseTo(11 / 18, 12);
    expect(r.macro.f1).toBeCloseTo(38 / 63, 12);
    expect(r.weighted.f1).toBeCloseTo(0.6, 12);
    expect(macroF1(T, P)).toBeCloseTo(38 / 63, 12);
    expect(accuracy(T, P)).toBeCloseTo(0.6, 12);
  });

  it('a class never predicted has precision 0 (and F1 0); a predicted class absent from the truth counts in the macro average', () => {
    // truth a a b b, pred a a a x  -> b never predicted; x predicted but not in the truth
    const r = classificationReport(['a', 'a', 'b', 'b'], ['a', 'a', 'a', 'x']);
    const by = Object.fromEntries(r.perClass.map((c) => [c.label, c]));
    expect(by.a!.precision).toBeCloseTo(2 / 3, 12);
    expect(by.a!.recall).toBe(1);
    expect(by.a!.f1).toBeCloseTo(0.8, 12);
    expect(by.b!).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 2, predicted: 0 });
    expect(by.x!).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0, predicted: 1 });
    expect(r.macro.f1).toBeCloseTo(0.8 / 3, 12);
    // weighted averages ignore the class with no support
    expect(r.weighted.f1).toBeCloseTo(0.4, 12);
  });

  it('a label listed but absent from truth and predictions is reported, not averaged', () => {
    const r = classificationReport(['a', 'b'], ['a', 'b'], ['a', 'b', 'unused']);
    expect(r.labels).toEqual(['a', 'b', 'unused']);
    expect(r.perClass[2]).toMatchObject({ label: 'unused', support: 0, predicted: 0 });
    expect(r.macro.f1).toBe(1);
  });

  it('labelSpace keeps the given order and appends unknown labels sorted', () => {
    expect(labelSpace(['z', 'a'], ['q', 'a'], ['b', 'z'])).toEqual(['z', 'a', 'b', 'q']);
  });

  it('reportFromConfusion agrees with the report built from labels', () => {
    const m = confusionMatrix(['a', 'b', 'c'], T, P);
    expect(reportFromConfusion(['a', 'b', 'c'], m)).toEqual(classificationReport(T, P, ['a', 'b', 'c']));
  });

  it('rejects mismatched lengths and unknown labels', () => {
    expect(() => confusionMatrix(['a'], ['a'], [])).toThrow(RangeError);
    expect(() => confusionMatrix(['a'], ['a'], ['b'])).toThrow(/not in the label list/);
    expect(() => accuracy(['a'], [])).toThrow(RangeError);
  });

  it('topLabel and logLoss', () => {
    expect(topLabel({ a: 0.2, b: 0.5, c: 0.3 })).toBe('b');
    expect(topLabel({ a: 0.5, b: 0.5 })).toBe('a');
    expect(
      logLoss(
        ['a', 'b'],
        [
          { a: 0.5, b: 0.5 },
          { a: 0.75, b: 0.25 },
        ],
      ),
    ).toBeCloseTo((Math.log(2) + Math.log(4)) / 2, 12);
    expect(logLoss(['a'], [{ a: 0, b: 1 }])).toBeCloseTo(-Math.log(1e-12), 6);
  });
});
