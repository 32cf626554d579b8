/**
 * Progress output, one module for the CLI commands, the training and evaluation runs, the bench
 * and the scripts. Two shapes, both on stderr unless told otherwise:
 *
 * - `createProgress`: a count towards a total. A cli-progress bar when the stream is a terminal;
 *   otherwise (CI logs, pipes) one plain line at most every few seconds.
 * - `stepLog`: one line per step, behind a prefix (`train: cross-validating linear: fold 2/3`).
 *
 * Either can be switched off with `enabled: false` (e.g. when the result goes to stdout as JSON).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export interface ProgressOptions {
  total: number;
  label: string;
  stream?: NodeJS.WriteStream;
  /** Force the bar on or off; defaults to whether the stream is a TTY. */
  tty?: boolean;
  /** Plain-line mode: at most one line per interval (default 5 s). */
  intervalMs?: number;
  now?: () => number;
  /** false: print nothing (default true). */
  enabled?: boolean;
}

const SILENT: Progress = { update() {}, stop() {} };

export function createProgress(opts: ProgressOptions): Progress {
  if (opts.enabled === false) return SILENT;
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const started = now();
  if (opts.tty ?? stream.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${opts.label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | eta {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(opts.total, 0, { rate: '0' });
    return {
      update(done) {
        const secs = (now() - started) / 1000;
        bar.update(done, { rate: secs > 0 ? (done / secs).toFixed(0) : '0' });
      },
      stop: () => bar.stop(),
    };
  }
  const interval = opts.intervalMs ?? 5000;
  let last = started;
  return {
    update(done) {
      const t = now();
      if (t - last < interval) return;
      last = t;
      const secs = (t - started) / 1000;
      stream.write(`${opts.label}: ${done}/${opts.total} (${secs > 0 ? (done / secs).toFixed(0) : 0}/s)\n`);
    },
    stop() {},
  };
}

export interface StepLogOptions {
  /** default process.stderr */
  stream?: NodeJS.WritableStream;
  /** false: print nothing (default true). */
  enabled?: boolean;
}

/** A function that writes each message as one line, `${prefix}${message}`; a no-op when disabled. */
export function stepLog(prefix: string, opts: StepLogOptions = {}): (message: string) => void {
  if (opts.enabled === false) return () => {};
  const stream = opts.stream ?? process.stderr;
  return (message) => {
    stream.write(`${prefix}${message}\n`);
  };
}
