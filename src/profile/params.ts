import { PortraitError } from '../util/errors.js';
import type { Config } from '../config/schema.js';
import type { ProfileParams } from './types.js';

/** The aggregate's parameters from the config's `profile` section. */
export function profileParams(cfg: Pick<Config, 'profile'>): ProfileParams {
  const p = cfg.profile;
  return {
    halfLifeMs: p.halfLifeDays * 86_400_000,
    maxTerms: p.maxTerms,
    evidencePerLabel: p.evidencePerLabel,
    topK: p.topK,
    topTerms: p.topTerms,
  };
}

/** Why the parameters are unusable, or undefined if they are fine. */
export function paramsProblem(params: ProfileParams): string | undefined {
  const { halfLifeMs, maxTerms, evidencePerLabel, topK, topTerms } = params;
  if (!(Number.isFinite(halfLifeMs) && halfLifeMs > 0)) return `halfLifeMs must be finite and > 0, got ${halfLifeMs}`;
  const counts = { maxTerms, evidencePerLabel, topK, topTerms };
  for (const [name, value] of Object.entries(counts)) {
    if (!(Number.isSafeInteger(value) && value >= 0)) return `${name} must be an integer >= 0, got ${value}`;
  }
  return undefined;
}

/** Throws PortraitError CONFIG_INVALID if the parameters are unusable. */
export function assertParams(params: ProfileParams): void {
  const problem = paramsProblem(params);
  if (problem !== undefined) throw new PortraitError('CONFIG_INVALID', `profile params: ${problem}`);
}
