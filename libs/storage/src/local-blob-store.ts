import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { BlobInfo, BlobStore, ByteRange, PutResult } from './blob-store.ts';
import { assertValidKey, assertValidPrefix } from './blob-key.ts';
import { BlobNotFoundError, InvalidBlobKeyError, existsByHead } from './errors.ts';
import { HashingCounter, readAll, resolveRange, toReadable } from './streams.ts';

const TEMP_DIR = '.tmp';

/**
 * Blobs as files under one root directory (the default, embedded store). A put streams into
 * `<root>/.tmp/<uuid>`, fsyncs, then renames over the key: rename within one filesystem is atomic,
 * so a reader never sees half a file and a failed put leaves only a temp file, which it removes.
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  readonly rootDir: string;

  constructor(rootDir: string) {
    this.rootDir = resolve(rootDir);
  }

  async put(key: string, body: Buffer | Uint8Array | Readable): Promise<PutResult> {
    const path = this.pathOf(key);
    const tempDir = join(this.rootDir, TEMP_DIR);
    await mkdir(tempDir, { recursive: true });
    const tempPath = join(tempDir, randomUUID());
    const counter = new HashingCounter();
    const writer = createWriteStream(tempPath, { flags: 'wx' });
    try {
      await pipeline(toReadable(body), counter, writer);
      const handle = await open(tempPath, 'r');
      try { await handle.sync(); } finally { await handle.close(); }
      await this.renameInto(tempPath, path);
    } catch (error) {
      // pipeline rejects as soon as the body fails, possibly before the writer's open has created
      // the file: wait for the writer to close, or the rm below can run first and miss the file.
      if (!writer.closed) await new Promise<void>((settle) => writer.once('close', () => settle()));
      await rm(tempPath, { force: true });
      throw error;
    }
    return { key, sizeBytes: counter.sizeBytes, sha256: counter.digestHex() };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const info = await this.head(key);
    if (range === undefined) return createReadStream(this.pathOf(key));
    const { start, endInclusive } = resolveRange(range, info.sizeBytes);
    if (endInclusive < start) return Readable.from([]);
    return createReadStream(this.pathOf(key), { start, end: endInclusive });
  }

  async getBuffer(key: string, range?: ByteRange): Promise<Buffer> {
    return readAll(await this.get(key, range));
  }

  async head(key: string): Promise<BlobInfo> {
    try {
      const stats = await stat(this.pathOf(key));
      if (!stats.isFile()) throw new BlobNotFoundError(key);
      return { key, sizeBytes: stats.size, lastModified: stats.mtime };
    } catch (error) {
      if (isMissing(error)) throw new BlobNotFoundError(key, { cause: error });
      throw error;
    }
  }

  exists(key: string): Promise<boolean> {
    return existsByHead(() => this.head(key));
  }

  /**
   * Removes the file, then the directories it leaves empty (up to the root): a blob store has no
   * folders, and a refused upload must leave nothing behind, not an empty `datasets/<id>/`.
   */
  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      if (!isMissing(error)) throw error;
      return;
    }
    for (let dir = dirname(path); dir.startsWith(this.rootDir + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break; // not empty (or gone): the directories above it are not empty either
      }
    }
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    assertValidPrefix(prefix);
    // Walk only the deepest directory the prefix names, then filter by the full prefix.
    const baseDir = join(this.rootDir, prefix.slice(0, prefix.lastIndexOf('/') + 1));
    const keys: string[] = [];
    for (const path of await walkFiles(baseDir)) {
      const key = relative(this.rootDir, path).split(sep).join('/');
      if (key.startsWith(prefix) && !key.startsWith(`${TEMP_DIR}/`)) keys.push(key);
    }
    keys.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
    for (const key of keys) {
      try {
        yield await this.head(key);
      } catch (error) {
        if (!(error instanceof BlobNotFoundError)) throw error; // deleted meanwhile
      }
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    let count = 0;
    for await (const blob of this.list(prefix)) {
      await this.delete(blob.key);
      count += 1;
    }
    return count;
  }

  uri(key: string): string {
    return pathToFileURL(this.pathOf(key)).href;
  }

  async close(): Promise<void> {}

  /** mkdir, then rename; once more if a concurrent delete removed the directory, now empty, in between. */
  private async renameInto(tempPath: string, path: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await mkdir(dirname(path), { recursive: true });
      try {
        await rename(tempPath, path);
        return;
      } catch (error) {
        if (attempt > 0 || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  /** The file of a key, checked twice: the key rule, then that the resolved path stays under the root. */
  private pathOf(key: string): string {
    assertValidKey(key);
    const path = resolve(this.rootDir, key);
    if (!path.startsWith(this.rootDir + sep)) throw new InvalidBlobKeyError(key, 'resolves outside the store');
    return path;
  }
}

async function walkFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walkFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
