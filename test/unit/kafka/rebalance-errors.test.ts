import { describe, expect, it } from 'vitest';
import { isRebalanceError } from '../../../src/kafka/runner.js';

describe('errors that mean the group is changing under a member', () => {
  it('are the ones kafkajs recovers from by rejoining (a chunk meeting one is given up, not retried)', () => {
    const kafkajs = (type: string) => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable: true });
    for (const type of ['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']) expect(isRebalanceError(kafkajs(type)), type).toBe(true);
    for (const type of ['LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'REQUEST_TIMED_OUT', 'NETWORK_EXCEPTION']) expect(isRebalanceError(kafkajs(type)), type).toBe(false);
    expect(isRebalanceError(new Error('Connection is closed.'))).toBe(false);
    expect(isRebalanceError(undefined)).toBe(false);
    expect(isRebalanceError(null)).toBe(false);
  });
});
