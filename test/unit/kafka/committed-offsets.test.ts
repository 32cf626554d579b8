import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { committedOffsets } from '../../../src/kafka/offsets.js';

/** kafkajs's error for a broker's answer (KafkaJSProtocolError: a type and a retriable flag). */
const protocolError = (type: string) => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable: true });

/** An admin whose fetchOffsets throws `errors` in turn, then answers; with the pauses asked for. */
function admin(errors: Error[]) {
  const calls = { fetches: 0, pauses: [] as number[] };
  const fake: Pick<Admin, 'fetchOffsets'> = {
    fetchOffsets: async () => {
      calls.fetches++;
      const err = errors.shift();
      if (err) throw err;
      return [
        {
          topic: 't',
          partitions: [
            { partition: 0, offset: '42', metadata: null },
            { partition: 1, offset: '-1', metadata: null },
          ],
        },
      ];
    },
  };
  const pause = async (ms: number) => void calls.pauses.push(ms);
  return { fake, calls, pause };
}

describe('committedOffsets', () => {
  it('asks again while the group coordinator is loading or not there yet (kafkajs admin.fetchOffsets does not), then answers', async () => {
    const a = admin([protocolError('GROUP_LOAD_IN_PROGRESS'), protocolError('GROUP_COORDINATOR_NOT_AVAILABLE'), protocolError('NOT_COORDINATOR_FOR_GROUP'), protocolError('GROUP_LOAD_IN_PROGRESS')]);
    const got = await committedOffsets(a.fake, 'g', 't', 60_000, a.pause);
    expect(got).toEqual(
      new Map([
        [0, 42],
        [1, undefined],
      ]),
    );
    expect(a.calls.fetches).toBe(5);
    expect(a.calls.pauses).toEqual([250, 500, 1000, 2000]);
  });

  it('gives up with the coordinator error once the pauses would pass the wait', async () => {
    const a = admin(Array.from({ length: 100 }, () => protocolError('GROUP_LOAD_IN_PROGRESS')));
    await expect(committedOffsets(a.fake, 'g', 't', 5000, a.pause)).rejects.toMatchObject({ type: 'GROUP_LOAD_IN_PROGRESS' });
    expect(a.calls.pauses).toEqual([250, 500, 1000, 2000]);
  });

  it('throws any other error at once', async () => {
    for (const err of [protocolError('TOPIC_AUTHORIZATION_FAILED'), protocolError('UNKNOWN_TOPIC_OR_PARTITION'), new Error('Connection is closed.')]) {
      const a = admin([err]);
      await expect(committedOffsets(a.fake, 'g', 't', 60_000, a.pause)).rejects.toBe(err);
      expect(a.calls.pauses).toEqual([]);
    }
  });
});
