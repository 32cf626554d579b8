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
 * A primary with fewer replicas online than `want` (none configured, or one down: after a
 * failover the promoted replica has none until the old primary returns) is waited on for the
 * replicas it has, and a warning says so: the writes go on, as safe as that primary can make them.
 * How many replicas a primary has is read (`INFO replication`) at most every REFRESH_MS; with none,
 * no WAIT is sent, so a single server without replicas pays nothing.
 */
import type { Cluster, Redis } from 'ioredis';
import { PortraitError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { RedisClient } from './redis-client.js';
import { primaries } from './scan.js';

/** How long a primary's count of online replicas is trusted. */
const REFRESH_MS = 5000;
/** At most one warning per primary per this interval. */
const WARN_MS = 60_000;

/** Replicas online as `INFO replication` lists them (`slaveN:ip=…,state=online,…`). */
export function onlineReplicas(info: string): number {
  let n = 0;
  for (const line of info.split(/\r?\n/)) if (/^slave\d+:/.test(line) && /(^|,)state=online(,|$)/.test(line.slice(line.indexOf(':') + 1))) n++;
  return n;
}

/** The replicas to wait for on a primary with `online` replicas online: `want`, or all it has when fewer. */
export function replicasToWait(want: number, online: number): number {
  return Math.max(0, Math.min(want, online));
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
    try {
      need = replicasToWait(this.opts.want, await this.online(node, name));
      if (need === 0) return;
      acked = Number(await node.call('WAIT', need, Math.max(1, this.opts.timeoutMs)));
    } catch (err) {
      throw new PortraitError('REDIS_UNAVAILABLE', `Redis ${name}: could not confirm the writes on its replicas: ${(err as Error).message}`, { cause: err });
    }
    if (acked >= need) return;
    this.nodes.delete(name); // read the replicas again next time: one may have gone
    throw new PortraitError('REDIS_UNREPLICATED', `Redis ${name}: writes reached ${acked} of ${need} replica(s) within ${this.opts.timeoutMs} ms (redis.waitTimeoutMs); the chunk is retried`);
  }

  private async online(node: Redis | Cluster, name: string): Promise<number> {
    const now = this.clock();
    const known = this.nodes.get(name);
    if (known && now - known.readAt < REFRESH_MS) return known.online;
    const online = onlineReplicas(String(await node.info('replication')));
    const state = { online, readAt: now, warnedAt: known?.warnedAt ?? Number.NEGATIVE_INFINITY };
    if (online < this.opts.want && now - state.warnedAt >= WARN_MS) {
      state.warnedAt = now;
      this.opts.log.warn(
        { redis: name, online, waitReplicas: this.opts.want },
        online === 0
          ? 'this Redis primary has no replica online: its writes are not replicated (a failover now would lose its latest writes; docs/reliability.md)'
          : 'this Redis primary has fewer replicas online than redis.waitReplicas: writes are confirmed on those it has',
      );
    }
    this.nodes.set(name, state);
    return online;
  }
}

function nodeName(node: Redis | Cluster): string {
  const o = (node as Redis).options;
  return o?.host !== undefined ? `${o.host}:${o.port}` : 'cluster';
}
