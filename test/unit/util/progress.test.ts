import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, stepLog } from '../../../src/util/progress.js';

/** A stream that keeps what is written; `isTTY` as given. */
function sink(isTTY = false): NodeJS.WriteStream & { text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  return Object.assign(w, { isTTY, text: () => out }) as unknown as NodeJS.WriteStream & { text: () => string };
}

describe('createProgress off a terminal', () => {
  it('writes one plain line per interval at most, with the count and the rate', () => {
    const stream = sink();
    let t = 0;
    const p = createProgress({ total: 100, label: 'embed', stream, intervalMs: 5000, now: () => t });
    t = 1000;
    p.update(10); // too soon
    t = 5000;
    p.update(50);
    t = 6000;
    p.update(60); // too soon
    t = 10_000;
    p.update(100);
    p.stop();
    expect(stream.text()).toBe('embed: 50/100 (10/s)\nembed: 100/100 (10/s)\n');
  });

  it('prints nothing when disabled', () => {
    const stream = sink(true);
    const p = createProgress({ total: 10, label: 'x', stream, enabled: false, intervalMs: 0 });
    p.update(5);
    p.stop();
    expect(stream.text()).toBe('');
  });
});

describe('stepLog', () => {
  it('writes each message as one line behind the prefix', () => {
    const stream = sink();
    const say = stepLog('train: ', { stream });
    say('fold 1/3');
    say('fold 2/3');
    expect(stream.text()).toBe('train: fold 1/3\ntrain: fold 2/3\n');
  });

  it('is silent when disabled', () => {
    const stream = sink();
    stepLog('train: ', { stream, enabled: false })('x');
    expect(stream.text()).toBe('');
  });
});
