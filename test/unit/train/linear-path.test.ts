import { describe, expect, it } from 'vitest';
import { betterStep, choosePath, maxFits, sameWeights, type ClassWeighting, type PathPlan } from '../../../src/train/linear-path.js';

const GRID = [3, 1, 0.3, 0.1, 0.03, 0.01, 0.003];

/** A scripted fit: validation macro-F1 per (weighting, l2); the state records the warm start it was given. */
function scripted(f1: Record<ClassWeighting, number[]>, logLoss: (cw: ClassWeighting, l2: number) => number = () => 1) {
  const calls: string[] = [];
  const fit = (cw: ClassWeighting, l2: number, from: string) => {
    calls.push(`${cw} ${l2} from ${from}`);
    return { macroF1: f1[cw][GRID.indexOf(l2)]!, logLoss: logLoss(cw, l2), iterations: 30, state: `${cw}@${l2}` };
  };
  return { calls, fit };
}

const plan = (over: Partial<PathPlan> = {}): PathPlan => ({ grid: GRID, weightings: ['none', 'balanced'], patience: 1, sameProblem: false, ...over });

describe('the linear head’s validation path (choosePath)', () => {
  it('csl_titles_zh as measured: the none path stops one step past its best, the balanced probe loses, its path is not run', () => {
    // validation macro-F1 of the reference run (none; balanced), l2 3 … 0.003
    const { calls, fit } = scripted({ none: [0.177, 0.359, 0.505, 0.595, 0.648, 0.643, 0.639], balanced: [0.537, 0.572, 0.59, 0.608, 0.612, 0.611, 0.595] });
    const c = choosePath(plan(), 'zero', fit);
    expect(calls).toEqual(['none 3 from zero', 'none 1 from none@3', 'none 0.3 from none@1', 'none 0.1 from none@0.3', 'none 0.03 from none@0.1', 'none 0.01 from none@0.03', 'balanced 0.03 from none@0.03']);
    expect(c.best).toMatchObject({ classWeight: 'none', l2: 0.03, role: 'path' });
    expect(c.steps.at(-1)!.role).toBe('probe');
    expect(c.weighting).toMatch(/'balanced' probed at l2 0.03: validation macro-F1 0.6120 vs 0.6480, its path not run/);
  });

  it('sib200_zh as measured: the probe wins, so the balanced path runs; its best ties the probe, the earlier', () => {
    const { calls, fit } = scripted({ none: [0.745, 0.809, 0.806, 0.81, 0.815, 0.822, 0.821], balanced: [0.847, 0.855, 0.845, 0.828, 0.847, 0.846, 0.853] });
    const c = choosePath(plan(), 'zero', fit);
    expect(calls).toEqual(['none 3 from zero', 'none 1 from none@3', 'none 0.3 from none@1', 'balanced 1 from none@1', 'balanced 3 from zero', 'balanced 1 from balanced@3', 'balanced 0.3 from balanced@1']);
    expect(c.best).toMatchObject({ classWeight: 'balanced', l2: 1, role: 'probe', state: 'balanced@1' });
    expect(c.weighting).toBeUndefined();
    // a strictly better step of the second path wins over the probe
    const later = scripted({ none: [0.745, 0.809, 0.806, 0.81, 0.815, 0.822, 0.821], balanced: [0.847, 0.855, 0.86, 0.828, 0.847, 0.846, 0.853] });
    expect(choosePath(plan(), 'zero', later.fit).best).toMatchObject({ classWeight: 'balanced', l2: 0.3, role: 'path' });
  });

  it('patience: a path stops after that many steps in a row below its best; a new best resets the count', () => {
    const f1 = { none: [0.5, 0.4, 0.6, 0.55, 0.5, 0.7, 0.1], balanced: [] };
    const one = choosePath(plan({ weightings: ['none'] }), '', scripted(f1).fit);
    expect(one.steps.map((s) => s.l2)).toEqual([3, 1]);
    expect(one.best.l2).toBe(3);
    const two = choosePath(plan({ weightings: ['none'], patience: 2 }), '', scripted(f1).fit);
    expect(two.steps.map((s) => s.l2)).toEqual([3, 1, 0.3, 0.1, 0.03]);
    expect(two.best.l2).toBe(0.3);
    const all = choosePath(plan({ weightings: ['none'], patience: 7 }), '', scripted(f1).fit);
    expect(all.steps).toHaveLength(7);
    expect(all.best.l2).toBe(0.01);
    expect(all.weighting).toBeUndefined();
  });

  it('a path that keeps improving runs to the end of the grid (clinc150: the weakest l2 won)', () => {
    const c = choosePath(plan({ weightings: ['none'] }), '', scripted({ none: [0.74, 0.79, 0.84, 0.87, 0.89, 0.9, 0.905], balanced: [] }).fit);
    expect(c.steps.map((s) => s.l2)).toEqual(GRID);
    expect(c.best.l2).toBe(0.003);
  });

  it('the same problem for both weightings: nothing probed, and the report says why', () => {
    const { calls, fit } = scripted({ none: [0.5, 0.6, 0.55, 0, 0, 0, 0], balanced: [1, 1, 1, 1, 1, 1, 1] });
    const c = choosePath(plan({ sameProblem: true }), '', fit);
    expect(calls.every((s) => s.startsWith('none'))).toBe(true);
    expect(c.best.l2).toBe(1);
    expect(c.weighting).toMatch(/same problem/);
  });

  it('the probe is a candidate itself: it wins when the second path, stopped early, never beats it', () => {
    // balanced beats none at 0.03 but its own path stops at 1 (patience 1)
    const { fit } = scripted({ none: [0.2, 0.3, 0.4, 0.5, 0.6, 0.55, 0], balanced: [0.5, 0.45, 0.3, 0.3, 0.65, 0.3, 0.3] });
    const c = choosePath(plan(), 'zero', fit);
    expect(c.steps.map((s) => `${s.classWeight} ${s.l2} ${s.role}`)).toEqual(['none 3 path', 'none 1 path', 'none 0.3 path', 'none 0.1 path', 'none 0.03 path', 'none 0.01 path', 'balanced 0.03 probe', 'balanced 3 path', 'balanced 1 path']);
    expect(c.best).toMatchObject({ classWeight: 'balanced', l2: 0.03, role: 'probe', state: 'balanced@0.03' });
  });

  it('a one-value grid (fixed l2): the probe is the second weighting’s whole path', () => {
    const { calls, fit } = scripted({ none: [0, 0, 0, 0.5, 0, 0, 0], balanced: [0, 0, 0, 0.7, 0, 0, 0] });
    const c = choosePath(plan({ grid: [0.1] }), 'zero', fit);
    expect(calls).toEqual(['none 0.1 from zero', 'balanced 0.1 from none@0.1']);
    expect(c.best).toMatchObject({ classWeight: 'balanced', role: 'probe' });
  });

  it('ties: the earlier fit wins, unless both have the same weighting and the later has the lower log-loss', () => {
    const a = { macroF1: 0.8, logLoss: 0.5, classWeight: 'none' as const };
    expect(betterStep({ ...a, macroF1: 0.81 }, a)).toBe(true);
    expect(betterStep(a, a)).toBe(false);
    expect(betterStep({ ...a, logLoss: 0.4 }, a)).toBe(true);
    expect(betterStep({ ...a, logLoss: 0.4, classWeight: 'balanced' }, a)).toBe(false);
    // the same macro-F1 on a path: the lower log-loss moves the best along, and the step does not count as below it
    const ll: Record<number, number> = { 3: 0.9, 1: 0.8, 0.3: 0.85 };
    const c = choosePath(plan({ weightings: ['none'], grid: [3, 1, 0.3] }), '', scripted({ none: [0.5, 0.5, 0.5], balanced: [] }, (_, l2) => ll[l2]!).fit);
    expect(c.best.l2).toBe(1);
  });

  it('sameWeights and maxFits', () => {
    expect(sameWeights([0, 1, 2, 0, 1, 2], 3)).toBe(true);
    expect(sameWeights([0, 1, 2, 0, 1, 1], 3)).toBe(false);
    expect(sameWeights([0, 2, 0, 2], 3)).toBe(true); // a label without rows does not count
    expect(maxFits({ grid: GRID, weightings: ['none', 'balanced'] })).toBe(15);
    expect(maxFits({ grid: GRID, weightings: ['none'] })).toBe(7);
  });

  it('refuses a plan it cannot run', () => {
    const { fit } = scripted({ none: [0], balanced: [0] });
    expect(() => choosePath(plan({ grid: [] }), '', fit)).toThrow(/empty/);
    expect(() => choosePath(plan({ patience: 0 }), '', fit)).toThrow(/patience/);
    expect(() => choosePath(plan({ weightings: [] }), '', fit)).toThrow(/weightings/);
  });
});
