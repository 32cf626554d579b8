/**
 * A throwaway 3-node Redis Cluster from the redis-server on the PATH (no replicas), on ports
 * base..base+2, in a temp dir; stopped and removed after the file's tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { waitForPort } from '../../src/stack/proc.js';

export interface LocalCluster {
  nodes: string[];
  stop(): Promise<void>;
}

export async function startRedisCluster(basePort: number): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'portrait-cluster-'));
  const ports = [basePort, basePort + 1, basePort + 2];
  const procs: ChildProcess[] = ports.map((port) =>
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }),
  );
  const stop = async () => {
    for (const p of procs) p.kill('SIGTERM');
    await sleep(300);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      if ((await waitForPort('127.0.0.1', port, 10_000)) !== 'up') throw new Error(`redis-server on ${port} did not start`);
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    // wait until every slot is served
    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    for (let i = 0; i < 50; i++) {
      const info = spawnSync('redis-cli', ['-p', String(basePort), 'cluster', 'info'], { encoding: 'utf8' }).stdout;
      if (info.includes('cluster_state:ok')) {
        const probe = new Cluster(nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
        await probe.set('probe', '1');
        probe.disconnect();
        return { nodes, stop };
      }
      await sleep(200);
    }
    throw new Error('Redis Cluster did not reach cluster_state:ok');
  } catch (err) {
    await stop();
    throw err;
  }
}
