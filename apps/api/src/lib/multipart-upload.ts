/**
 * POST /v1/datasets as multipart/form-data. Each file part is streamed to the blob store as it
 * arrives, under the dataset's own key, so that a 1 GiB stack never sits in memory as a request
 * body; busboy's `fileSize` limit cuts a file at the limit while it streams, and a cut file is a
 * 413. Fields are collected. Then the files are read back and checked like every dataset
 * (dataset-ingest.ts) and the row is inserted. Whatever refuses the upload — a body without
 * boundary or cut short, a field sent twice, an unknown field, an empty, oversized or bad file —
 * the blobs written are deleted: a refused upload leaves no row and no blob.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Multipart, MultipartFile } from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { DatasetRecord } from '@divblur/db';
import type { BlobStore } from '@divblur/storage';
import { isDecimalText } from '@divblur/http';
import type { ApiServices } from '../services.ts';
import { DatasetFieldsSchema } from '../schemas/dataset.ts';
import { projectOfNewRows } from '@divblur/http';
import { datasetBlobKey, discardBlobs, insertDataset, validateDataset, type DatasetFields, type DatasetFiles } from './dataset-ingest.ts';
import { ApiError, BadRequestError } from './errors.ts';

const FILE_FIELDS = ['noisy', 'gt', 'psf'] as const;
type FileField = typeof FILE_FIELDS[number];
const FieldsSchema = Type.Object(DatasetFieldsSchema, { additionalProperties: false });

/** A framework or parser error while reading the body is the client's: a 400 unless it says otherwise (413 for a limit). */
function bodyError(error: unknown): Error {
  if (error instanceof ApiError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return error as Error;
  return new BadRequestError('MULTIPART_INVALID', `the multipart body could not be read: ${(error as Error).message}`);
}

/** Form fields are text: numbers must be written as numbers (as in a query string), then they are checked like the JSON body's. */
function parseFields(raw: Record<string, string>): DatasetFields {
  const { noiseModel, ...rest } = raw;
  const noise = noiseModel === undefined ? {} : { noiseModel: noiseModelField(noiseModel) };
  return { ...parseScalarFields(rest), ...noise } as DatasetFields;
}

/** The noiseModel form field: "estimate", or the object as JSON text, checked against the JSON body's schema. */
function noiseModelField(text: string): unknown {
  let value: unknown = text;
  if (text.trimStart().startsWith('{')) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new BadRequestError('VALIDATION', 'field noiseModel: must be "estimate" or a JSON object such as {"kind":"poisson_gaussian"}');
    }
  }
  const first = Value.Errors(FieldsSchema.properties.noiseModel, value).First();
  if (first) throw new BadRequestError('VALIDATION', `field noiseModel${first.path}: ${first.message}`);
  return value;
}

function parseScalarFields(raw: Record<string, string>): DatasetFields {
  for (const [name, text] of Object.entries(raw)) {
    const kind = (FieldsSchema.properties as Record<string, { type?: string }>)[name]?.type;
    if ((kind === 'integer' || kind === 'number') && !isDecimalText(text, kind)) {
      throw new BadRequestError('VALIDATION', `field ${name}: must be ${kind === 'integer' ? 'an integer' : 'a number'} written in decimal digits`);
    }
  }
  const converted = Value.Convert(FieldsSchema, raw);
  const first = Value.Errors(FieldsSchema, converted).First();
  if (first) throw new BadRequestError('VALIDATION', `field ${first.path.slice(1) || '(form)'}: ${first.message}`);
  return converted as DatasetFields;
}

/** Streams one file part to its blob; the size limit is busboy's, applied as the bytes arrive. */
export async function streamFile(blobs: BlobStore, key: string, part: MultipartFile, maxBytes: number): Promise<{ sizeBytes: number; sha256: string }> {
  let streamError: unknown;
  part.file.once('error', (error) => { streamError = error; });
  let result;
  try {
    result = await blobs.put(key, part.file, { contentType: 'image/tiff' });
  } catch (error) {
    // The source failed (a body cut short): its error may be set before its 'error' event is emitted.
    const sourceError = streamError ?? part.file.errored;
    if (sourceError) throw bodyError(sourceError);
    throw error;
  }
  if (part.file.truncated) {
    throw new ApiError(413, 'FILE_TOO_LARGE', `file field "${part.fieldname}" is larger than the ${maxBytes}-byte limit`);
  }
  if (result.sizeBytes === 0) throw new BadRequestError('EMPTY_FILE', `file field "${part.fieldname}" is empty`);
  return result;
}

/** A multipart body's parts one by one, a parser error as the client's (`bodyError`); `close` ends the iteration. */
export interface MultipartReader {
  next(): Promise<Multipart | undefined>;
  close(): Promise<void>;
}

export function readMultipart(request: FastifyRequest, options?: Parameters<FastifyRequest['parts']>[0]): MultipartReader {
  let parts: AsyncIterator<Multipart>;
  try {
    parts = request.parts(options)[Symbol.asyncIterator]();
  } catch (error) {
    throw bodyError(error);
  }
  return {
    async next() {
      try {
        const next = await parts.next();
        return next.done ? undefined : next.value;
      } catch (error) {
        throw bodyError(error);
      }
    },
    async close() {
      await parts.return?.(undefined).catch(() => undefined);
    },
  };
}

export async function ingestMultipart(request: FastifyRequest, services: Pick<ApiServices, 'db' | 'blobs'>, maxFileBytes: number): Promise<DatasetRecord> {
  const id = randomUUID();
  const written: string[] = [];
  const stored: Partial<Record<FileField, { key: string; sha256: string }>> = {};
  const raw: Record<string, string> = {};
  const seen = new Set<string>();
  const parts = readMultipart(request);
  try {
    for (let part = await parts.next(); part !== undefined; part = await parts.next()) {
      if (seen.has(part.fieldname)) {
        if (part.type === 'file') part.file.resume();
        throw new BadRequestError('REPEATED_FIELD', `field "${part.fieldname}" was sent twice; send each field at most once`);
      }
      seen.add(part.fieldname);
      if (part.type === 'file') {
        if (!(FILE_FIELDS as readonly string[]).includes(part.fieldname)) {
          part.file.resume();
          throw new BadRequestError('UNKNOWN_FILE_FIELD', `unexpected file field "${part.fieldname}"; send noisy, and optionally gt and psf`);
        }
        const key = datasetBlobKey(id, part.fieldname as FileField);
        written.push(key);
        const { sha256 } = await streamFile(services.blobs, key, part, maxFileBytes);
        stored[part.fieldname as FileField] = { key, sha256 };
      } else {
        if (part.valueTruncated || part.fieldnameTruncated) throw new BadRequestError('FIELD_TOO_LONG', `field "${part.fieldname.slice(0, 40)}" is too long`);
        if (typeof part.value !== 'string') throw new BadRequestError('VALIDATION', `field "${part.fieldname}" must be text`);
        raw[part.fieldname] = part.value;
      }
    }
    if (!stored.noisy) throw new BadRequestError('NOISY_MISSING', 'the multipart upload needs a file field "noisy" (a TIFF stack)');
    const fields = { ...parseFields(raw), projectId: projectOfNewRows(request) };
    const files: DatasetFiles = { noisy: await services.blobs.getBuffer(stored.noisy.key) };
    if (stored.gt) files.gt = await services.blobs.getBuffer(stored.gt.key);
    if (stored.psf) files.psf = await services.blobs.getBuffer(stored.psf.key);
    const validated = validateDataset(files, fields);
    return await insertDataset(services.db, id, validated, {
      noisyKey: stored.noisy.key, gtKey: stored.gt?.key ?? null, psfKey: stored.psf?.key ?? null, noisySha256: stored.noisy.sha256,
    }, fields, 'upload', {});
  } catch (error) {
    await parts.close();
    await discardBlobs(services.blobs, written);
    throw error;
  }
}
