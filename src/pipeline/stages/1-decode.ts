/** Stage 1: bytes to a validated comment or forget event (src/events/decode.ts); anything else is rejected with its reason code. */
import { decodeRecord } from '../../events/index.js';
import type { Rejection } from '../../util/errors.js';
import type { Decoded, InRecord, Stage } from '../stage.js';

export interface DecodeOptions {
  maxRecordBytes: number;
  maxFutureMs: number;
  minTs: number;
}

export function decodeStage(opts: DecodeOptions): Stage<InRecord, Decoded> {
  return {
    name: 'decode',
    run(records, { now }) {
      const out: Decoded[] = [];
      const rejected: { rec: InRecord; rejection: Rejection }[] = [];
      for (const rec of records) {
        const d = decodeRecord({ key: rec.key, value: rec.value }, { ...opts, now });
        if (d.ok) out.push({ rec, event: d.event } as Decoded);
        else rejected.push({ rec, rejection: d.rejection });
      }
      return { out, rejected };
    },
  };
}
