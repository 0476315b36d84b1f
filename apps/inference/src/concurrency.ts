/**
 * A bound on deconvolutions running at once: each takes the machine's cores for a while, so
 * beyond the bound a request is refused at once (429 + Retry-After) instead of queueing behind
 * the others and timing out. Retry-After is the mean recent duration, rounded up (≥ 1 s).
 */
import { OverloadedError } from './errors.ts';

export class ConcurrencyLimit {
  inFlight = 0;
  rejected = 0;
  private recentMs: number[] = [];

  constructor(readonly maxInFlight: number) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`maxInFlight must be an integer ≥ 1, got ${maxInFlight}`);
  }

  /** Runs `work` in a slot, or throws OverloadedError when every slot is taken. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.maxInFlight) {
      this.rejected += 1;
      throw new OverloadedError(this.retryAfterSeconds(), this.inFlight);
    }
    this.inFlight += 1;
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.inFlight -= 1;
      this.recentMs.push(performance.now() - started);
      if (this.recentMs.length > 20) this.recentMs.shift();
    }
  }

  retryAfterSeconds(): number {
    if (this.recentMs.length === 0) return 1;
    return Math.max(1, Math.ceil(this.recentMs.reduce((a, b) => a + b, 0) / this.recentMs.length / 1000));
  }
}
