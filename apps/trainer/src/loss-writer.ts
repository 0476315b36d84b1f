/**
 * Buffers a run's loss points and writes them to Postgres in batches, one write at a time, in
 * order. Steps already stored are skipped by `lossPoints.append` (a resumed run re-sends none it
 * has to keep). A step that goes backwards means the loop restarted under a new seed (posterior
 * collapse): the abandoned attempt's points from that step on are deleted first.
 */
import type { LossPointInput, LossPointRepository } from '@divblur/db';

export const LOSS_BATCH_STEPS = 50;

export class LossPointWriter {
  private buffer: LossPointInput[] = [];
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private lastStep = -Infinity;
  written = 0;

  constructor(private readonly lossPoints: LossPointRepository, private readonly runId: string, private readonly batchSteps = LOSS_BATCH_STEPS) {}

  push(point: LossPointInput): void {
    if (point.step <= this.lastStep) {
      const fromStep = point.step;
      this.enqueueWrite();
      this.then(async () => { await this.lossPoints.deleteFrom(this.runId, fromStep); });
    }
    this.lastStep = point.step;
    this.buffer.push(point);
    if (this.buffer.length >= this.batchSteps) this.enqueueWrite();
  }

  /** Writes everything pushed so far; rethrows the first write error. */
  async flush(): Promise<void> {
    this.enqueueWrite();
    await this.chain;
    if (this.failure !== null) throw this.failure;
  }

  private enqueueWrite(): void {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.then(async () => { this.written += await this.lossPoints.append(this.runId, batch); });
  }

  private then(work: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure !== null) return;
      try {
        await work();
      } catch (error) {
        this.failure = error;
      }
    });
  }
}
