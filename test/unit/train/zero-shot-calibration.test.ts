import { describe, expect, it } from 'vitest';
import { measureConfusion } from '../../../src/train/zero-shot-calibration.js';

describe('zero-shot calibration', () => {
  it('measures the confusion per true label, with one perfect pseudo-row per label', () => {
    const c = measureConfusion(
      { labels: ['a', 'b'] },
      [
        [0.8, 0.2],
        [0.6, 0.4],
        [0.3, 0.7],
      ],
      [0, 0, 1],
    );
    expect(c.rows).toEqual([2, 1]);
    // a: (1 + 0.8 + 0.6) / 3, (0 + 0.2 + 0.4) / 3; b: (0.3 + 0) / 2, (0.7 + 1) / 2
    expect(c.matrix[0]![0]).toBeCloseTo(0.8, 6);
    expect(c.matrix[0]![1]).toBeCloseTo(0.2, 6);
    expect(c.matrix[1]).toEqual([0.15, 0.85]);
  });
});
