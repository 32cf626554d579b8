import { spawn } from 'node:child_process';
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PortraitError } from '../util/errors.js';
import { isAlive, ownedPid, stopGracefully, tailFile, waitForPort, writePid } from './proc.js';

export interface RedisStackOptions {
  dir: string;
  host: string;
  port: number;
  startTimeoutMs: number;
  log?: (msg: string) => void;
}

/** True when a Redis server answers PING with PONG (or asks for auth, which also means it is Redis). */
export function redisAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG') || buf.startsWith('-NOAUTH'));
    });
    sock.once('error', () => done(false));
  });
}

/**
 * Whether Redis answers PING before `deadline`, asking every 100 ms while `alive`: its port opens
 * before the append-only file is loaded, and until then PING gets -LOADING (a kept stack folder
 * with data took ~10 ms here, enough for a first PING to fail).
 */
export async function untilRedisAnswers(host: string, port: number, deadline: number, alive: () => boolean = () => true): Promise<boolean> {
  for (;;) {
    if (await redisAnswers(host, port)) return true;
    if (Date.now() >= deadline || !alive()) return false;
    await sleep(100);
  }
}

export async function ensureRedis(o: RedisStackOptions): Promise<{ state: 'started' | 'reused' | 'external'; pid?: number; url: string }> {
  const url = `redis://${o.host}:${o.port}`;
  const pidFile = join(o.dir, 'redis.pid');
  const ours = ownedPid(pidFile, 'redis-server');
  if (await redisAnswers(o.host, o.port)) return ours === undefined ? { state: 'external', url } : { state: 'reused', pid: ours, url };
  const logDir = join(o.dir, 'logs');
  const dataDir = join(o.dir, 'data', 'redis');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(logDir, 'redis.log');
  const out = openSync(logFile, 'w');
  // Persistent (append-only file in the stack folder), like the broker's storage: `stack down` /
  // `stack up` keeps profiles and the broker's offsets in step.
  const child = spawn('redis-server', ['--port', String(o.port), '--bind', o.host, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dataDir], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    const err = await spawnError;
    throw new PortraitError('STACK_DEPENDENCY', `no Redis answers on ${url} and redis-server could not be started (${err.message}); install Redis or set PORTRAIT_REDIS_URL`);
  }
  writePid(pidFile, pid);
  o.log?.(`starting redis-server (pid ${pid}) on ${url}`);
  const deadline = Date.now() + o.startTimeoutMs;
  const ready = await waitForPort(o.host, o.port, o.startTimeoutMs, () => isAlive(pid));
  if (ready !== 'up' || !(await untilRedisAnswers(o.host, o.port, deadline, () => isAlive(pid)))) {
    rmSync(pidFile, { force: true });
    throw new PortraitError('STACK_START_FAILED', `redis-server did not answer on ${url}:\n${tailFile(logFile, 20)}`);
  }
  return { state: 'started', pid, url };
}

export async function stopRedis(o: Pick<RedisStackOptions, 'dir'>): Promise<string> {
  const pidFile = join(o.dir, 'redis.pid');
  const pid = ownedPid(pidFile, 'redis-server');
  if (pid === undefined) return 'redis: not started by this stack';
  const how = await stopGracefully(pid, 15_000);
  rmSync(pidFile, { force: true });
  return `redis: ${how} (pid ${pid})`;
}
