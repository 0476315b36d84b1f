import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { BlobRangeError } from './errors.ts';
import type { ByteRange } from './blob-store.ts';

/** A pass-through that counts bytes and hashes them (SHA-256) on the way. */
export class HashingCounter extends Transform {
  sizeBytes = 0;
  private readonly hash = createHash('sha256');
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.sizeBytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }
  digestHex(): string {
    return this.hash.digest('hex');
  }
}

export function toReadable(body: Buffer | Uint8Array | Readable): Readable {
  return body instanceof Readable ? body : Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * Checks a range against the blob size; returns the first byte and the inclusive last byte
 * (HTTP's convention; `endInclusive < start` for an empty window). Starting past the end is an error.
 */
export function resolveRange(range: ByteRange, sizeBytes: number): { start: number; endInclusive: number } {
  const { offsetBytes, lengthBytes } = range;
  if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0) throw new BlobRangeError(`offsetBytes must be an integer ≥ 0, got ${offsetBytes}`);
  if (lengthBytes !== undefined && (!Number.isSafeInteger(lengthBytes) || lengthBytes < 0)) {
    throw new BlobRangeError(`lengthBytes must be an integer ≥ 0, got ${lengthBytes}`);
  }
  if (offsetBytes > sizeBytes) {
    throw new BlobRangeError(`offsetBytes ${offsetBytes} is past the end of a ${sizeBytes}-byte blob`);
  }
  const end = lengthBytes === undefined ? sizeBytes : Math.min(sizeBytes, offsetBytes + lengthBytes);
  return { start: offsetBytes, endInclusive: end - 1 };
}
