import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PortraitError } from '../util/errors.js';
import { isAlive, ownedPid, portAccepts, stopGracefully, tailFile, waitForPort, writePid } from './proc.js';

export interface KafkaStackOptions {
  /** Absolute stack folder (jars, data, logs, pid files), git-ignored. */
  dir: string;
  /** Absolute path of the pom that lists the broker artifacts. */
  pom: string;
  version: string;
  log4jSlf4jVersion: string;
  host: string;
  port: number;
  controllerPort: number;
  heap: string;
  startTimeoutMs: number;
  log?: (msg: string) => void;
  /**
   * Extra broker properties, appended after the defaults (a later key wins), e.g. a SASL_PLAINTEXT
   * listener: `{ 'listener.security.protocol.map': 'PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT', ... }`.
   */
  extraProperties?: Record<string, string>;
  /**
   * Keep the data folder of an earlier start, so the broker comes back with its topics, topic IDs
   * and committed offsets (the default of `portrait stack up`); false formats fresh storage.
   */
  keepData?: boolean;
}

export const MAIN_CLASS = 'kafka.Kafka';

export function kafkaLibDir(o: Pick<KafkaStackOptions, 'dir' | 'version'>): string {
  return join(o.dir, `kafka-${o.version}`, 'libs');
}

function requireTool(cmd: string, args: string[], hint: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new PortraitError('STACK_DEPENDENCY', `'${cmd}' is needed to run the local Kafka broker without Docker (${hint}); it was not found or failed`);
  }
  return `${r.stdout}${r.stderr}`;
}

export function checkJava(): void {
  const out = requireTool('java', ['-version'], 'install a JDK 17 or newer');
  const m = /version "(\d+)/.exec(out);
  if (m && Number(m[1]) < 17) throw new PortraitError('STACK_DEPENDENCY', `Kafka 4.x needs Java 17 or newer; found Java ${m[1]}`);
}

/**
 * Resolve the broker jars from Maven Central once, into a version-named folder (copy-dependencies
 * never deletes old jars, so each version gets its own folder). A marker file makes a partial
 * download visible: it is retried rather than used.
 */
export function ensureKafkaJars(o: KafkaStackOptions): string {
  const libs = kafkaLibDir(o);
  const marker = join(libs, '.complete');
  if (existsSync(marker)) return libs;
  requireTool('mvn', ['-v'], 'install Apache Maven');
  o.log?.(`resolving Apache Kafka ${o.version} broker jars from Maven Central into ${libs}`);
  rmSync(libs, { recursive: true, force: true });
  const r = spawnSync('mvn', ['-q', '-B', '-f', o.pom, `-Dkafka.version=${o.version}`, `-Dlog4j.version=${o.log4jSlf4jVersion}`, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) {
    throw new PortraitError('STACK_START_FAILED', `mvn could not resolve org.apache.kafka:kafka_2.13:${o.version}:\n${(r.stdout + r.stderr).slice(-3000)}`);
  }
  const jars = readdirSync(libs).filter((f) => f.endsWith('.jar'));
  if (!jars.some((j) => j.startsWith('kafka_2.13-')) || !jars.some((j) => j.startsWith('log4j-slf4j-impl-'))) {
    throw new PortraitError('STACK_START_FAILED', `the Kafka jar folder ${libs} is incomplete after mvn (${jars.length} jars)`);
  }
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return libs;
}

export function serverProperties(o: KafkaStackOptions, dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${o.host}:${o.controllerPort}`,
    `listeners=PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${o.host}:${o.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'share.coordinator.state.topic.num.partitions=1',
    'group.initial.rebalance.delay.ms=0',
    'num.recovery.threads.per.data.dir=1',
    'log.cleaner.dedupe.buffer.size=8388608',
    // compacted profiles topic and feature log: let the cleaner run soon enough to be observable locally
    'log.cleaner.min.compaction.lag.ms=0',
    'log.cleaner.backoff.ms=2000',
    // time retention applied within seconds rather than the stock 5 minutes (a local stack; a
    // retention test watches segments deleted: test/integration/feature-replay.test.ts)
    'log.retention.check.interval.ms=2000',
    ...Object.entries(o.extraProperties ?? {}).map(([k, v]) => `${k}=${v}`),
    '',
  ].join('\n');
}

export const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = OUT
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = info
`;

/** Cluster id: 16 random bytes, base64url without padding (22 chars), never starting with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export type StartResult = {
  state: 'started' | 'reused' | 'external';
  pid?: number;
  bootstrap: string;
  /** started: on the storage of an earlier start (kept) or on freshly formatted storage */
  storage?: 'kept' | 'fresh';
};

/** The broker's data folder under the stack folder. */
export function kafkaDataDir(o: Pick<KafkaStackOptions, 'dir'>): string {
  return join(o.dir, 'data', 'kafka');
}

/** Whether the stack folder holds a formatted broker storage from an earlier start. */
export function hasKafkaData(o: Pick<KafkaStackOptions, 'dir'>): boolean {
  return existsSync(join(kafkaDataDir(o), 'meta.properties'));
}

/** Whether the broker of this stack folder runs now (its pid file names a live Kafka). */
export function kafkaRunning(o: Pick<KafkaStackOptions, 'dir'>): number | undefined {
  return ownedPid(join(o.dir, 'kafka.pid'), MAIN_CLASS);
}

export async function startKafka(o: KafkaStackOptions): Promise<StartResult> {
  const bootstrap = `${o.host}:${o.port}`;
  const pidFile = join(o.dir, 'kafka.pid');
  const running = ownedPid(pidFile, MAIN_CLASS);
  if (running !== undefined) {
    const ready = await waitForPort(o.host, o.port, o.startTimeoutMs, () => isAlive(running));
    if (ready === 'up') return { state: 'reused', pid: running, bootstrap };
    throw new PortraitError('STACK_START_FAILED', `the Kafka broker started earlier (pid ${running}) does not accept ${bootstrap}:\n${tailFile(join(o.dir, 'logs', 'kafka.log'), 30)}`);
  }
  if (await portAccepts(o.host, o.port)) {
    o.log?.(`something already listens on ${bootstrap}; using it as the broker (not started by this stack, so stack:down leaves it alone)`);
    return { state: 'external', bootstrap };
  }
  checkJava();
  const libs = ensureKafkaJars(o);
  const confDir = join(o.dir, 'conf');
  const logDir = join(o.dir, 'logs');
  const dataDir = kafkaDataDir(o);
  mkdirSync(confDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  // Keep a formatted data dir when asked (a restart of the same broker keeps its topics, topic IDs
  // and offsets); otherwise format fresh storage (a leftover dir with another cluster id would fail).
  const reuse = o.keepData === true && existsSync(join(dataDir, 'meta.properties'));
  if (!reuse) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
  }
  const props = join(confDir, 'server.properties');
  const log4j = join(confDir, 'log4j2.properties');
  writeFileSync(props, serverProperties(o, dataDir));
  writeFileSync(log4j, LOG4J2);
  const cp = `${libs}/*`;
  const jvmLog = [`-Dlog4j2.configurationFile=${log4j}`, `-Dkafka.logs.dir=${logDir}`, '-Djava.awt.headless=true'];
  if (!reuse) {
    const fmt = spawnSync('java', ['-Xmx256m', ...jvmLog, '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', props], { encoding: 'utf8' });
    if (fmt.status !== 0) throw new PortraitError('STACK_START_FAILED', `formatting KRaft storage failed:\n${fmt.stdout}${fmt.stderr}`);
  }

  const logFile = join(logDir, 'kafka.log');
  const out = openSync(logFile, reuse ? 'a' : 'w');
  const child = spawn('java', [`-Xmx${o.heap}`, `-Xms${o.heap}`, '-XX:+UseG1GC', ...jvmLog, '-cp', cp, MAIN_CLASS, props], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  if (child.pid === undefined) throw new PortraitError('STACK_START_FAILED', 'could not spawn java');
  const pid = child.pid;
  writePid(pidFile, pid);
  o.log?.(`starting Kafka ${o.version} (pid ${pid}, heap ${o.heap}) on ${bootstrap}`);
  const ready = await waitForPort(o.host, o.port, o.startTimeoutMs, () => isAlive(pid));
  if (ready !== 'up') {
    if (isAlive(pid)) await stopGracefully(pid, 10_000);
    rmSync(pidFile, { force: true });
    throw new PortraitError('STACK_START_FAILED', `Kafka did not accept ${bootstrap} (${ready === 'died' ? 'the broker exited' : `no answer within ${o.startTimeoutMs} ms`}); last log lines:\n${tailFile(logFile, 30)}`);
  }
  return { state: 'started', pid, bootstrap, storage: reuse ? 'kept' : 'fresh' };
}

export async function stopKafka(o: Pick<KafkaStackOptions, 'dir' | 'log'>): Promise<string> {
  const pidFile = join(o.dir, 'kafka.pid');
  const pid = ownedPid(pidFile, MAIN_CLASS);
  if (pid === undefined) return 'kafka: not started by this stack';
  // Controlled shutdown on SIGTERM; give it time before the last resort.
  const how = await stopGracefully(pid, 60_000);
  rmSync(pidFile, { force: true });
  return `kafka: ${how} (pid ${pid})`;
}
