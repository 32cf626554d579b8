import { describe, expect, it } from 'vitest';
import { summariseProfile, type CpuProfile } from '../../../bench/lib/cpu-profile.js';

const node = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 9 } });

describe('summariseProfile', () => {
  const profile: CpuProfile = {
    nodes: [
      node(1, '(idle)', ''),
      node(2, 'serializeProfileEvent', 'file:///repo/src/pipeline/profile-event.ts'),
      node(3, 'decodeState', 'file:///repo/src/profile/codec.ts'),
      node(4, '(garbage collector)', ''),
      node(5, 'crc32C', 'file:///repo/node_modules/kafkajs/src/protocol/recordBatch/crc32C/crc32C.js'),
      node(6, 'toWritable', 'file:///repo/node_modules/ioredis/built/Command.js'),
    ],
    // ids sampled, each sample lasting its time delta (µs)
    samples: [1, 2, 2, 3, 4, 5, 6, 1],
    timeDeltas: [5000, 3000, 1000, 2000, 1000, 1500, 500, 5000],
  };

  it('splits busy time by area and ranks functions by self time; idle is not busy', () => {
    const s = summariseProfile(profile);
    expect(s.sampledMs).toBe(19);
    expect(s.busyShare).toBeCloseTo(9 / 19, 3);
    expect(s.byArea.map((a) => [a.area.split(' ')[0], a.ms])).toEqual([
      ['profile', 4],
      ['profile', 2],
      ['kafka', 1.5],
      ['gc', 1],
      ['redis', 0.5],
    ]);
    expect(s.byArea[0]!.area).toMatch(/profile event/);
    expect(s.byArea[1]!.area).toMatch(/profile maths/);
    expect(s.topFunctions[0]).toEqual({ fn: 'serializeProfileEvent src/pipeline/profile-event.ts:10', ms: 4, share: 0.444 });
    expect(s.topFunctions.reduce((a, f) => a + f.ms, 0)).toBe(9);
  });

  it('keeps only the top functions asked for', () => {
    expect(summariseProfile(profile, 2).topFunctions).toHaveLength(2);
  });
});
