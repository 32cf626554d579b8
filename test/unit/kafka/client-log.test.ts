import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { logCreator } from '../../../src/kafka/client.js';
import type { Logger } from '../../../src/util/logger.js';

function capture() {
  const calls: { level: string; msg: string }[] = [];
  const at = (level: string) => (_o: unknown, msg: string) => void calls.push({ level, msg });
  const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as Logger;
  const write = logCreator(log)();
  const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}) => write({ namespace: 'Connection', level, label: '', log: { timestamp: '', message, ...extra } });
  return { calls, entry };
}

describe('kafkajs log routing', () => {
  it('logs transient, retried broker answers at debug, so they stay out of human output', () => {
    const { calls, entry } = capture();
    entry(logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', { error: 'This server does not host this topic-partition' });
    entry(logLevel.ERROR, 'Response FindCoordinator', { error: "The coordinator is loading and hence can't process requests" });
    entry(logLevel.WARN, 'Group rebalancing', { error: 'The group is rebalancing, so a rejoin is needed' });
    expect(calls.map((c) => c.level)).toEqual(['debug', 'debug', 'debug']);
  });

  it('keeps real failures visible: kafkajs errors at warn, its warnings at warn, one known notice dropped', () => {
    const { calls, entry } = capture();
    entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    entry(logLevel.WARN, 'SASL PLAIN authentication failed', { error: 'SASL PLAIN authentication failed' });
    entry(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees');
    expect(calls).toEqual([
      { level: 'warn', msg: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' },
      { level: 'warn', msg: 'SASL PLAIN authentication failed' },
    ]);
  });
});
