import { PortraitError } from '../../src/util/errors.js';

/** The PortraitError `fn` throws; anything else it throws is rethrown, and throwing nothing fails. */
export function portraitErrorOf(fn: () => unknown): PortraitError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PortraitError) return e;
    throw e;
  }
  throw new Error('expected a PortraitError');
}
