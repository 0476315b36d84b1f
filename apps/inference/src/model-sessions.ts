/**
 * ONNX sessions by model id, for the HTTP route and the evaluation job alike (one path, so the
 * evaluation measures what is served): the model row names the encoder and sampler blobs, which
 * are copied once into a local cache directory (ONNX Runtime reads files) and loaded through
 * libs/onnx's LRU `SessionCache`.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isUuid, type ModelRepository } from '@divblur/db';
import { loadModelSessions, SessionCache, type ModelSessions, type SessionOptions } from '@divblur/onnx';
import type { BlobStore } from '@divblur/storage';
import { ModelNotFoundError } from './errors.ts';

const GRAPHS = ['encoder', 'sampler'] as const;

export class ModelSessionStore {
  private readonly cache: SessionCache;

  constructor(
    private readonly models: ModelRepository, private readonly blobs: BlobStore, private readonly cacheDir: string,
    capacity = 4, private readonly sessionOptions: SessionOptions = {},
  ) {
    this.cache = new SessionCache(capacity);
  }

  get size(): number {
    return this.cache.size;
  }

  async get(modelId: string): Promise<ModelSessions> {
    // Also keeps the id safe as a directory name of the cache.
    if (!isUuid(modelId)) throw new ModelNotFoundError(modelId);
    return this.cache.get(modelId, async () => loadModelSessions(modelId, await this.localCopy(modelId), this.sessionOptions));
  }

  async close(): Promise<void> {
    await this.cache.clear();
  }

  /** The model's graphs as files; written to a temp dir and renamed, so a half copy is never read. */
  private async localCopy(modelId: string): Promise<string> {
    const dir = join(this.cacheDir, modelId);
    if (GRAPHS.every((graph) => existsSync(join(dir, `${graph}.onnx`)))) return dir;
    const model = await this.models.get(modelId);
    if (model === null) throw new ModelNotFoundError(modelId);
    const { files } = model;
    const temp = join(this.cacheDir, `.tmp-${randomUUID()}`);
    await mkdir(temp, { recursive: true });
    try {
      for (const graph of GRAPHS) {
        const key = files[graph];
        if (typeof key !== 'string') throw new Error(`model ${modelId} lists no ${graph} graph`);
        await writeFile(join(temp, `${graph}.onnx`), await this.blobs.getBuffer(key));
      }
      await rm(dir, { recursive: true, force: true });
      await rename(temp, dir);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
    return dir;
  }
}
