import { describe, expect, it } from 'vitest';
import { renderMarkdown, renderProfiles, type Reference } from '../../../src/eval/reference-md.js';

const row = (method: string, kind: string, f1: number) => ({ dataset: 'sib200_zh', method, kind, trainRows: 701, testRows: 204, accuracy: f1, macroF1: f1, trainSeconds: 3, predictMicros: 20, version: 'v' });

describe('reference results markdown', () => {
  it('renders the results and judges each target', () => {
    const ref: Reference = {
      generatedAt: '2026-01-01T00:00:00.000Z',
      machine: { cpus: 2, cpu: 'cpu', node: 'v20' },
      embedder: 'e',
      seed: 42,
      minutes: 1,
      trainRows: { sib200_zh: '701' },
      rows: [row('rf', 'rf', 0.6), row('auto (default)', 'linear', 0.85), { ...row('zero-shot', 'zero-shot', 0.76), trainRows: 0 }],
      profiles: [{ dataset: 'sib200_zh', classifier: 'linear', users: 60, comments: 900, perComment: 0.85, top1: 0.98, top3Recall: 0.9, majorityVote: 0.97, meanProbability: 0.98, gain: 0.13 }],
      notes: ['a note'],
    };
    const md = renderMarkdown(ref);
    expect(md).toContain('| sib200_zh | auto (default) | linear | 701 | 204 | 0.850 | **0.850** |');
    expect(md).toContain('| sib200_zh | 701 | 0.840 | 0.850 (+1.0, met) | 0.600 | 0.760 (was 0.690) | 0.740: met |');
    expect(md).toContain('- a note');
    expect(md).not.toContain('**Profiles**');
    const pm = renderProfiles(ref);
    expect(pm).toContain('| sib200_zh | linear | 60 | 900 | 0.850 | **0.980** | +13.0 | unreachable (ceiling +15.0) | 0.900 | 0.970 | 0.980 | – |');
    expect(renderProfiles({ ...ref, profiles: [{ ...ref.profiles[0]!, shareError: 0.25 }] })).toContain('| 0.980 | 0.250 |');
    const zs = { ...ref.profiles[0]!, classifier: 'zero-shot, calibrated', perComment: 0.7, top1: 0.89, gain: 0.19 };
    expect(renderProfiles({ ...ref, profiles: [zs] })).toContain('| 0.700 | **0.890** | +19.0 | not met |');
    expect(renderProfiles({ ...ref, profiles: [{ ...zs, top1: 0.92, gain: 0.22 }] })).toContain('| +22.0 | met |');
  });
});
