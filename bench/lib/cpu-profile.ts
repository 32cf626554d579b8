/**
 * A V8 CPU profile of the processor's main thread (node:inspector, taken by the bench child during
 * a drain), summarised: where the busy time went, by function and by area of the code.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CpuProfileSummary {
  /** main-thread time sampled, and the share of it not idle */
  sampledMs: number;
  busyShare: number;
  /** busy time by area, ms and share of busy (largest first) */
  byArea: { area: string; ms: number; share: number }[];
  /** the functions with the most self time (share of busy) */
  topFunctions: { fn: string; ms: number; share: number }[];
}

/** Areas of the code, first match wins: Portrait's own by directory, then the clients and the runtime. */
const AREAS: [string, RegExp][] = [
  ['gc', /^\(garbage collector\)$/],
  ['profile event (src/pipeline/profile-event, src/events)', /src\/(pipeline\/profile-event\.ts|events\/)/],
  ['profile maths and state codec (src/profile)', /src\/profile\//],
  ['store stage, fold, plan, state cache (src/pipeline)', /src\/pipeline\//],
  ['text (src/text)', /src\/text\//],
  ['classify (src/classify)', /src\/classify\//],
  ['embedder client side (src/embed, src/util/int8)', /src\/(embed\/|util\/int8)/],
  ['kafka client (kafkajs, src/kafka)', /kafkajs|src\/kafka\//],
  ['redis client (ioredis, src/store)', /ioredis|redis-parser|src\/store\//],
  ['other Portrait code', /\/src\/|\/consumers\//],
  ['node internals (buffers, sockets, timers)', /^node:|^$/],
  ['other dependencies', /node_modules/],
];

function areaOf(fn: string, url: string): string {
  for (const [name, re] of AREAS) if (re.test(name === 'gc' ? fn : url)) return name;
  return 'other';
}

export function summariseProfile(p: CpuProfile, top = 15): CpuProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  let total = 0;
  let busy = 0;
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of self) {
    const cf = byId.get(id)?.callFrame;
    if (!cf) continue;
    total += us;
    if (cf.functionName === '(idle)' || cf.functionName === '(program)') continue;
    busy += us;
    const a = areaOf(cf.functionName, cf.url);
    areas.set(a, (areas.get(a) ?? 0) + us);
    const file = cf.url.replace(/^.*\/node_modules\//, '').replace(/^.*\/(src|consumers)\//, '$1/');
    const key = `${cf.functionName || '(anonymous)'} ${file}${file ? `:${cf.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  const share = (us: number) => Math.round((us / Math.max(1, busy)) * 1000) / 1000;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    sampledMs: ms(total),
    busyShare: Math.round((busy / Math.max(1, total)) * 1000) / 1000,
    byArea: sorted(areas).map(([area, us]) => ({ area, ms: ms(us), share: share(us) })),
    topFunctions: sorted(fns)
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: ms(us), share: share(us) })),
  };
}
