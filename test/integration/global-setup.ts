/**
 * Finds or starts the real services for the integration tests:
 * 1. KAFKA_BROKERS and REDIS_URL when both are set;
 * 2. else, when a Docker engine answers, Kafka and Redis containers via testcontainers;
 * 3. else the local stack (Kafka from Maven jars + redis-server), stopping at the end only what it started.
 * Also makes sure the embedding model is present (fetching it if needed).
 */
import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { loadConfig, projectPath } from '../../src/config/index.js';
import { fetchBundledModel } from '../../src/embed/model-fetch.js';
import { stackDown, stackUp } from '../../src/stack/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    redisUrl: string;
    modelDir: string;
    servicesFrom: string;
  }
}

function dockerEngineAnswers(): boolean {
  if (process.env.PORTRAIT_TEST_NO_DOCKER === '1') return false;
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && r.stdout.trim() !== '';
}

async function startContainers(): Promise<{ brokers: string[]; redisUrl: string; stop: () => Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const hostPort = 29092;
  const kafka = await new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts({ container: hostPort, host: hostPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${hostPort},CONTROLLER://localhost:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_HEAP_OPTS: '-Xmx512m -Xms512m',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const redis = await new GenericContainer('redis:7-alpine')
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start();
  return {
    brokers: [`127.0.0.1:${hostPort}`],
    redisUrl: `redis://127.0.0.1:${redis.getMappedPort(6379)}`,
    stop: async () => {
      await kafka.stop();
      await redis.stop();
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cfg = loadConfig();
  const modelDir = projectPath(cfg.embedder.modelDir);
  fetchBundledModel(modelDir, (m) => console.log(`[setup] ${m}`));
  project.provide('modelDir', modelDir);

  let teardown = async (): Promise<void> => {};
  let brokers: string[];
  let redisUrl: string;
  let from: string;
  if (process.env.KAFKA_BROKERS && process.env.REDIS_URL) {
    brokers = process.env.KAFKA_BROKERS.split(',').map((s) => s.trim());
    redisUrl = process.env.REDIS_URL;
    from = 'environment (KAFKA_BROKERS, REDIS_URL)';
  } else if (dockerEngineAnswers()) {
    const c = await startContainers();
    brokers = c.brokers;
    redisUrl = c.redisUrl;
    teardown = c.stop;
    from = 'testcontainers';
  } else {
    const info = await stackUp(cfg, (m) => console.log(`[setup] ${m}`));
    brokers = [info.kafka.bootstrap];
    redisUrl = info.redis.url;
    from = `local stack (kafka ${info.kafka.state}, redis ${info.redis.state})`;
    if (info.kafka.state === 'started' || info.redis.state === 'started') {
      teardown = async () => {
        // Stop only what this setup started: a stack that was already up stays up.
        if (info.kafka.state === 'started' || info.redis.state === 'started') await stackDown(cfg);
      };
    }
  }
  console.log(`[setup] integration tests use Kafka ${brokers.join(',')} and Redis ${redisUrl} from ${from}`);
  project.provide('kafkaBrokers', brokers);
  project.provide('redisUrl', redisUrl);
  project.provide('servicesFrom', from);
  return teardown;
}
