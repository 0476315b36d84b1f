import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Bytes in one piece, or in chunks produced while writing (a chunk source may throw). */
export type AtomicWriteSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * Writes `source` to `path` so that readers see either the old file or the complete new one,
 * never a half-written one: the bytes go to a temporary file in the same directory (same
 * file system, so rename is atomic), are fsync'ed, then renamed over `path`. On any failure
 * the temporary file is removed and `path` is left as it was.
 */
export async function writeFileAtomic(path: string, source: AtomicWriteSource): Promise<void> {
  const directory = dirname(path);
  const temporaryPath = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporaryPath, 'wx', 0o644);
  let renamed = false;
  try {
    try {
      for await (const chunk of chunksOf(source)) {
        await handle.write(chunk);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporaryPath, path);
    renamed = true;
    await syncDirectory(directory);
  } finally {
    if (!renamed) await unlink(temporaryPath).catch(() => undefined);
  }
}

async function* chunksOf(source: AtomicWriteSource): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  yield* source;
}

/** Makes the rename itself durable; some file systems refuse fsync on a directory, which is fine. */
async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Not supported here (e.g. some network or Windows file systems): the rename already happened.
  } finally {
    await handle?.close();
  }
}
