import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { TopicIds } from '../../src/kafka/topic-ids.js';
import { isAlive } from '../../src/stack/proc.js';
import { portAccepts, redisAnswers } from '../../src/stack/index.js';

const run = promisify(execFile);
const bin = resolve(import.meta.dirname, '../../bin/portrait.js');

describe('portrait stack up / down (the local stack without Docker)', () => {
  // A second stack on its own ports and folder, so the suite's own broker is untouched.
  const dir = mkdtempSync(join(tmpdir(), 'portrait-stack-'));
  const env = {
    ...process.env,
    PORTRAIT_STACK_DIR: dir,
    PORTRAIT_STACK_KAFKA_PORT: '19192',
    PORTRAIT_STACK_CONTROLLER_PORT: '19193',
    PORTRAIT_STACK_REDIS_PORT: '16390',
    PORTRAIT_REDIS_URL: 'redis://127.0.0.1:16390',
  };
  const cli = (...args: string[]) => run(process.execPath, [bin, 'stack', ...args], { env, timeout: 180_000 });
  afterAll(async () => {
    await cli('down').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts Kafka and Redis, reuses them on a second up, and stops exactly them on down', async () => {
    const first = JSON.parse((await cli('up', '--json')).stdout) as { kafka: { state: string; pid: number }; redis: { state: string; pid: number } };
    expect(first.kafka.state).toBe('started');
    expect(first.redis.state).toBe('started');
    expect(await portAccepts('127.0.0.1', 19192)).toBe(true);
    expect(await redisAnswers('127.0.0.1', 16390)).toBe(true);
    expect(readFileSync(join(dir, 'logs', 'kafka.log'), 'utf8')).toContain('Kafka Server started');
    const jvm = readFileSync(`/proc/${first.kafka.pid}/cmdline`, 'utf8').split('\0');
    expect(jvm).toContain('-Xmx512m');

    const second = JSON.parse((await cli('up', '--json')).stdout) as typeof first;
    expect(second.kafka).toMatchObject({ state: 'reused', pid: first.kafka.pid });
    expect(second.redis).toMatchObject({ state: 'reused', pid: first.redis.pid });

    const down = (await cli('down')).stdout;
    expect(down).toContain(`kafka: stopped (pid ${first.kafka.pid})`);
    expect(down).toContain(`redis: stopped (pid ${first.redis.pid})`);
    expect(isAlive(first.kafka.pid)).toBe(false);
    expect(isAlive(first.redis.pid)).toBe(false);
    expect(await portAccepts('127.0.0.1', 19192)).toBe(false);
    expect(existsSync(join(dir, 'kafka.pid'))).toBe(false);

    // A second down has nothing of its own to stop.
    expect((await cli('down')).stdout).toContain('kafka: not started by this stack');
  });

  it('keeps the broker storage across down and up (same topic, same topic ID); --fresh starts empty and says which namespaces hold state', async () => {
    const kafka = new Kafka({ clientId: 'stack-test', brokers: ['127.0.0.1:19192'], logLevel: logLevel.NOTHING });
    const idOf = async () => {
      const ids = new TopicIds(kafka);
      try {
        return await ids.lookup(['kept']);
      } finally {
        await ids.close();
      }
    };
    await cli('up');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const before = (await idOf()).get('kept')!;
    expect(before.exists).toBe(true);
    await cli('down');

    const again = await cli('up', '--json');
    expect(JSON.parse(again.stdout).kafka).toMatchObject({ state: 'started', storage: 'kept' });
    expect(again.stderr).toContain('kept its storage');
    expect((await idOf()).get('kept')).toEqual(before);

    // --fresh refuses while the broker runs, before touching anything
    const refused = await cli('up', '--fresh').then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused?.code).toBe(2);
    expect(refused?.stderr).toContain('portrait stack down');

    // state in a namespace of this stack's Redis: named by --fresh, kept without --drop-state
    const redis = new Redis({ port: 16390, host: '127.0.0.1', maxRetriesPerRequest: 20 });
    redis.on('error', () => {}); // down / up stop and start this stack's Redis under it
    await redis.hset('portrait:main:u:{erin}:p', 'v', '1');
    await cli('down');
    const fresh = await cli('up', '--fresh', '--json');
    // the stack's own Redis keeps its data too (append-only file in the stack folder)
    expect(JSON.parse(fresh.stdout).kafka).toMatchObject({ state: 'started', storage: 'fresh' });
    expect(fresh.stderr).toContain('main (1 profiles)');
    expect((await idOf()).get('kept')!.exists).toBe(false);
    expect(await redis.exists('portrait:main:u:{erin}:p')).toBe(1);

    await cli('down');
    const dropped = await cli('up', '--fresh', '--drop-state', '--json');
    expect(JSON.parse(dropped.stdout).dropped).toEqual([{ namespace: 'main', keys: 1 }]);
    expect(await redis.exists('portrait:main:u:{erin}:p')).toBe(0);
    redis.disconnect();
    await cli('down');
  });
});
