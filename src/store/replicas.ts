/**
 * Writes on replicas before they count (redis.waitReplicas): Redis replicates asynchronously, so a
 * primary that dies right after acknowledging a write may take it along, and the replica promoted
 * in its place never had it. A chunk whose Redis writes were lost that way after its offsets were
 * committed would be lost for good (docs/reliability.md, "A Redis primary killed mid-write").
 *
 * So, after a chunk's writes and before its profile events are published and its offsets
 * committed, the store asks every primary to confirm that this connection's writes reached
 * `want` replicas (`WAIT`). Fewer within the timeout fails the chunk (REDIS_UNREPLICATED,
 * retriable): the runner retries it, from whatever state the Redis then in charge holds.
 *
 * A primary that has never had a replica online since this processor started (none configured;
 * or a replica just promoted by a failover, until the old primary comes back as its replica) is
 * waited on for the replicas it has (said once, at info level: one Redis without replicas is a
 * common setup, not a fault): the writes go on, as safe as that primary can make them (no replica
 * could be promoted with less). A primary that had a replica
 * and has lost it is not trusted that way: a replica cut off while its primary kept writing is
 * exactly the one a forced or automatic failover promotes with writes missing. Its chunks wait
 * (and fail, and are retried) until a replica confirms them again.
 * How many replicas a primary has is read (`INFO replication`) at most every REFRESH_MS; with none
 * ever, no WAIT is sent, so a single server without replicas pays nothing.
 */
import type { Cluster, Redis } from 'ioredis';
import { PortraitError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { RedisClient } from './redis-client.js';
import { primaries } from './scan.js';

/** How long a primary's count of online replicas is trusted. */
const REFRESH_MS = 5000;
/** At most one warning per primary per this interval (a primary with fewer replicas than asked). */
const WARN_MS = 60_000;

/** Replicas online as `INFO replication` lists them (`slaveN:ip=…,state=online,…`). */
export function onlineReplicas(info: string): number {
  let n = 0;
  for (const line of info.split(/\r?\n/)) if (/^slave\d+:/.test(line) && /(^|,)state=online(,|$)/.test(line.slice(line.indexOf(':') + 1))) n++;
  return n;
}

/**
 * The replicas to wait for on a primary with `online` replicas online now and at most `had` online
 * at any time before: `want`, or fewer only when the primary never had that many.
 */
export function replicasToWait(want: number, online: number, had = 0): number {
  return Math.max(0, Math.min(want, Math.max(online, had)));
}

export interface ReplicaWaitOptions {
  /** replicas each write must reach before a chunk is published (0 = do not wait) */
  want: number;
  /** how long a WAIT may block (ms, ≥ 1) */
  timeoutMs: number;
  log: Logger;
  clock?: () => number;
}

interface NodeState {
  online: number;
  /** the most replicas seen online at once since this processor started */
  had: number;
  readAt: number;
  warnedAt: number;
}

export class ReplicaWait {
  private readonly nodes = new Map<string, NodeState>();
  private readonly clock: () => number;

  constructor(
    private readonly redis: RedisClient,
    private readonly opts: ReplicaWaitOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
  }

  /** Resolves once every primary has confirmed this client's writes on its replicas; throws REDIS_UNREPLICATED (retriable) otherwise. */
  async wait(): Promise<void> {
    if (this.opts.want <= 0) return;
    await Promise.all(primaries(this.redis).map((node) => this.waitOn(node)));
  }

  private async waitOn(node: Redis | Cluster): Promise<void> {
    const name = nodeName(node);
    let acked: number;
    let need: number;
    let state: NodeState;
    try {
      state = await this.state(node, name);
      need = replicasToWait(this.opts.want, state.online, state.had);
      if (need === 0) return;
      acked = Number(await node.call('WAIT', need, Math.max(1, this.opts.timeoutMs)));
    } catch (err) {
      throw new PortraitError('REDIS_UNAVAILABLE', `Redis ${name}: could not confirm the writes on its replicas: ${(err as Error).message}`, { cause: err });
    }
    if (acked >= need) return;
    state.readAt = Number.NEGATIVE_INFINITY; // read the replicas again next time: one may have gone
    const lost = state.online < need ? ` (it had ${state.had} online before and has ${state.online} now: its chunks wait until a replica is back; set redis.waitReplicas to 0, or restart the processor, to go on without one)` : '';
    throw new PortraitError('REDIS_UNREPLICATED', `Redis ${name}: writes reached ${acked} of ${need} replica(s) within ${this.opts.timeoutMs} ms (redis.waitTimeoutMs); the chunk is retried${lost}`);
  }

  private async state(node: Redis | Cluster, name: string): Promise<NodeState> {
    const now = this.clock();
    const known = this.nodes.get(name);
    if (known && now - known.readAt < REFRESH_MS) return known;
    const online = onlineReplicas(String(await node.info('replication')));
    const state: NodeState = { online, had: Math.max(known?.had ?? 0, online), readAt: now, warnedAt: known?.warnedAt ?? Number.NEGATIVE_INFINITY };
    if (state.had === 0 && !known) {
      // said once: a primary without replicas is common (one Redis for development, or a managed
      // one replicated by other means) and not a fault of this processor
      this.opts.log.info({ redis: name, waitReplicas: this.opts.want }, 'this Redis primary has no replica online: its writes are not confirmed on any (redis.waitReplicas waits for replicas once it has one; docs/reliability.md)');
    } else if (state.had > 0 && state.had < this.opts.want && now - state.warnedAt >= WARN_MS) {
      state.warnedAt = now;
      this.opts.log.warn({ redis: name, online, waitReplicas: this.opts.want }, 'this Redis primary has fewer replicas online than redis.waitReplicas: writes are confirmed on those it has');
    }
    this.nodes.set(name, state);
    return state;
  }
}

function nodeName(node: Redis | Cluster): string {
  const o = (node as Redis).options;
  return o?.host !== undefined ? `${o.host}:${o.port}` : 'cluster';
}
