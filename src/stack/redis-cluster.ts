/**
 * A local, production-shaped Redis Cluster (`portrait stack up --redis-cluster 3x1`): N primaries
 * with R replicas each, from the redis-server and redis-cli on the PATH, bound to one host on
 * consecutive ports. Unlike the throwaway cluster of the tests, it is persistent like the single
 * redis-server of the stack (an append-only file and the node's nodes.conf per node, under the
 * stack folder), so `stack down` / `stack up` brings back the same cluster with the same data.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PortraitError } from '../util/errors.js';
import { cmdlineOf, isAlive, ownedPid, portAccepts, stopGracefully, tailFile, waitForPort, writePid } from './proc.js';

export interface RedisClusterOptions {
  dir: string;
  host: string;
  basePort: number;
  primaries: number;
  replicas: number;
  startTimeoutMs: number;
  /** cluster-node-timeout: how long a node may not answer before a replica takes over (default 2000) */
  nodeTimeoutMs?: number;
  /** wipe the kept data (AOF and nodes.conf of every node) first; refused while a node runs */
  fresh?: boolean;
  log?: (m: string) => void;
}

/** A line of CLUSTER NODES. */
export interface ClusterNode {
  id: string;
  /** ip:port, without the @cport bus port and the ,hostname suffix */
  address: string;
  flags: string[];
  role: 'master' | 'replica';
  /** the id of its master, for a replica */
  masterId?: string;
  /** the cluster bus link to it is up */
  connected: boolean;
  /** marked failed by the cluster (`fail`, not the local suspicion `fail?`) */
  failed: boolean;
  myself: boolean;
  /** slot ranges it serves ("0-5460", "5461"); migrating/importing markers left out */
  slots: string[];
}

export interface ClusterShard {
  primary: string;
  replicas: string[];
  /** its slot ranges, space-separated ("0-5460" or "0-100 200-300"); '' when it serves none */
  slots: string;
}

const MAX_PRIMARIES = 20;
const MAX_REPLICAS = 5;
/** Redis Cluster's bus listens on port + 10000. */
const BUS_OFFSET = 10000;
const DEFAULT_NODE_TIMEOUT_MS = 2000;

/** "3x1": 3 primaries with 1 replica each. */
export function parseClusterShape(s: string): { primaries: number; replicas: number } {
  const m = /^\s*(\d{1,3})\s*[xX]\s*(\d{1,3})\s*$/.exec(s);
  if (!m) throw new PortraitError('USAGE', `invalid Redis Cluster shape '${s}': expected <primaries>x<replicas per primary>, like 3x1`);
  const primaries = Number(m[1]);
  const replicas = Number(m[2]);
  // a cluster needs a majority of primaries to agree on a failover: fewer than 3 cannot survive losing one
  if (primaries < 3 || primaries > MAX_PRIMARIES) throw new PortraitError('USAGE', `invalid Redis Cluster shape '${s}': the number of primaries must be 3 to ${MAX_PRIMARIES} (Redis Cluster needs at least 3), like 3x1`);
  if (replicas > MAX_REPLICAS) throw new PortraitError('USAGE', `invalid Redis Cluster shape '${s}': the number of replicas per primary must be 0 to ${MAX_REPLICAS}, like 3x1`);
  return { primaries, replicas };
}

function portsOf(o: Pick<RedisClusterOptions, 'basePort' | 'primaries' | 'replicas'>): number[] {
  return Array.from({ length: o.primaries * (1 + o.replicas) }, (_, i) => o.basePort + i);
}

/** host:port of each node, in port order (the first `primaries` are the primaries of a new cluster). */
export function clusterNodesOf(o: Pick<RedisClusterOptions, 'host' | 'basePort' | 'primaries' | 'replicas'>): string[] {
  return portsOf(o).map((p) => `${o.host}:${p}`);
}

const pidFileOf = (dir: string, port: number) => join(dir, `redis-${port}.pid`);
const logFileOf = (dir: string, port: number) => join(dir, 'logs', `redis-${port}.log`);
const dataRoot = (dir: string) => join(dir, 'data', 'redis-cluster');

/** Ports of the nodes with a pid file in the stack folder (whatever shape they were started with). */
function pidFilePorts(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^redis-(\d+)\.pid$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** The lines of CLUSTER NODES, parsed (pure: no Redis needed). */
export function parseClusterNodes(text: string): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const line of text.split(/\r?\n/)) {
    // <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9a-f]{40}$/i.test(f[0]!)) continue;
    const flags = f[2]!.split(',');
    const replica = flags.includes('slave') || flags.includes('replica');
    nodes.push({
      id: f[0]!,
      address: f[1]!.split(/[@,]/)[0]!,
      flags,
      role: replica ? 'replica' : 'master',
      ...(replica && f[3] !== '-' ? { masterId: f[3]! } : {}),
      connected: f[7] === 'connected',
      failed: flags.includes('fail'),
      myself: flags.includes('myself'),
      slots: f.slice(8).filter((s) => !s.startsWith('[')),
    });
  }
  return nodes;
}

/**
 * The primaries and their replicas as the cluster sees them (pure). Nodes the cluster marked failed
 * are left out (a killed primary disappears here, and its slots with it until a replica takes over);
 * ordered by the first slot each primary serves.
 */
export function shardsOf(nodes: ClusterNode[]): ClusterShard[] {
  const live = nodes.filter((n) => !n.failed && !n.flags.includes('handshake') && !n.flags.includes('noaddr'));
  const firstSlot = (s: ClusterShard) => (s.slots === '' ? Number.MAX_SAFE_INTEGER : Number.parseInt(s.slots, 10));
  return live
    .filter((n) => n.role === 'master')
    .map((m) => ({
      primary: m.address,
      replicas: live
        .filter((r) => r.role === 'replica' && r.masterId === m.id)
        .map((r) => r.address)
        .sort(),
      slots: m.slots.join(' '),
    }))
    .sort((a, b) => firstSlot(a) - firstSlot(b) || a.primary.localeCompare(b.primary));
}

interface CliResult {
  ok: boolean;
  out: string;
}

/** Run redis-cli; a missing redis-cli is STACK_DEPENDENCY, any other failure is an answer. */
function redisCli(args: string[], timeoutMs = 5000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new PortraitError('STACK_DEPENDENCY', 'redis-cli is needed to form the local Redis Cluster; it was not found on the PATH (install Redis)'));
        return;
      }
      // redis-cli answers an error reply with exit 0 and "ERR ..." on stdout: the callers read the text
      resolve({ ok: !err, out: `${stdout}${stderr}` });
    });
  });
}

const fieldsOf = (info: string): Map<string, string> =>
  new Map(
    info
      .split(/\r?\n/)
      .map((l) => l.split(':'))
      .filter((kv) => kv.length >= 2)
      .map(([k, ...v]) => [k!.trim(), v.join(':').trim()]),
  );

/** The shards of the cluster, as the node at host:port sees them (`redis-cli cluster nodes`). */
export async function clusterTopology(host: string, port: number): Promise<ClusterShard[]> {
  const r = await redisCli(['-h', host, '-p', String(port), 'cluster', 'nodes']);
  if (!r.ok || !/^[0-9a-f]{40} /im.test(r.out)) throw new PortraitError('REDIS_UNAVAILABLE', `CLUSTER NODES on ${host}:${port} failed: ${r.out.trim()}`);
  return shardsOf(parseClusterNodes(r.out));
}

function requireTool(cmd: string): void {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new PortraitError('STACK_DEPENDENCY', `'${cmd}' is needed to run the local Redis Cluster; it was not found on the PATH or failed (install Redis 5 or newer)`);
}

/**
 * What the nodes hold: all empty (a new cluster to create), all of one cluster of the expected
 * size (kept data: it forms again from the nodes.conf files), or anything else, which is refused
 * rather than repaired (joining or resharding would move someone's data).
 */
async function formationOf(o: RedisClusterOptions, ports: number[]): Promise<{ kind: 'empty' | 'formed' } | { kind: 'mixed'; detail: string }> {
  const seen: { port: number; known: number; assigned: number }[] = [];
  for (const port of ports) {
    const r = await redisCli(['-h', o.host, '-p', String(port), 'cluster', 'info']);
    const f = fieldsOf(r.out);
    if (!f.has('cluster_known_nodes')) return { kind: 'mixed', detail: `${o.host}:${port} did not answer CLUSTER INFO (${r.out.trim()})` };
    seen.push({ port, known: Number(f.get('cluster_known_nodes')), assigned: Number(f.get('cluster_slots_assigned') ?? 0) });
  }
  if (seen.every((s) => s.known === 1 && s.assigned === 0)) return { kind: 'empty' };
  if (seen.every((s) => s.known === ports.length)) return { kind: 'formed' };
  return { kind: 'mixed', detail: seen.map((s) => `${o.host}:${s.port} knows ${s.known} node(s)`).join(', ') };
}

/**
 * Undefined when the cluster is ready: every node says cluster_state:ok, and the cluster has
 * `primaries` primaries serving slots, each with `replicas` replicas whose replication link is up.
 * Otherwise why not (and the port whose log tells more); `stable` when nothing is failing or
 * connecting, so a wrong shape will not fix itself by waiting.
 */
async function notReady(o: RedisClusterOptions, ports: number[]): Promise<{ why: string; port: number; stable: boolean } | undefined> {
  for (const port of ports) {
    const r = await redisCli(['-h', o.host, '-p', String(port), 'cluster', 'info']);
    if (!r.out.includes('cluster_state:ok')) return { why: `${o.host}:${port}: ${fieldsOf(r.out).has('cluster_state') ? `cluster_state:${fieldsOf(r.out).get('cluster_state')}` : r.out.trim()}`, port, stable: false };
  }
  const base = ports[0]!;
  const r = await redisCli(['-h', o.host, '-p', String(base), 'cluster', 'nodes']);
  const nodes = parseClusterNodes(r.out);
  const settled = nodes.length === ports.length && nodes.every((n) => n.connected && !n.failed && !n.flags.includes('fail?') && !n.flags.includes('handshake'));
  if (!settled) return { why: `not every node is connected yet (${nodes.length} known)`, port: base, stable: false };
  const shards = shardsOf(nodes).filter((s) => s.slots !== '');
  const shape = shards.map((s) => s.replicas.length);
  if (shards.length !== o.primaries || shape.some((n) => n !== o.replicas)) {
    return { why: `the cluster has ${shards.length} primaries serving slots with ${shape.join('/')} replicas, not ${o.primaries}x${o.replicas}`, port: base, stable: true };
  }
  for (const replica of shards.flatMap((s) => s.replicas)) {
    const port = Number(replica.slice(replica.lastIndexOf(':') + 1));
    const info = await redisCli(['-h', o.host, '-p', String(port), 'info', 'replication']);
    if (fieldsOf(info.out).get('master_link_status') !== 'up') return { why: `replica ${replica}: master_link_status is not up`, port, stable: false };
  }
  return undefined;
}

/**
 * Start the cluster's nodes that do not run yet, form the cluster when its nodes are new, and wait
 * until it serves every slot with the full set of replicas. 'reused' when every node already ran.
 */
export async function startRedisCluster(o: RedisClusterOptions): Promise<{ state: 'started' | 'reused'; nodes: string[]; pids: number[] }> {
  const ports = portsOf(o);
  const nodes = clusterNodesOf(o);
  const last = ports[ports.length - 1]!;
  if (!Number.isInteger(o.basePort) || o.basePort < 1 || last + BUS_OFFSET > 65535) {
    throw new PortraitError('USAGE', `Redis Cluster ports ${o.basePort}..${last} do not fit: each node also listens on its port + ${BUS_OFFSET} (cluster bus), which must be at most 65535`);
  }
  requireTool('redis-server');
  requireTool('redis-cli');
  mkdirSync(join(o.dir, 'logs'), { recursive: true });

  if (o.fresh) {
    const running = pidFilePorts(o.dir).filter((p) => ownedPid(pidFileOf(o.dir, p), 'redis-server') !== undefined);
    if (running.length > 0) throw new PortraitError('USAGE', `Redis Cluster nodes of this stack run (ports ${running.join(', ')}); stop them with \`portrait stack down\` before starting on fresh data`);
  }
  const owned = new Map<number, number>();
  for (const port of ports) {
    const pid = ownedPid(pidFileOf(o.dir, port), 'redis-server');
    if (pid !== undefined) owned.set(port, pid);
  }
  // everything in place before anything starts: a half-started cluster is worse than none
  for (const port of ports.filter((p) => !owned.has(p))) {
    for (const p of [port, port + BUS_OFFSET]) {
      if (await portAccepts(o.host, p, 500)) throw new PortraitError('STACK_START_FAILED', `port ${o.host}:${p} is taken by a process this stack did not start; free it or choose another base port for the Redis Cluster`);
    }
  }
  if (o.fresh) rmSync(dataRoot(o.dir), { recursive: true, force: true });

  const started = new Map<number, number>();
  /** Stop what this call started (not nodes that ran before it); the error to throw. */
  const abort = async (message: string, port: number | undefined): Promise<PortraitError> => {
    await Promise.all(
      [...started].map(async ([p, pid]) => {
        await stopGracefully(pid, 15_000);
        rmSync(pidFileOf(o.dir, p), { force: true });
      }),
    );
    const log = port === undefined ? '' : `\n${logFileOf(o.dir, port)}:\n${tailFile(logFileOf(o.dir, port), 20)}`;
    return new PortraitError('STACK_START_FAILED', `${message}${log}`);
  };

  const t0 = Date.now();
  for (const port of ports.filter((p) => !owned.has(p))) {
    const dataDir = join(dataRoot(o.dir), String(port));
    mkdirSync(dataDir, { recursive: true });
    const out = openSync(logFileOf(o.dir, port), 'w');
    // Persistent like the single redis-server (AOF, fsync each second); nodes.conf sits next to the
    // AOF, so a kept data folder brings back the same node ids, roles and slots.
    const args = ['--port', String(port), '--bind', o.host, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(o.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS)];
    args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--dir', dataDir);
    // A restarted primary has a new replication id, so its replica always syncs in full; Redis waits
    // 5 s by default before a diskless full sync (to serve several replicas at once), which would
    // add 5 s to every start and to every rejoin after a failover; locally a transfer costs little.
    args.push('--repl-diskless-sync-delay', '0');
    const child = spawn('redis-server', args, { detached: true, stdio: ['ignore', out, out] });
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    child.unref();
    closeSync(out); // the child has its own copy; six nodes would otherwise hold six fds here
    if (child.pid === undefined) {
      const err = await spawnError;
      throw await abort(`redis-server could not be started for ${o.host}:${port} (${err.message})`, undefined);
    }
    writePid(pidFileOf(o.dir, port), child.pid);
    started.set(port, child.pid);
  }
  if (started.size > 0) o.log?.(`starting ${started.size} redis-server node(s) of a ${o.primaries}x${o.replicas} Redis Cluster on ${o.host}:${o.basePort}..${last}`);

  const deadline = t0 + o.startTimeoutMs;
  for (const port of ports) {
    const pid = started.get(port) ?? owned.get(port)!;
    const ready = await waitForPort(o.host, port, Math.max(deadline - Date.now(), 1000), () => isAlive(pid));
    if (ready !== 'up') throw await abort(`redis-server on ${o.host}:${port} ${ready === 'died' ? 'exited' : `did not accept connections within ${o.startTimeoutMs} ms`}`, port);
  }

  const formation = await formationOf(o, ports);
  if (formation.kind === 'mixed') {
    throw await abort(
      `the Redis Cluster nodes on ${o.host}:${o.basePort}..${last} do not form one cluster of ${ports.length} nodes (${formation.detail}): their kept data in ${dataRoot(o.dir)} is of another cluster or shape; stop the stack and start on fresh data`,
      undefined,
    );
  }
  if (formation.kind === 'empty') {
    o.log?.(`creating the Redis Cluster (${o.primaries} primaries, ${o.replicas} replica(s) each)`);
    const create = await redisCli(['--cluster', 'create', ...nodes, '--cluster-replicas', String(o.replicas), '--cluster-yes'], Math.max(deadline - Date.now(), 5000));
    if (!create.ok || !create.out.includes('[OK] All 16384 slots covered')) throw await abort(`redis-cli --cluster create failed:\n${create.out.trim().split('\n').slice(-20).join('\n')}`, ports[0]);
  }

  // wait for cluster_state:ok and the full set of connected replicas (a replica syncs after the create)
  let why: { why: string; port: number; stable: boolean } | undefined;
  for (;;) {
    why = await notReady(o, ports);
    if (why === undefined) break;
    // a whole cluster of the wrong shape, settled, will not fix itself: say so at once
    if (why.stable && formation.kind === 'formed') throw await abort(`${why.why}; stop the stack and start on fresh data for another shape`, undefined);
    if (Date.now() >= deadline) throw await abort(`the Redis Cluster was not ready within ${o.startTimeoutMs} ms: ${why.why}`, why.port);
    const dead = ports.find((p) => !isAlive(started.get(p) ?? owned.get(p)!));
    if (dead !== undefined) throw await abort(`redis-server on ${o.host}:${dead} exited`, dead);
    await sleep(250);
  }
  o.log?.(`Redis Cluster ready (cluster_state:ok, ${o.primaries}x${o.replicas}) after ${Date.now() - t0} ms`);
  return { state: started.size === 0 ? 'reused' : 'started', nodes, pids: ports.map((p) => started.get(p) ?? owned.get(p)!) };
}

/**
 * Stop the nodes this stack started (by their pid files), all at once: stopped one by one, a
 * primary's replica could be promoted while the others still run, and the kept nodes.conf files
 * would bring the cluster back in another shape. Together, no majority is left to agree on that.
 */
export async function stopRedisCluster(o: Pick<RedisClusterOptions, 'dir'>): Promise<string[]> {
  const ports = pidFilePorts(o.dir);
  if (ports.length === 0) return ['redis cluster: not started by this stack'];
  return Promise.all(
    ports.map(async (port) => {
      const pid = ownedPid(pidFileOf(o.dir, port), 'redis-server');
      if (pid === undefined) return `redis :${port}: not running`;
      // redis-server shows its address in its process title ("redis-server 127.0.0.1:7000 [cluster]")
      const address = /\s(\S+:\d+)/.exec(cmdlineOf(pid))?.[1] ?? `:${port}`;
      const how = await stopGracefully(pid, 15_000);
      rmSync(pidFileOf(o.dir, port), { force: true });
      return `redis ${address}: ${how} (pid ${pid})`;
    }),
  );
}
