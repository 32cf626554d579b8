import { describe, expect, it } from 'vitest';
import { judgeRedisSettings } from '../../../src/store/redis-checks.js';

describe('Redis settings that can drop state behind Portrait', () => {
  it('says nothing of a server with noeviction and persistence', () => {
    expect(judgeRedisSettings({ 'maxmemory-policy': 'noeviction', save: '3600 1', appendonly: 'no' })).toEqual([]);
    expect(judgeRedisSettings({ 'maxmemory-policy': 'noeviction', save: '', appendonly: 'yes' })).toEqual([]);
  });

  it('an evicting policy is an error; no persistence a warning', () => {
    const f = judgeRedisSettings({ 'maxmemory-policy': 'allkeys-lru', save: '', appendonly: 'no' });
    expect(f.map((x) => [x.level, x.setting])).toEqual([
      ['error', 'maxmemory-policy'],
      ['warn', 'save/appendonly'],
    ]);
    expect(f[0]!.message).toContain('noeviction');
  });

  it('a server that hides a setting (managed Redis) is not judged on it', () => {
    expect(judgeRedisSettings({})).toEqual([]);
  });
});
