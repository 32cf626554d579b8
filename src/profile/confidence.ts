/**
 * A profile's `confidence`: the probability that a label is the user's main topic (the label of
 * most of their comments), calibrated at user level (pure; issue #19, docs/profile.md).
 *
 * For the first interest it is a logistic function of that interest's share, its lead over the
 * second and W, the decayed number of comments:
 *
 *   logit(c₁) = a + b · logit(share₁) + m · ln(share₁ / share₂) + d · ln W
 *
 * so it rises with a clearer first interest and with more evidence, and falls to 0 as the evidence
 * decays away (W → 0). Every other label gets a part of the rest, 1 − c₁, in proportion to its
 * share, never more than c₁: the confidences of one profile sum to at most 1.
 *
 * (a, b, d) were fitted by logistic regression on simulated forum authors (src/sim/authors.ts,
 * 3,000 per data set and classifier: the four data sets' test splits, a trained linear head and the
 * calibrated zero-shot taxonomy each, seed 7), separately for unmixed shares (src/profile/unmix.ts)
 * and plain means. Left out one configuration at a time, the fit's expected calibration error on
 * the left-out one was 0.045-0.116 (unmixed) and 0.030-0.101 (plain means); the former
 * `share · W / (W + 3)` had 0.35-0.57 (docs/models.md, "User level"). Both have m = 0.
 *
 * Plain means of a zero-shot taxonomy without a calibration (the default taxonomy: 16 labels at
 * temperature 0.05) spread their mass thinner than the classifiers the `mean` fit saw: its first
 * shares average 0.36 where their users' first interest is right 0.76 of the time, and the `mean`
 * fit said 0.48 (ECE 0.28). The `zeroShot` fit (b = 0) uses the lead over the second interest, which
 * does not depend on how the rest is spread over the other labels: fitted the same way on five
 * uncalibrated zero-shot configurations (sib200 zh and en, clinc150 and CSL test splits with their
 * taxonomies, the default taxonomy on its dev set), its ECE left out one at a time was 0.031-0.124,
 * and 0.097 on authors from the default taxonomy's check set, which it never saw.
 */

export interface ConfidenceFit {
  intercept: number;
  /** coefficient of logit(share₁) */
  share: number;
  /** coefficient of ln(share₁ / share₂); 0 = the lead is not used */
  margin: number;
  /** coefficient of ln W */
  weight: number;
}

export const USER_CONFIDENCE: Readonly<Record<'unmixed' | 'mean' | 'zeroShot', ConfidenceFit>> = {
  unmixed: { intercept: -0.218, share: 0.377, margin: 0, weight: 1.002 },
  mean: { intercept: -0.09, share: 1.109, margin: 0, weight: 1.016 },
  zeroShot: { intercept: -1.024, share: 0, margin: 1.315, weight: 0.851 },
};

/** Which fit a profile's confidences use: unmixed shares, plain means of an uncalibrated zero-shot taxonomy, or other plain means. */
export function confidenceFitFor(unmixed: boolean, classifierKind: string | undefined): ConfidenceFit {
  return USER_CONFIDENCE[unmixed ? 'unmixed' : classifierKind === 'zero-shot' ? 'zeroShot' : 'mean'];
}

/** Shares are kept off 0 and 1 before their logit: a share of exactly 1 is not infinite evidence. */
const SHARE_EPS = 1e-6;

/** The first interest's confidence from its share, the second's share and the decayed comment count W. */
export function firstConfidence(share: number, weight: number, fit: ConfidenceFit, second = 0): number {
  if (!(weight > 0) || !(share > 0)) return 0;
  const s = Math.min(1 - SHARE_EPS, Math.max(SHARE_EPS, share));
  let z = fit.intercept + fit.share * Math.log(s / (1 - s)) + fit.weight * Math.log(weight);
  if (fit.margin !== 0) z += fit.margin * Math.log(s / Math.min(s, Math.max(SHARE_EPS, second)));
  return 1 / (1 + Math.exp(-z));
}

/**
 * Confidences of ranked shares (best first): the first from the fit, the others a share of the
 * rest. `second` is the second label's share when `shares` stops before it (a profile of topK 1).
 */
export function confidences(shares: readonly number[], weight: number, fit: ConfidenceFit, second = shares[1] ?? 0): number[] {
  if (shares.length === 0) return [];
  const c1 = firstConfidence(shares[0]!, weight, fit, second);
  const restShare = 1 - shares[0]!;
  return shares.map((s, i) => (i === 0 ? c1 : restShare > 0 ? Math.min(c1, ((1 - c1) * s) / restShare) : 0));
}
