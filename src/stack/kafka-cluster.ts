/**
 * A production-shaped Kafka cluster from the same Maven jars as the single broker (kafka.ts): N
 * KRaft nodes, each broker and controller (a static quorum of all N), on 127.0.0.1, with
 * replication factor N for the internal topics, `min.insync.replicas` = N - 1 and no unclean leader
 * election. `portrait stack up --brokers 3` starts it (docs/reliability.md, "A replicated
 * topology"); the fault tests kill and restart single nodes of it.
 *
 * Node i (1-based) listens on `kafkaPort + 2(i - 1)` (clients) and `controllerPort + 2(i - 1)`
 * (the quorum): 9092/9093, 9094/9095, 9096/9097 with the defaults, so node 1 takes the single
 * broker's ports and the two cannot run at once. Each node has its own storage, pid file and log
 * under the stack folder; storage is kept across stop/start like the single broker's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PortraitError } from '../util/errors.js';
import { checkJava, ensureKafkaJars, type KafkaStackOptions, LOG4J2, MAIN_CLASS, newClusterId } from './kafka.js';
import { isAlive, ownedPid, portAccepts, stopGracefully, tailFile, waitForPort, writePid } from './proc.js';

export interface KafkaClusterOptions extends Omit<KafkaStackOptions, 'extraProperties' | 'keepData'> {
  /** nodes (brokers and controllers), ≥ 3 */
  nodes: number;
  /** wipe every node's storage first (the nodes must be down) */
  fresh?: boolean;
}

export interface ClusterNode {
  id: number;
  port: number;
  controllerPort: number;
  dataDir: string;
  pidFile: string;
  logFile: string;
  propsFile: string;
}

export function clusterNodes(o: Pick<KafkaClusterOptions, 'dir' | 'nodes' | 'port' | 'controllerPort'>): ClusterNode[] {
  return Array.from({ length: o.nodes }, (_, i) => {
    const id = i + 1;
    return {
      id,
      port: o.port + 2 * i,
      controllerPort: o.controllerPort + 2 * i,
      dataDir: join(o.dir, 'data', 'kafka-cluster', `node-${id}`),
      pidFile: join(o.dir, `kafka-${id}.pid`),
      logFile: join(o.dir, 'logs', `kafka-${id}.log`),
      propsFile: join(o.dir, 'conf', `server-${id}.properties`),
    };
  });
}

/** The bootstrap list of the cluster (every node's client listener). */
export function clusterBootstrap(o: Pick<KafkaClusterOptions, 'dir' | 'nodes' | 'port' | 'controllerPort' | 'host'>): string {
  return clusterNodes(o)
    .map((n) => `${o.host}:${n.port}`)
    .join(',');
}

export function clusterNodeProperties(o: Pick<KafkaClusterOptions, 'host' | 'nodes'>, node: ClusterNode, all: readonly ClusterNode[]): string {
  const n = all.length;
  const minIsr = Math.max(1, n - 1);
  return [
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${all.map((x) => `${x.id}@${o.host}:${x.controllerPort}`).join(',')}`,
    `listeners=PLAINTEXT://${o.host}:${node.port},CONTROLLER://${o.host}:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${o.host}:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${node.dataDir}`,
    'num.partitions=1',
    `default.replication.factor=${n}`,
    `min.insync.replicas=${minIsr}`,
    'unclean.leader.election.enable=false',
    `offsets.topic.replication.factor=${n}`,
    'offsets.topic.num.partitions=3',
    `transaction.state.log.replication.factor=${n}`,
    `transaction.state.log.min.isr=${minIsr}`,
    'transaction.state.log.num.partitions=3',
    `share.coordinator.state.topic.replication.factor=${n}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    'share.coordinator.state.topic.num.partitions=1',
    'group.initial.rebalance.delay.ms=0',
    'num.recovery.threads.per.data.dir=1',
    'num.network.threads=2',
    'num.io.threads=2',
    'background.threads=2',
    'log.cleaner.threads=1',
    'log.cleaner.dedupe.buffer.size=8388608',
    'log.cleaner.min.compaction.lag.ms=0',
    'log.cleaner.backoff.ms=2000',
    'log.retention.check.interval.ms=2000',
    // a killed node is noticed within seconds, not the default 9 s / 18 s
    'broker.session.timeout.ms=6000',
    'broker.heartbeat.interval.ms=1000',
    'replica.lag.time.max.ms=10000',
    '',
  ].join('\n');
}

export type ClusterStart = { state: 'started' | 'reused'; bootstrap: string; nodes: { id: number; pid: number; port: number; state: 'started' | 'reused' }[]; storage: 'kept' | 'fresh' };

const running = (n: ClusterNode) => ownedPid(n.pidFile, MAIN_CLASS);

/** Start (or reuse) every node; resolves when all accept clients. */
export async function startKafkaCluster(o: KafkaClusterOptions): Promise<ClusterStart> {
  if (o.nodes < 3) throw new PortraitError('USAGE', `a replicated Kafka cluster needs at least 3 nodes (--brokers ${o.nodes}); use the single broker otherwise (portrait stack up)`);
  const all = clusterNodes(o);
  const bootstrap = clusterBootstrap(o);
  const up = all.map(running);
  if (o.fresh && up.some((p) => p !== undefined)) throw new PortraitError('USAGE', 'Kafka cluster nodes of this stack run; stop them with `portrait stack down` before starting on fresh storage');
  if (up.every((p) => p !== undefined)) {
    for (const n of all)
      if ((await waitForPort(o.host, n.port, o.startTimeoutMs, () => isAlive(running(n) ?? -1))) !== 'up')
        throw new PortraitError('STACK_START_FAILED', `Kafka node ${n.id} (pid ${running(n)}) does not accept ${o.host}:${n.port}:\n${tailFile(n.logFile, 30)}`);
    return { state: 'reused', bootstrap, nodes: all.map((n, i) => ({ id: n.id, pid: up[i]!, port: n.port, state: 'reused' as const })), storage: 'kept' };
  }
  for (const [i, n] of all.entries()) {
    if (up[i] === undefined && ((await portAccepts(o.host, n.port)) || (await portAccepts(o.host, n.controllerPort)))) {
      throw new PortraitError('STACK_START_FAILED', `port ${n.port} or ${n.controllerPort} (Kafka node ${n.id}) is taken by a process this stack did not start (the single broker? stop it with \`portrait stack down\`)`);
    }
  }
  checkJava();
  const libs = ensureKafkaJars(o);
  mkdirSync(join(o.dir, 'conf'), { recursive: true });
  mkdirSync(join(o.dir, 'logs'), { recursive: true });
  const log4j = join(o.dir, 'conf', 'log4j2.properties');
  writeFileSync(log4j, LOG4J2);
  const jvmLog = [`-Dlog4j2.configurationFile=${log4j}`, `-Dkafka.logs.dir=${join(o.dir, 'logs')}`, '-Djava.awt.headless=true'];
  const cp = `${libs}/*`;
  if (o.fresh) rmSync(join(o.dir, 'data', 'kafka-cluster'), { recursive: true, force: true });
  // one cluster id for every node: kept from an earlier format, else new
  const formatted = all.filter((n) => existsSync(join(n.dataDir, 'meta.properties')));
  const keep = formatted.length === all.length;
  const clusterId = keep ? (/cluster\.id=(\S+)/.exec(readFileSync(join(all[0]!.dataDir, 'meta.properties'), 'utf8'))?.[1] ?? newClusterId()) : newClusterId();
  const nodes: ClusterStart['nodes'] = [];
  for (const [i, n] of all.entries()) {
    writeFileSync(n.propsFile, clusterNodeProperties(o, n, all));
    if (up[i] !== undefined) {
      nodes.push({ id: n.id, pid: up[i]!, port: n.port, state: 'reused' });
      continue;
    }
    if (!keep) {
      rmSync(n.dataDir, { recursive: true, force: true });
      mkdirSync(n.dataDir, { recursive: true });
      const fmt = spawnSync('java', ['-Xmx256m', ...jvmLog, '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', n.propsFile], { encoding: 'utf8' });
      if (fmt.status !== 0) throw new PortraitError('STACK_START_FAILED', `formatting the KRaft storage of node ${n.id} failed:\n${fmt.stdout}${fmt.stderr}`);
    }
    nodes.push({ id: n.id, pid: startNode(o, n, jvmLog, cp, keep), port: n.port, state: 'started' });
  }
  o.log?.(`starting a ${all.length}-node Kafka ${o.version} cluster (heap ${o.heap} each) on ${bootstrap}`);
  for (const n of all) {
    const pid = nodes.find((x) => x.id === n.id)!.pid;
    const ready = await waitForPort(o.host, n.port, o.startTimeoutMs, () => isAlive(pid));
    if (ready !== 'up') {
      await stopKafkaCluster(o);
      throw new PortraitError('STACK_START_FAILED', `Kafka node ${n.id} did not accept ${o.host}:${n.port} (${ready === 'died' ? 'it exited' : `no answer within ${o.startTimeoutMs} ms`}); last log lines:\n${tailFile(n.logFile, 30)}`);
    }
  }
  return { state: 'started', bootstrap, nodes, storage: keep ? 'kept' : 'fresh' };
}

function startNode(o: KafkaClusterOptions, n: ClusterNode, jvmLog: string[], cp: string, append: boolean): number {
  const out = openSync(n.logFile, append ? 'a' : 'w');
  const child = spawn('java', [`-Xmx${o.heap}`, `-Xms${o.heap}`, '-XX:+UseG1GC', '-XX:ActiveProcessorCount=1', ...jvmLog, '-cp', cp, MAIN_CLASS, n.propsFile], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  if (child.pid === undefined) throw new PortraitError('STACK_START_FAILED', 'could not spawn java');
  writePid(n.pidFile, child.pid);
  return child.pid;
}

/** Start one node again (after a fault test killed it), on its kept storage; resolves when it accepts clients. */
export async function restartKafkaNode(o: KafkaClusterOptions, id: number): Promise<number> {
  const all = clusterNodes(o);
  const n = all.find((x) => x.id === id);
  if (!n) throw new PortraitError('USAGE', `no Kafka node ${id} in a ${o.nodes}-node cluster`);
  const pid0 = running(n);
  if (pid0 !== undefined) return pid0;
  const log4j = join(o.dir, 'conf', 'log4j2.properties');
  const jvmLog = [`-Dlog4j2.configurationFile=${log4j}`, `-Dkafka.logs.dir=${join(o.dir, 'logs')}`, '-Djava.awt.headless=true'];
  const pid = startNode(o, n, jvmLog, `${ensureKafkaJars(o)}/*`, true);
  if ((await waitForPort(o.host, n.port, o.startTimeoutMs, () => isAlive(pid))) !== 'up') throw new PortraitError('STACK_START_FAILED', `Kafka node ${id} did not come back on ${o.host}:${n.port}:\n${tailFile(n.logFile, 30)}`);
  return pid;
}

/** The pid of each running node of this stack's cluster, by node id. */
export function kafkaClusterPids(o: Pick<KafkaClusterOptions, 'dir' | 'nodes' | 'port' | 'controllerPort'>): Map<number, number> {
  const out = new Map<number, number>();
  for (const n of clusterNodes(o)) {
    const pid = running(n);
    if (pid !== undefined) out.set(n.id, pid);
  }
  return out;
}

/** Stop every node this stack started (controlled shutdown, then the last resort). */
export async function stopKafkaCluster(o: Pick<KafkaClusterOptions, 'dir' | 'nodes' | 'port' | 'controllerPort'>): Promise<string[]> {
  const lines: string[] = [];
  // all at once: a controlled shutdown of the last nodes waits for a quorum the first ones left
  await Promise.all(
    clusterNodes(o).map(async (n) => {
      const pid = running(n);
      if (pid === undefined) return;
      const how = await stopGracefully(pid, 60_000);
      rmSync(n.pidFile, { force: true });
      lines.push(`kafka node ${n.id}: ${how} (pid ${pid})`);
    }),
  );
  return lines.sort();
}
