import {
  CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadBucketCommand,
  HeadObjectCommand, paginateListObjectsV2, S3Client, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobInfo, BlobStore, ByteRange, PutOptions, PutResult } from './blob-store.ts';
import { assertValidKey, assertValidPrefix } from './blob-key.ts';
import { BlobNotFoundError, existsByHead } from './errors.ts';
import { formatS3Uri } from './s3-uri.ts';
import { HashingCounter, readAll, resolveRange, toReadable } from './streams.ts';

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** MinIO, s3rver…; absent for AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Absent: the SDK's default chain (env, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Multipart part size for streamed puts; S3's minimum is 5 MiB. */
  partSizeBytes?: number;
}

const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
const DELETE_BATCH = 1000; // DeleteObjects' maximum

/**
 * Blobs in one S3 bucket. Puts go through lib-storage's `Upload` (one PutObject for small bodies,
 * multipart beyond `partSizeBytes`); S3 makes an object visible only when the upload completes,
 * and `leavePartsOnError: false` aborts a failed multipart upload, so a failed put leaves nothing.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  readonly client: S3Client;
  private readonly partSizeBytes: number;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.partSizeBytes = options.partSizeBytes ?? DEFAULT_PART_BYTES;
    const clientConfig: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? false,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      // A copy: the SDK writes into the credentials object it is given (their `$source`), and the one libs/config
      // gives is frozen: every request then failed with "Cannot set properties of undefined (setting 'CREDENTIALS_CODE')".
      ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    };
    this.client = new S3Client(clientConfig);
  }

  /** Creates the bucket if it does not exist (development, tests, a fresh MinIO). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async put(key: string, body: Buffer | Uint8Array | Readable, options: PutOptions = {}): Promise<PutResult> {
    assertValidKey(key);
    const counter = new HashingCounter();
    // pipeline() forwards a source error into `counter`, which fails the upload (and aborts it).
    const feeding = pipeline(toReadable(body), counter).catch((error: unknown) => error);
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket, Key: key, Body: counter,
        ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
      },
      partSize: this.partSizeBytes,
      queueSize: 4,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      counter.destroy();
      const sourceError = await feeding;
      throw sourceError instanceof Error && !isPrematureClose(sourceError) ? sourceError : error;
    }
    const sourceError = await feeding;
    if (sourceError instanceof Error) {
      await this.delete(key); // the body failed after S3 accepted a short object: undo it
      throw sourceError;
    }
    return { key, sizeBytes: counter.sizeBytes, sha256: counter.digestHex() };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    let rangeHeader: string | undefined;
    if (range !== undefined) {
      const { start, endInclusive } = resolveRange(range, (await this.head(key)).sizeBytes);
      if (endInclusive < start) return Readable.from([]);
      rangeHeader = `bytes=${start}-${endInclusive}`;
    }
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: rangeHeader }));
      return response.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(key, { cause: error });
      throw error;
    }
  }

  async getBuffer(key: string, range?: ByteRange): Promise<Buffer> {
    return readAll(await this.get(key, range));
  }

  async head(key: string): Promise<BlobInfo> {
    assertValidKey(key);
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        sizeBytes: response.ContentLength ?? 0,
        ...(response.LastModified === undefined ? {} : { lastModified: response.LastModified }),
      };
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(key, { cause: error });
      throw error;
    }
  }

  exists(key: string): Promise<boolean> {
    return existsByHead(() => this.head(key));
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    assertValidPrefix(prefix);
    const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: prefix });
    try {
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue;
          yield {
            key: object.Key,
            sizeBytes: object.Size ?? 0,
            ...(object.LastModified === undefined ? {} : { lastModified: object.LastModified }),
          };
        }
      }
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(formatS3Uri({ bucket: this.bucket, key: prefix }), { cause: error });
      throw error;
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    const keys: string[] = [];
    for await (const blob of this.list(prefix)) keys.push(blob.key);
    for (let first = 0; first < keys.length; first += DELETE_BATCH) {
      const batch = keys.slice(first, first + DELETE_BATCH);
      await this.client.send(new DeleteObjectsCommand({
        Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }));
    }
    return keys.length;
  }

  uri(key: string): string {
    return formatS3Uri({ bucket: this.bucket, key });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function isPrematureClose(error: Error): boolean {
  return (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** S3 says "absent" as NoSuchKey (GET), NotFound (HEAD), NoSuchBucket, or a bare 404. */
function isNotFound(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return candidate?.name === 'NoSuchKey' || candidate?.name === 'NotFound' || candidate?.name === 'NoSuchBucket'
    || candidate?.$metadata?.httpStatusCode === 404;
}
