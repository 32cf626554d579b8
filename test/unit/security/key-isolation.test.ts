/**
 * One user's id can never address another user's keys: every key a user id produces, in any
 * namespace, differs from every key of any other id and from every global key; a SCAN pattern
 * built for one user (Redis glob semantics: * ? [..] \) never matches anyone else's key; all of a
 * user's keys share one Cluster hash tag; and the Lua scripts never turn input into code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../src/config/schema.js';
import { Keys } from '../../../src/store/index.js';
import { checkNamespace, NAMESPACE_RE } from '../../../src/store/namespaces.js';
import { ODD_USER_IDS } from '../fuzz/poison.js';

/** Redis's stringmatchlen: * ? [abc] [^a] [a-z] and \x escapes. */
function redisGlob(pattern: string, s: string): boolean {
  const match = (p: number, i: number): boolean => {
    while (p < pattern.length) {
      const c = pattern[p]!;
      if (c === '*') {
        while (pattern[p + 1] === '*') p++;
        if (p + 1 === pattern.length) return true;
        for (let k = i; k <= s.length; k++) if (match(p + 1, k)) return true;
        return false;
      }
      if (i >= s.length) return false;
      if (c === '?') {
        p++;
        i++;
        continue;
      }
      if (c === '[') {
        let q = p + 1;
        const not = pattern[q] === '^';
        if (not) q++;
        let hit = false;
        while (q < pattern.length && pattern[q] !== ']') {
          if (pattern[q] === '\\' && q + 1 < pattern.length) {
            if (pattern[q + 1] === s[i]) hit = true;
            q += 2;
          } else if (pattern[q + 1] === '-' && q + 2 < pattern.length && pattern[q + 2] !== ']') {
            const [lo, hi] = [pattern[q]!, pattern[q + 2]!].sort();
            if (s[i]! >= lo! && s[i]! <= hi!) hit = true;
            q += 3;
          } else {
            if (pattern[q] === s[i]) hit = true;
            q++;
          }
        }
        if (hit === not) return false;
        p = q + 1;
        i++;
        continue;
      }
      const lit = c === '\\' && p + 1 < pattern.length ? pattern[++p]! : c;
      if (lit !== s[i]) return false;
      p++;
      i++;
    }
    return i === s.length;
  };
  return match(0, 0);
}

/** The part of a key Redis Cluster hashes: the first {...} with something inside, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

const userId = fc.oneof(
  fc.constantFrom(...ODD_USER_IDS),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((s) => !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))),
);
const namespace = fc.oneof(fc.constantFrom('main', 'rebuild-2', 'a.b', '_'), fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/));

function allKeys(k: Keys, u: string, ns: string): string[] {
  return [...k.userKeys(u, ns), new Keys(k.prefix, ns).profile(u), new Keys(k.prefix, ns).history(u)];
}

describe("one user's id never addresses another user's keys", () => {
  const keys = new Keys('portrait', 'main');

  it('the Redis glob matcher of this test behaves like Redis on the basics', () => {
    expect(redisGlob('a*c', 'abbc')).toBe(true);
    expect(redisGlob('a?c', 'abc')).toBe(true);
    expect(redisGlob('a[bx]c', 'axc')).toBe(true);
    expect(redisGlob('a[^b]c', 'abc')).toBe(false);
    expect(redisGlob('a\\*c', 'a*c')).toBe(true);
    expect(redisGlob('a\\*c', 'abc')).toBe(false);
    expect(redisGlob('u:{x}:*', 'u:{x}:p')).toBe(true);
  });

  it('distinct ids (in any namespaces) give distinct keys, and a user pattern matches only its own keys', () => {
    fc.assert(
      fc.property(userId, userId, namespace, namespace, (a, b, nsA, nsB) => {
        fc.pre(a !== b);
        const ka = allKeys(keys, a, nsA);
        const kb = allKeys(keys, b, nsB);
        for (const x of ka) for (const y of kb) expect(x).not.toBe(y);
        const pattern = new Keys('portrait', nsA).userPattern(a);
        for (const y of [...kb, ...allKeys(keys, b, nsA)]) expect(redisGlob(pattern, y), `${pattern} vs ${y}`).toBe(false);
        for (const x of allKeys(keys, a, nsA)) expect(redisGlob(pattern, x)).toBe(true);
        // erasure suppression and receipts are per user / per event too
        expect(keys.forgotten(a)).not.toBe(keys.forgotten(b));
        expect(keys.receipt(a)).not.toBe(keys.receipt(b));
      }),
      { numRuns: 2000 },
    );
  });

  it("all of a user's keys share the hash tag (one Cluster slot), which is the escaped id and nothing else", () => {
    fc.assert(
      fc.property(userId, namespace, (u, ns) => {
        const tags = new Set(allKeys(keys, u, ns).map(hashTag));
        expect(tags.size).toBe(1);
        const [tag] = [...tags];
        expect(tag).not.toMatch(/[{}:*?[\]\\\s]/);
        expect(keys.userIdOf(new Keys('portrait', ns).profile(u))).toBe(u);
      }),
      { numRuns: 2000 },
    );
  });

  it('no user key can equal or be matched by a global key family (namespaces, suppressions, receipts, models, cache)', () => {
    const globals = ['portrait:namespaces', 'portrait:active-namespace', 'portrait:namespace-history', `portrait:forgotten:${'a'.repeat(64)}`, 'portrait:receipts:e-1', 'portrait:models:x', 'portrait:emb:0123456789ab:abc'];
    fc.assert(
      fc.property(userId, namespace, (u, ns) => {
        for (const k of allKeys(keys, u, ns)) expect(globals).not.toContain(k);
        for (const g of globals) expect(redisGlob(new Keys('portrait', ns).userPattern(u), g)).toBe(false);
      }),
    );
  });

  it('the key prefix and the namespace cannot carry separators, braces or glob characters', () => {
    const base = ConfigSchema.shape.redis.shape;
    for (const bad of ['a:b', '{x}', 'a*', 'a?', '[a]', 'a b', '', 'a\\b']) {
      expect(base.keyPrefix.safeParse(bad).success, bad).toBe(false);
      expect(base.namespace.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('a namespace can never name a global key family', () => {
  // every key Portrait keeps outside the namespaces, one example per family
  const globals = ['portrait:namespaces', 'portrait:active-namespace', 'portrait:namespace-history', `portrait:forgotten:${'a'.repeat(64)}`, 'portrait:receipts:e-1', 'portrait:models:active', 'portrait:emb:0123456789ab:abc'];

  it('`namespace drop <ns>` deletes <prefix>:<ns>:*, which never matches an erasure suppression, a receipt, the model registry or the embedding cache', () => {
    for (const ns of ['forgotten', 'receipts', 'models', 'emb', 'namespaces']) expect(() => checkNamespace(ns), ns).toThrow(/namespace/);
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/), fc.constantFrom('forgotten', 'receipts', 'models', 'emb', 'main')), (ns) => {
        fc.pre(NAMESPACE_RE.test(ns));
        for (const g of globals) expect(redisGlob(`portrait:${ns}:*`, g), `${ns} vs ${g}`).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('Lua scripts never run input as code', () => {
  const dir = new URL('../../../src/store/lua/', import.meta.url);
  const scripts = readdirSync(dir).filter((f) => f.endsWith('.lua'));

  it.each(scripts)('%s: no load/loadstring/dofile, and every key it touches comes from KEYS', (file) => {
    const lua = readFileSync(new URL(file, dir), 'utf8')
      .replace(/--\[\[[\s\S]*?\]\]/g, '')
      .replace(/--.*$/gm, '');
    expect(lua).not.toMatch(/\b(loadstring|load|dofile|loadfile|setfenv|getfenv|rawset)\s*\(/);
    // the first argument of every redis.call is a command name, the second a key from KEYS
    for (const m of lua.matchAll(/redis\.p?call\(\s*'([A-Z]+)'\s*,\s*([^,)]+)/g)) expect(m[2]!.trim(), `${m[1]} in ${file}`).toMatch(/^KEYS\[\d+\]$/);
  });

  it('there are scripts to check', () => {
    expect(scripts.length).toBeGreaterThan(0);
  });
});
