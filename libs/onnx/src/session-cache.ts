/**
 * Sessions by model id with a least-recently-used bound: a serving process keeps its hot models loaded
 * (creating a session costs graph optimisation, ~100 ms) without growing without limit.
 */
import { releaseModelSessions } from './session.ts';
import type { ModelSessions } from './session.ts';
import { OnnxOptionError } from './errors.ts';

export class SessionCache {
  private readonly entries = new Map<string, Promise<ModelSessions>>();

  constructor(readonly capacity = 4) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new OnnxOptionError('CACHE_CAPACITY', `capacity must be an integer ≥ 1, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  has(modelId: string): boolean {
    return this.entries.has(modelId);
  }

  /** The cached sessions of `modelId`, else `load()`'s (one load per id even under concurrent calls). */
  async get(modelId: string, load: () => Promise<ModelSessions>): Promise<ModelSessions> {
    let entry = this.entries.get(modelId);
    if (entry) {
      this.entries.delete(modelId); // re-insert: Map order is the recency order
    } else {
      entry = load();
      entry.catch(() => this.entries.get(modelId) === entry && this.entries.delete(modelId));
    }
    this.entries.set(modelId, entry);
    await this.evict();
    return entry;
  }

  async delete(modelId: string): Promise<void> {
    const entry = this.entries.get(modelId);
    if (!entry) return;
    this.entries.delete(modelId);
    await entry.then(releaseModelSessions, () => undefined);
  }

  async clear(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.delete(id)));
  }

  private async evict(): Promise<void> {
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      await this.delete(oldest);
    }
  }
}
