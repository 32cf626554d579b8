/**
 * docker-compose.yml is checked three ways, none of which needs a Docker engine:
 *  1. against the Compose Specification's JSON Schema (vendored here, see SCHEMA-SOURCE.md);
 *  2. by `docker-compose config -q` (Debian's docker-compose v1) when that binary is installed;
 *  3. by structural rules of this project (services, health checks, start order, Kafka settings).
 * Each check is also run on deliberately broken copies, so a check that cannot fail is caught.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..', '..');
const COMPOSE_FILE = resolve(ROOT, 'docker-compose.yml');
const SCHEMA_FILE = resolve(HERE, 'compose-spec.schema.json');

type Doc = Record<string, any>;

const composeText = readFileSync(COMPOSE_FILE, 'utf8');

/** Parse compose YAML the way Compose does: `<<` merge keys resolved (YAML 1.2 leaves them off). */
function parseCompose(text: string): Doc {
  return parse(text, { merge: true }) as Doc;
}

function loadDoc(): Doc {
  return parseCompose(composeText);
}

function compileSchema(): ValidateFunction {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Doc;
  // Formats (duration, ports, ...) are not checked: ajv-formats is not a dependency, and the
  // spec's formats are Compose-specific anyway. Unknown keywords (e.g. "deprecated") are allowed.
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  // The schema names its meta-schema "https://json-schema.org/draft-07/schema"; ajv knows draft-07
  // as "http://json-schema.org/draft-07/schema". Register the same meta-schema under the https id
  // so the vendored schema is itself validated as draft-07.
  const draft07 = JSON.parse(readFileSync(resolve(ROOT, 'node_modules/ajv/dist/refs/json-schema-draft-07.json'), 'utf8')) as Doc;
  ajv.addMetaSchema({ ...draft07, $id: schema.$schema as string });
  return ajv.compile(schema);
}

const validate = compileSchema();

function schemaErrors(doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

/** Environment in either Compose form (map or KEY=VALUE list) as a map. */
function envOf(service: Doc): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((kv: string) => {
        const i = kv.indexOf('=');
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env as Doc).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** JVM size such as 512m, 1g, 524288k in MiB; NaN when unreadable. */
function jvmSizeMiB(size: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(size);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  switch ((m[2] ?? '').toLowerCase()) {
    case 'g':
      return n * 1024;
    case 'm':
      return n;
    case 'k':
      return n / 1024;
    default:
      return n / (1024 * 1024);
  }
}

const REPLICATED_KAFKA = ['kafka-1', 'kafka-2', 'kafka-3'];
const REPLICATED_REDIS = ['redis-1', 'redis-2', 'redis-3', 'redis-4', 'redis-5', 'redis-6'];
const REPLICATED_APP = ['processor-replicated', 'api-replicated'];
const SERVICES = ['api', 'grafana', 'kafka', 'processor', 'prometheus', 'redis', ...REPLICATED_KAFKA, ...REPLICATED_REDIS, 'redis-cluster-init', ...REPLICATED_APP].sort();
const APP_SERVICES = ['processor', 'api'];
const MAX_HEAP_MIB = 512;

/** The project's own rules for the stack; returns one line per problem (empty = fine). */
function structureProblems(doc: Doc): string[] {
  const problems: string[] = [];
  const fail = (msg: string) => problems.push(msg);
  const services = (doc.services ?? {}) as Record<string, Doc>;

  if ('version' in doc) fail('top-level `version` is obsolete in the Compose Specification');
  const names = Object.keys(services).sort();
  if (names.join(',') !== SERVICES.join(',')) fail(`services are [${names.join(', ')}], expected [${SERVICES.join(', ')}]`);

  // Kafka: official image, KRaft combined node, replication factor 1, bounded heap.
  const kafka = services.kafka ?? {};
  if (!/^apache\/kafka:\d+\.\d+\.\d+$/.test(String(kafka.image ?? ''))) fail(`kafka image ${kafka.image} is not a pinned apache/kafka`);
  const kenv = envOf(kafka);
  const roles = (kenv.KAFKA_PROCESS_ROLES ?? '')
    .split(',')
    .map((r) => r.trim())
    .sort();
  if (roles.join(',') !== 'broker,controller') fail(`KAFKA_PROCESS_ROLES is "${kenv.KAFKA_PROCESS_ROLES}", expected broker,controller`);
  if (kenv.KAFKA_NODE_ID !== '1') fail('KAFKA_NODE_ID must be 1');
  if (kenv.KAFKA_CONTROLLER_QUORUM_VOTERS !== '1@kafka:9093') fail('KAFKA_CONTROLLER_QUORUM_VOTERS must be 1@kafka:9093');
  if (!/(^|,)CONTROLLER:\/\/[^,]*:9093(,|$)/.test(kenv.KAFKA_LISTENERS ?? '')) fail('no CONTROLLER listener on 9093');
  for (const key of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', 'KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR']) {
    if (kenv[key] !== '1') fail(`${key} must be 1 on a single broker`);
  }
  if (kenv.KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS !== '0') fail('KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS should be 0');
  const heapOpts = kenv.KAFKA_HEAP_OPTS ?? '';
  for (const flag of ['Xmx', 'Xms']) {
    const m = new RegExp(`-${flag}(\\S+)`).exec(heapOpts);
    if (!m) fail(`KAFKA_HEAP_OPTS has no -${flag}`);
    else if (!(jvmSizeMiB(m[1]!) <= MAX_HEAP_MIB)) fail(`KAFKA_HEAP_OPTS -${flag}${m[1]} is over ${MAX_HEAP_MIB}m`);
  }

  // Health checks where something waits on them.
  for (const name of ['kafka', 'redis', 'api']) {
    const hc = services[name]?.healthcheck as Doc | undefined;
    const test = hc?.test;
    if (!hc || hc.disable === true || test === undefined || (Array.isArray(test) && (test.length < 2 || test[0] === 'NONE'))) {
      fail(`${name} has no health check`);
    }
  }
  const kafkaProbe = JSON.stringify(kafka.healthcheck?.test ?? '');
  if (!/kafka-broker-api-versions\.sh|nc -z|\/dev\/tcp/.test(kafkaProbe)) fail('kafka health check probes neither the API nor the port');
  if (!/redis-cli[^"]*ping/.test(JSON.stringify(services.redis?.healthcheck?.test ?? ''))) fail('redis health check does not ping');
  if (!JSON.stringify(services.api?.healthcheck?.test ?? '').includes('/healthz')) fail('api health check does not call /healthz');

  // The two Portrait services: same image, built here, started after Kafka and Redis are healthy.
  const expectedCommand = { processor: 'run', api: 'api' } as Record<string, string>;
  const advertised = kenv.KAFKA_ADVERTISED_LISTENERS ?? '';
  for (const name of APP_SERVICES) {
    const svc = services[name] ?? {};
    const build = typeof svc.build === 'string' ? svc.build : svc.build?.context;
    if (build !== '.') fail(`${name} is not built from the project root`);
    const cmd = Array.isArray(svc.command) ? svc.command.join(' ') : String(svc.command ?? '');
    if (cmd !== expectedCommand[name]) fail(`${name} command is "${cmd}", expected "${expectedCommand[name]}"`);
    for (const dep of ['kafka', 'redis']) {
      const cond = Array.isArray(svc.depends_on) ? undefined : svc.depends_on?.[dep]?.condition;
      if (cond !== 'service_healthy') fail(`${name} does not wait for ${dep} to be healthy`);
    }
    const env = envOf(svc);
    const brokers = (env.PORTRAIT_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
    if (brokers.length === 0) fail(`${name} has no PORTRAIT_KAFKA_BROKERS`);
    for (const b of brokers) if (!advertised.includes(`://${b}`)) fail(`${name} broker ${b} is not an advertised Kafka listener`);
    if (!/^redis:\/\/redis:6379\/?/.test(env.PORTRAIT_REDIS_URL ?? '')) fail(`${name} PORTRAIT_REDIS_URL does not point at the redis service`);
  }
  if (services.processor?.image !== services.api?.image) fail('processor and api should share one image');
  const apiPorts = JSON.stringify(services.api?.ports ?? []);
  if (!/:8080(\/tcp)?"/.test(apiPorts) && !/"target":8080/.test(apiPorts)) fail('api does not publish container port 8080');

  return [...problems, ...replicatedProblems(services)];
}

/**
 * The `replicated` profile: the shape of `portrait stack up --brokers 3 --redis-cluster 3x1`
 * (three KRaft nodes, replication factor 3, min.insync.replicas 2; six Redis nodes joined into a
 * cluster with one replica per primary), and Portrait services that wait for all of it.
 */
function replicatedProblems(services: Record<string, Doc>): string[] {
  const problems: string[] = [];
  const fail = (msg: string) => problems.push(msg);
  const profiled = [...REPLICATED_KAFKA, ...REPLICATED_REDIS, 'redis-cluster-init', ...REPLICATED_APP];
  for (const name of profiled) if (!(services[name]?.profiles ?? []).includes('replicated')) fail(`${name} is not in the replicated profile`);

  const voters = REPLICATED_KAFKA.map((n, i) => `${i + 1}@${n}:9093`).join(',');
  const advertised: string[] = [];
  REPLICATED_KAFKA.forEach((name, i) => {
    const svc = services[name] ?? {};
    const env = envOf(svc);
    if (!/^apache\/kafka:\d+\.\d+\.\d+$/.test(String(svc.image ?? ''))) fail(`${name} image ${svc.image} is not a pinned apache/kafka`);
    if (env.KAFKA_NODE_ID !== String(i + 1)) fail(`${name} KAFKA_NODE_ID is ${env.KAFKA_NODE_ID}, expected ${i + 1}`);
    if (env.KAFKA_CONTROLLER_QUORUM_VOTERS !== voters) fail(`${name} KAFKA_CONTROLLER_QUORUM_VOTERS is ${env.KAFKA_CONTROLLER_QUORUM_VOTERS}, expected ${voters}`);
    if (env.KAFKA_ADVERTISED_LISTENERS !== `PLAINTEXT://${name}:9092`) fail(`${name} advertises ${env.KAFKA_ADVERTISED_LISTENERS}, expected PLAINTEXT://${name}:9092`);
    advertised.push(`${name}:9092`);
    const expect3: Record<string, string> = {
      KAFKA_DEFAULT_REPLICATION_FACTOR: '3',
      KAFKA_MIN_INSYNC_REPLICAS: '2',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '3',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '2',
      KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE: 'false',
    };
    for (const [k, v] of Object.entries(expect3)) if (env[k] !== v) fail(`${name} ${k} is ${env[k]}, expected ${v}`);
    const heap = /-Xmx(\S+)/.exec(env.KAFKA_HEAP_OPTS ?? '');
    if (!heap || !(jvmSizeMiB(heap[1]!) <= MAX_HEAP_MIB)) fail(`${name} KAFKA_HEAP_OPTS has no -Xmx within ${MAX_HEAP_MIB}m`);
    if (!JSON.stringify(svc.healthcheck?.test ?? '').includes('kafka-broker-api-versions')) fail(`${name} has no health check`);
  });
  const clusterIds = new Set(REPLICATED_KAFKA.map((n) => envOf(services[n] ?? {}).CLUSTER_ID));
  if (clusterIds.size !== 1 || clusterIds.has(undefined as unknown as string)) fail('the Kafka nodes do not share one CLUSTER_ID');

  for (const name of REPLICATED_REDIS) {
    const cmd = (services[name]?.command ?? []).join(' ');
    if (!/--cluster-enabled yes/.test(cmd)) fail(`${name} is not cluster-enabled`);
    if (!/redis-cli[^"]*ping/.test(JSON.stringify(services[name]?.healthcheck?.test ?? ''))) fail(`${name} health check does not ping`);
  }
  const init = services['redis-cluster-init'] ?? {};
  for (const n of REPLICATED_REDIS) if (init.depends_on?.[n]?.condition !== 'service_healthy') fail(`redis-cluster-init does not wait for ${n} to be healthy`);
  const script = JSON.stringify(init.command ?? '');
  if (!/--cluster create/.test(script) || !/--cluster-replicas 1/.test(script)) fail('redis-cluster-init does not create a cluster with one replica per primary');
  if (!/cluster_state:ok/.test(script)) fail('redis-cluster-init does not check for an existing cluster');

  for (const name of REPLICATED_APP) {
    const svc = services[name] ?? {};
    const env = envOf(svc);
    const brokers = (env.PORTRAIT_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
    if (brokers.sort().join(',') !== advertised.sort().join(',')) fail(`${name} PORTRAIT_KAFKA_BROKERS is ${env.PORTRAIT_KAFKA_BROKERS}, expected the three nodes`);
    if (env.PORTRAIT_KAFKA_REPLICATION_FACTOR !== '3') fail(`${name} PORTRAIT_KAFKA_REPLICATION_FACTOR is not 3`);
    const nodes = (env.PORTRAIT_REDIS_CLUSTER_NODES ?? '').split(',').filter(Boolean);
    if (nodes.join(',') !== REPLICATED_REDIS.map((n) => `${n}:6379`).join(',')) fail(`${name} PORTRAIT_REDIS_CLUSTER_NODES does not name the six Redis nodes`);
    if ('PORTRAIT_REDIS_URL' in env) fail(`${name} sets PORTRAIT_REDIS_URL (the single Redis) beside the cluster`);
    for (const n of REPLICATED_KAFKA) if (svc.depends_on?.[n]?.condition !== 'service_healthy') fail(`${name} does not wait for ${n} to be healthy`);
    if (svc.depends_on?.['redis-cluster-init']?.condition !== 'service_completed_successfully') fail(`${name} does not wait for the Redis Cluster to be created`);
  }
  if (services['processor-replicated']?.image !== services.processor?.image) fail('processor-replicated does not run the Portrait image');
  return problems;
}

/** A deep copy to break on purpose. */
function copy(): Doc {
  return structuredClone(loadDoc());
}

// ---------------------------------------------------------------------------------------------

describe('docker-compose.yml against the Compose Specification schema', () => {
  it('is valid', () => {
    expect(schemaErrors(loadDoc())).toEqual([]);
  });

  it('uses a YAML anchor for the shared Portrait service settings', () => {
    expect(composeText).toMatch(/^x-portrait: &portrait$/m);
    const raw = parse(composeText, { merge: false }) as Doc;
    expect(raw.services.processor['<<']).toBeDefined();
    expect(raw.services.api['<<']).toBeDefined();
  });

  const broken: Array<[string, (d: Doc) => void, RegExp]> = [
    ['an unknown service key', (d) => (d.services.kafka.imagee = d.services.kafka.image), /\/services\/kafka must NOT have additional properties/],
    ['a depends_on condition that does not exist', (d) => (d.services.api.depends_on.kafka.condition = 'service_ready'), /\/services\/api\/depends_on\/kafka\/condition must be equal to one of the allowed values/],
    ['a number where a duration string is required', (d) => (d.services.redis.healthcheck.interval = 5), /\/services\/redis\/healthcheck\/interval must be string/],
    ['an unknown health check key', (d) => (d.services.api.healthcheck.path = '/healthz'), /\/services\/api\/healthcheck must NOT have additional properties/],
    ['services as a list', (d) => (d.services = Object.keys(d.services)), /\/services must be object/],
    ['a restart policy that is not a string', (d) => (d.services.processor.restart = true), /\/services\/processor\/restart must be string/],
  ];
  it.each(broken)('rejects a copy with %s', (_what, breakIt, expected) => {
    const doc = copy();
    breakIt(doc);
    expect(schemaErrors(doc).join('\n')).toMatch(expected);
  });

  it('rejects the un-merged document (proves merge keys are resolved before validating)', () => {
    expect(schemaErrors(parse(composeText, { merge: false }))).not.toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

function hasBinary(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

const HAS_COMPOSE_V1 = hasBinary('docker-compose', ['version']);

/** `docker-compose config -q` on the given text (read from stdin, relative paths against ROOT). */
function composeConfig(text: string) {
  // Host-port overrides from the caller's shell would still be valid; unset them for a stable run.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('PORTRAIT_HOST_')) delete env[k];
  return spawnSync('docker-compose', ['-f', '-', 'config', '-q'], { cwd: ROOT, input: text, encoding: 'utf8', env, timeout: 60_000 });
}

describe('docker-compose config -q (Debian docker-compose v1)', () => {
  it.skipIf(!HAS_COMPOSE_V1)('accepts docker-compose.yml', () => {
    const r = composeConfig(composeText);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!HAS_COMPOSE_V1)('rejects a broken copy', () => {
    const r = composeConfig(composeText.replace(/condition: service_healthy/g, 'condition: service_ready'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/service_ready/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('docker-compose.yml structure', () => {
  it('meets the project rules', () => {
    expect(structureProblems(loadDoc())).toEqual([]);
  });

  it('runs the processor and the API from one image, on the internal Kafka listener', () => {
    const { services } = loadDoc();
    expect(services.processor.image).toBe(services.api.image);
    expect(envOf(services.processor).PORTRAIT_KAFKA_BROKERS).toBe('kafka:9092');
    expect(envOf(services.api).PORTRAIT_REDIS_URL).toBe('redis://redis:6379');
    expect(services.kafka.image).toMatch(/^apache\/kafka:/);
  });

  const broken: Array<[string, (d: Doc) => void, RegExp]> = [
    ['a missing service', (d) => delete d.services.redis, /services are/],
    ['another Kafka image', (d) => (d.services.kafka.image = 'bitnami/kafka:4.0'), /apache\/kafka/],
    ['a heap over 512m', (d) => (d.services.kafka.environment.KAFKA_HEAP_OPTS = '-Xmx1g -Xms512m'), /-Xmx1g is over/],
    ['no -Xms', (d) => (d.services.kafka.environment.KAFKA_HEAP_OPTS = '-Xmx256m'), /no -Xms/],
    ['replication factor 3', (d) => (d.services.kafka.environment.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR = 3), /OFFSETS_TOPIC/],
    ['no redis health check', (d) => delete d.services.redis.healthcheck, /redis has no health check/],
    ['a disabled api health check', (d) => (d.services.api.healthcheck = { disable: true }), /api has no health check/],
    ['depends_on without a condition', (d) => (d.services.processor.depends_on = ['kafka', 'redis']), /processor does not wait for kafka/],
    ['service_started instead of healthy', (d) => (d.services.api.depends_on.redis.condition = 'service_started'), /api does not wait for redis/],
    ['a broker address Kafka does not advertise', (d) => (d.services.processor.environment.PORTRAIT_KAFKA_BROKERS = 'kafka:29092'), /not an advertised/],
    ['a version key', (d) => (d.version = '3.8'), /version/],
    ['the wrong command', (d) => (d.services.api.command = ['run']), /api command/],
    ['a replicated node outside the profile', (d) => delete d.services['kafka-2'].profiles, /kafka-2 is not in the replicated profile/],
    ['two nodes with one id', (d) => (d.services['kafka-3'].environment.KAFKA_NODE_ID = 2), /kafka-3 KAFKA_NODE_ID is 2/],
    ['a quorum of two voters', (d) => (d.services['kafka-1'].environment.KAFKA_CONTROLLER_QUORUM_VOTERS = '1@kafka-1:9093,2@kafka-2:9093'), /kafka-1 KAFKA_CONTROLLER_QUORUM_VOTERS/],
    ['min.insync.replicas 1', (d) => (d.services['kafka-2'].environment.KAFKA_MIN_INSYNC_REPLICAS = 1), /kafka-2 KAFKA_MIN_INSYNC_REPLICAS is 1/],
    ['unclean leader election', (d) => (d.services['kafka-1'].environment.KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE = 'true'), /UNCLEAN_LEADER_ELECTION_ENABLE is true/],
    ['another CLUSTER_ID on one node', (d) => (d.services['kafka-3'].environment.CLUSTER_ID = 'x'), /one CLUSTER_ID/],
    ['a Redis node without cluster mode', (d) => (d.services['redis-4'].command = ['redis-server']), /redis-4 is not cluster-enabled/],
    ['a cluster without replicas', (d) => (d.services['redis-cluster-init'].command = ['redis-cli --cluster create a b c --cluster-yes; cluster_state:ok']), /one replica per primary/],
    ['the processor on two of three brokers', (d) => (d.services['processor-replicated'].environment.PORTRAIT_KAFKA_BROKERS = 'kafka-1:9092,kafka-2:9092'), /processor-replicated PORTRAIT_KAFKA_BROKERS/],
    ['the API on the single Redis', (d) => (d.services['api-replicated'].environment.PORTRAIT_REDIS_URL = 'redis://redis:6379'), /api-replicated sets PORTRAIT_REDIS_URL/],
    ['a processor that starts before the cluster exists', (d) => (d.services['processor-replicated'].depends_on['redis-cluster-init'].condition = 'service_started'), /processor-replicated does not wait for the Redis Cluster/],
  ];
  it.each(broken)('flags a copy with %s', (_what, breakIt, expected) => {
    const doc = copy();
    breakIt(doc);
    const problems = structureProblems(doc);
    expect(problems.join('\n')).toMatch(expected);
  });

  it('reads JVM sizes', () => {
    expect(jvmSizeMiB('512m')).toBe(512);
    expect(jvmSizeMiB('1G')).toBe(1024);
    expect(jvmSizeMiB('524288k')).toBe(512);
    expect(jvmSizeMiB('lots')).toBeNaN();
  });
});
