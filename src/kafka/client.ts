import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Config } from '../config/index.js';
import type { Logger } from '../util/logger.js';
import { KafkaJsClient } from './kafkajs-client.js';
import type { KafkaClient } from './types.js';

// kafkajs's default-partitioner notice is about upgrades from v1; Portrait always used v2's.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const levelMap: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs warns that limiting an idempotent producer's retries "may invalidate EoS guarantees".
 * Portrait does not rely on Kafka exactly-once: a failed send is retried by the runner with the
 * same records, and downstream deduplicates profile events by version. The warning is dropped.
 */
const KNOWN_NOISE = /Limiting retries for the idempotent producer/;

/**
 * Broker answers that kafkajs retries by itself and that clear within seconds: a topic just created
 * (its partitions not yet hosted), a group coordinator loading or moving, a leader election, a
 * rebalance. Logged at debug: they are not failures, and they interleaved the human output of the
 * demo, produce and replay. An operation that still fails after the retries throws, and Portrait
 * reports that (or retries the batch, logged at warn).
 */
const TRANSIENT =
  /does not host this topic-partition|coordinator is loading|coordinator is not available|not the correct coordinator|no leader for this topic-partition|leadership election|group is rebalancing|not the leader for that topic-partition/i;

/** Route kafkajs logs into pino; its own retry chatter at ERROR level is logged at warn, transient broker answers at debug. */
export function logCreator(log: Logger) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      if (KNOWN_NOISE.test(message)) return;
      const lvl = levelMap[level] ?? 'info';
      const transient = TRANSIENT.test(`${message} ${typeof rest.error === 'string' ? rest.error : ''}`);
      log[transient ? 'debug' : lvl === 'error' ? 'warn' : lvl]({ kafkajs: namespace, ...rest }, message);
    };
}

/** The kafkajs client as configured: for src/kafka (the comments runner, topic IDs) and, until it moves to `createKafkaClient`, consumers/comments.ts. */
export function createKafka(cfg: Pick<Config, 'kafka'>, log: Logger, clientIdSuffix = ''): Kafka {
  const k = cfg.kafka;
  const conf: KafkaConfig = {
    clientId: `${k.clientId}${clientIdSuffix}`,
    brokers: [...k.brokers],
    logLevel: logLevel.WARN,
    logCreator: logCreator(log.child({ component: 'kafkajs' })),
    retry: { initialRetryTime: 300, retries: 10 },
    connectionTimeout: 5000,
  };
  if (k.ssl) conf.ssl = true;
  if (k.sasl) conf.sasl = { mechanism: k.sasl.mechanism, username: k.sasl.username, password: k.sasl.password } as SASLOptions;
  return new Kafka(conf);
}

/**
 * Portrait's Kafka client (src/kafka/types.ts) as configured: what everything outside src/kafka
 * uses. `clientIdSuffix` tells the connections of one process apart (e.g. '-api').
 */
export function createKafkaClient(cfg: Pick<Config, 'kafka'>, log: Logger, clientIdSuffix = ''): KafkaClient {
  return new KafkaJsClient(createKafka(cfg, log, clientIdSuffix));
}
