/** Profile maths: pure, mergeable, time-decayed aggregates of a user's comments. See docs/profile.md. */
export type { AggregateState, DerivedProfile, EvidenceEntry, Interest, Observation, ProfileParams } from './types.js';
export { decayTo, emptyState, finalize, merge, observationProblem, update } from './aggregate.js';
export type { FinalizeOptions } from './aggregate.js';
export { confusionProblem, unmixShares } from './unmix.js';
export type { LabelConfusion, UnmixOptions } from './unmix.js';
export { decayFactor } from './decay.js';
export { confidenceFitFor, confidences, firstConfidence, USER_CONFIDENCE } from './confidence.js';
export type { ConfidenceFit } from './confidence.js';
export { assertParams, paramsProblem, profileParams } from './params.js';
export { decodeState, encodeState, STATE_FORMAT_VERSION } from './codec.js';
export type { EncodedState } from './codec.js';
export { referenceProfile, referenceState } from './reference.js';
