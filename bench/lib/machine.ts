/** The machine a run happened on, and how busy it was. */
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memGiB: number;
  freeMemGiB: number;
  node: string;
  os: string;
  loadAvgStart: number[];
  loadAvgEnd?: number[];
}

export function machine(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    /* not Linux */
  }
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    /* keep os.cpus() */
  }
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    nproc,
    cpuModel,
    memGiB: r(totalmem() / 2 ** 30),
    freeMemGiB: r(freemem() / 2 ** 30),
    node: process.version,
    os: `${process.platform} ${process.arch}`,
    loadAvgStart: loadavg().map(r),
  };
}

export const load1 = () => Math.round(loadavg()[0]! * 100) / 100;
