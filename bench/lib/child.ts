/** Start bench children (TypeScript through tsx) and talk to them over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildReport } from '../child/processor.js';
import { memoryMiB } from './probe.js';

const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

export interface Msg {
  type: string;
  id?: number;
  [k: string]: unknown;
}

export class BenchChild {
  readonly proc: ChildProcess;
  private nextId = 1;
  private readonly waiters = new Map<number, (m: Msg) => void>();
  private readonly typeWaiters: { type: string; resolve: (m: Msg) => void }[] = [];
  private exited = false;
  private failure: string | undefined;
  readonly exit: Promise<number | null>;

  constructor(script: string, env: Record<string, string>, label: string) {
    this.proc = fork(here(`../child/${script}`), [], {
      // BENCH_CPU_PROF=<dir>: V8 CPU profiles of the child (debugging where main-thread time goes);
      // BENCH_CHILD_NODE_FLAGS: Node/V8 flags for the children only, e.g. "--max-old-space-size=192"
      // (NODE_OPTIONS would reach the bench itself, which holds a whole soak's events in memory)
      execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), ...(process.env.BENCH_CHILD_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let errTail = '';
    this.proc.stderr?.on('data', (d: Buffer) => {
      errTail = (errTail + d.toString('utf8')).slice(-4000);
      if (process.env.BENCH_VERBOSE) process.stderr.write(`[${label}] ${d.toString('utf8')}`);
    });
    this.proc.on('message', (m: Msg) => {
      if (m.type === 'error') this.failure = String(m.message);
      if (m.id !== undefined && this.waiters.has(m.id)) {
        this.waiters.get(m.id)!(m);
        this.waiters.delete(m.id);
        return;
      }
      const i = this.typeWaiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.typeWaiters.splice(i, 1)[0]!.resolve(m);
    });
    this.exit = new Promise((resolve) =>
      this.proc.on('exit', (code) => {
        this.exited = true;
        if (code !== 0 && code !== null && !this.failure) this.failure = `${label} exited with code ${code}: ${errTail.trim().split('\n').slice(-8).join('\n')}`;
        for (const w of this.typeWaiters.splice(0)) w.resolve({ type: 'exit', code });
        for (const [, w] of this.waiters) w({ type: 'exit', code });
        this.waiters.clear();
        resolve(code);
      }),
    );
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get error(): string | undefined {
    return this.failure;
  }

  /** Wait for the next message of a type (e.g. 'ready', 'result'). */
  async waitFor(type: string, timeoutMs = 180_000): Promise<Msg> {
    if (this.exited) throw new Error(this.failure ?? 'child exited');
    let timer: NodeJS.Timeout | undefined;
    const m = await Promise.race([new Promise<Msg>((resolve) => this.typeWaiters.push({ type, resolve })), new Promise<Msg>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), timeoutMs)))]).finally(() =>
      clearTimeout(timer),
    );
    if (m.type === 'exit' || m.type === 'error') throw new Error(this.failure ?? `child ended while waiting for ${type}`);
    return m;
  }

  async request(cmd: string, timeoutMs = 60_000): Promise<Msg> {
    if (this.exited) throw new Error(this.failure ?? 'child exited');
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<Msg>((resolve, reject) => {
      this.waiters.set(id, resolve);
      timer = setTimeout(() => reject(new Error(`child did not answer ${cmd}`)), timeoutMs);
    }).finally(() => clearTimeout(timer));
    this.proc.send({ cmd, id });
    const m = await reply;
    if (m.type === 'exit' || m.type === 'error') throw new Error(this.failure ?? `child ended during ${cmd}`);
    return m;
  }

  async report(): Promise<ChildReport> {
    return (await this.request('report')).report as ChildReport;
  }

  memory(): { rss: number; hwm: number } {
    return memoryMiB(this.pid);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    try {
      await this.request('stop', 30_000);
      await Promise.race([this.exit, sleep(10_000)]);
    } catch {
      /* fall through */
    }
    if (!this.exited) {
      this.proc.kill('SIGTERM');
      await Promise.race([this.exit, sleep(5000)]);
      if (!this.exited) this.proc.kill('SIGKILL');
    }
  }
}
