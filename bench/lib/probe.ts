/**
 * In-process probes for a bench child: main-thread event-loop delay, Redis and Kafka round trips
 * (socket writes: ioredis's auto-pipelining flushes every command queued in one tick with a single
 * write, so one write = one round trip), Redis commands by name, and memory.
 *
 * Install before any client connects.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface ProbeSnapshot {
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number };
  /**
   * writes: every socket write to Redis (= round trips); background: writes that carried no command
   * on a user's keys or the embedding cache (the active-namespace poll, the telemetry publisher: on
   * timers, not per batch); reads: writes that carried a read of users' stored states (HMGET: a
   * user's first read, or a re-read after a lost compare-and-set); commands: by name.
   */
  redis: { writes: number; background: number; reads: number; commands: number; byCommand: Record<string, number> };
  kafka: { writes: number };
  rssMiB: number;
  hwmMiB: number;
  /** CPU time of the whole process (all threads: main, model worker, ORT pool) since reset, ms */
  cpuMs: number;
  /**
   * The same CPU time by thread since reset, ms: `main` the event loop (decode, preprocess,
   * classify, store, publish, the clients), `model` the threads running below the process's
   * priority (the embedding worker and onnxruntime's intra-op pool: embedder.nice), `other` the
   * rest (V8's GC helpers, libuv's pool). Linux only (/proc); zeros elsewhere.
   */
  threadCpuMs: ThreadCpu;
  /** the main thread's V8 heap in use, and memory held outside it (Buffers, typed arrays), MiB */
  heapUsedMiB: number;
  /** V8 heap committed (used + free space V8 keeps): RSS follows this, not heapUsed */
  heapTotalMiB: number;
  externalMiB: number;
}

export function memoryMiB(pid: number | 'self' = 'self'): { rss: number; hwm: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
    return { rss: Math.round(kb('VmRSS') / 102.4) / 10, hwm: Math.round(kb('VmHWM') / 102.4) / 10 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

export interface ThreadCpu {
  main: number;
  model: number;
  other: number;
}

/** Per-thread CPU of this process from /proc/self/task, grouped as ThreadCpu (ms). */
export function threadCpu(): ThreadCpu {
  const out: ThreadCpu = { main: 0, model: 0, other: 0 };
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  const tick = 10; // ms per clock tick (USER_HZ 100 on Linux)
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(f[11]) + Number(f[12])) * tick; // utime, stime
      const nice = Number(f[16]);
      if (Number(tid) === process.pid) out.main += ms;
      else if (nice > 0) out.model += ms;
      else out.other += ms;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

export class Probe {
  private readonly eld: IntervalHistogram;
  private redisWrites = 0;
  private redisBackground = 0;
  /** commands handed to ioredis since the last socket write: did any touch the batch path? */
  private pendingBatchPath = false;
  private pendingRead = false;
  private redisReads = 0;
  private kafkaWrites = 0;
  private byCommand: Record<string, number> = {};
  private cpu0 = process.cpuUsage();
  private threads0 = threadCpu();

  constructor(opts: { redisPort: number; kafkaPorts: number[] }) {
    this.eld = monitorEventLoopDelay({ resolution: 10 });
    this.eld.enable();
    const self = this;
    const origWrite = Socket.prototype.write;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    Socket.prototype.write = function (this: Socket, ...args: any[]) {
      const port = this.remotePort;
      if (port === opts.redisPort) {
        self.redisWrites++;
        if (!self.pendingBatchPath) self.redisBackground++;
        if (self.pendingRead) self.redisReads++;
        self.pendingBatchPath = false;
        self.pendingRead = false;
      } else if (port !== undefined && opts.kafkaPorts.includes(port)) self.kafkaWrites++;
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument
      return (origWrite as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof Socket.prototype.write;
  }

  /** Count commands by name on an ioredis client class (call with the module's Redis export). */
  instrumentIoredis(RedisClass: { prototype: { sendCommand: (cmd: { name: string; args?: unknown[] }, ...rest: unknown[]) => unknown } }): void {
    const orig = RedisClass.prototype.sendCommand;
    const self = this;
    RedisClass.prototype.sendCommand = function (this: unknown, cmd: { name: string; args?: unknown[] }, ...rest: unknown[]) {
      self.byCommand[cmd.name] = (self.byCommand[cmd.name] ?? 0) + 1;
      if (cmd.name === 'hmget') self.pendingRead = true;
      if (!self.pendingBatchPath) {
        for (const a of (cmd.args ?? []).slice(0, 4)) {
          if (typeof a === 'string' && /:u:\{|:emb:|:forgotten:|:receipts:/.test(a)) self.pendingBatchPath = true;
        }
      }
      return orig.call(this, cmd, ...rest);
    };
  }

  reset(): void {
    this.eld.reset();
    this.redisWrites = 0;
    this.redisBackground = 0;
    this.redisReads = 0;
    this.kafkaWrites = 0;
    this.byCommand = {};
    this.cpu0 = process.cpuUsage();
    this.threads0 = threadCpu();
  }

  snapshot(): ProbeSnapshot {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const mem = memoryMiB();
    return {
      eventLoopDelayMs: { p50: ms(this.eld.percentile(50)), p99: ms(this.eld.percentile(99)), max: ms(this.eld.max), mean: ms(this.eld.mean) },
      redis: { writes: this.redisWrites, background: this.redisBackground, reads: this.redisReads, commands: Object.values(this.byCommand).reduce((a, b) => a + b, 0), byCommand: { ...this.byCommand } },
      kafka: { writes: this.kafkaWrites },
      rssMiB: mem.rss,
      hwmMiB: mem.hwm,
      heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 104857.6) / 10,
      heapTotalMiB: Math.round(process.memoryUsage().heapTotal / 104857.6) / 10,
      externalMiB: Math.round(process.memoryUsage().external / 104857.6) / 10,
      threadCpuMs: (() => {
        const t = threadCpu();
        return { main: t.main - this.threads0.main, model: t.model - this.threads0.model, other: t.other - this.threads0.other };
      })(),
      cpuMs: Math.round(
        (() => {
          const c = process.cpuUsage(this.cpu0);
          return (c.user + c.system) / 1000;
        })(),
      ),
    };
  }
}
