import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { untilRedisAnswers } from '../../../src/stack/redis.js';

/** A TCP server speaking just enough RESP: -LOADING for the first `loading` PINGs, then +PONG. */
async function fakeRedis(loading: number): Promise<{ server: Server; port: number; pings: () => number }> {
  let pings = 0;
  const server = createServer((sock) => {
    sock.on('data', () => {
      pings++;
      sock.write(pings <= loading ? '-LOADING Redis is loading the dataset in memory\r\n' : '+PONG\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, pings: () => pings };
}

let open: Server | undefined;
afterEach(() => open?.close());

describe('a redis-server of the stack is ready when it answers PING, not when its port opens', () => {
  it('waits while it is still loading its append-only file', async () => {
    const r = await fakeRedis(3);
    open = r.server;
    expect(await untilRedisAnswers('127.0.0.1', r.port, Date.now() + 5000)).toBe(true);
    expect(r.pings()).toBe(4);
  });

  it('gives up at the deadline, or once the process is gone', async () => {
    const r = await fakeRedis(1_000_000);
    open = r.server;
    const t0 = Date.now();
    expect(await untilRedisAnswers('127.0.0.1', r.port, Date.now() + 400)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await untilRedisAnswers('127.0.0.1', r.port, Date.now() + 5000, () => false)).toBe(false);
  });
});
