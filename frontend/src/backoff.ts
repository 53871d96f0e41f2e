/** Exponential backoff with full jitter (a random delay between 0 and the capped exponential). */

export interface BackoffPolicy {
  /** Upper bound of the first delay, in ms. */
  baseMs: number;
  /** Largest upper bound, in ms. */
  capMs: number;
}

/** The upper bound of the delay before retry number `attempt` (0 for the first retry). */
export function backoffCeiling(policy: BackoffPolicy, attempt: number): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/** A delay drawn uniformly from `[0, ceiling)`; `random` returns a number in `[0, 1)`. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  return Math.floor(random() * backoffCeiling(policy, attempt));
}
