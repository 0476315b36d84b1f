/**
 * Turns uploaded (or imported, or simulated) TIFF bytes into a validated dataset: everything is
 * decoded and checked BEFORE anything is written, then the blobs are put, then the row inserted;
 * if the insert fails the blobs are deleted again — bad input leaves no row and no blob. A
 * multipart upload (multipart-upload.ts) streams its files to the blobs first, then checks them
 * here (`validateDataset`, `insertDataset`), deleting them if they are refused.
 */
import { createHash, randomUUID } from 'node:crypto';
import { decodeTiff, psfFromImage, resolveNoiseModel, stackImage, ImageValueError, type ResolvedNoiseModel, type Stack } from '@divblur/imaging';
import type { NoiseModelSpec } from '@divblur/queue';
import { psfSymmetries } from '@divblur/divblurring/symmetry';
import type { DatasetRecord, ImageStats, NewDataset, Repositories } from '@divblur/db';
import type { BlobStore } from '@divblur/storage';
import type { ApiServices } from '../services.ts';
import { BadRequestError } from './errors.ts';

export interface DatasetFiles {
  noisy: Uint8Array;
  gt?: Uint8Array;
  psf?: Uint8Array;
}

export interface DatasetFields {
  name?: string;
  pixelSizeNm?: number;
  noiseSigma?: number;
  /** Smallest image side accepted, px: the patch size the dataset will be trained with. */
  patchSize?: number;
  /** Resolved on the noisy stack (@divblur/imaging resolveNoiseModel): given values kept, the rest estimated. */
  noiseModel?: NoiseModelSpec;
  /** The project of the key that creates it (not a form field: libs/http's projectOfNewRows); null or absent: the lab's. */
  projectId?: string | null;
}

export const MIN_IMAGE_SIDE_PX = 16;

export interface ValidatedDataset {
  noisy: Stack;
  gt?: Stack;
  /** The PSF's shape and the dihedral transforms it is symmetric under (libs/divblurring/src/symmetry.ts). */
  psf?: { height: number; width: number; symmetries: number[] };
  sourceDtype: string;
  /** The noise model the fields asked for, resolved on the noisy stack. */
  noiseModel?: ResolvedNoiseModel;
}

export function validateDataset(files: DatasetFiles, fields: DatasetFields): ValidatedDataset {
  const noisy = decodeTiff(files.noisy);
  const stack = noisy.stack;
  const minSide = Math.max(MIN_IMAGE_SIDE_PX, fields.patchSize ?? 0);
  if (stack.height < minSide || stack.width < minSide) {
    throw new BadRequestError('IMAGE_SMALLER_THAN_PATCH',
      `the noisy images are ${stack.height}×${stack.width} px, smaller than the patch size ${minSide}×${minSide}; upload larger images or choose a smaller patchSize`);
  }
  let gt: Stack | undefined;
  if (files.gt) {
    gt = decodeTiff(files.gt).stack;
    if (gt.count !== stack.count || gt.height !== stack.height || gt.width !== stack.width) {
      throw new ImageValueError('GT_SHAPE_MISMATCH',
        `the ground truth is ${gt.count}×${gt.height}×${gt.width}, the noisy stack ${stack.count}×${stack.height}×${stack.width}: they must match image for image`);
    }
  }
  let psf: ValidatedDataset['psf'];
  if (files.psf) {
    const decoded = decodeTiff(files.psf).stack;
    if (decoded.count !== 1) throw new BadRequestError('PSF_NOT_2D', `the PSF file has ${decoded.count} pages; it must be one 2D image`);
    const normalised = psfFromImage(stackImage(decoded, 0));
    psf = { height: normalised.height, width: normalised.width, symmetries: psfSymmetries(normalised) };
    // The data term convolves patches with the PSF (valid mode): a PSF as large as the images, or as the patch, leaves nothing to fit.
    if (psf.height >= stack.height || psf.width >= stack.width) {
      throw new BadRequestError('PSF_LARGER_THAN_IMAGES', `the PSF (${psf.height}×${psf.width} px) must be smaller than the images (${stack.height}×${stack.width} px)`);
    }
    if (fields.patchSize !== undefined && Math.max(psf.height, psf.width) >= fields.patchSize) {
      throw new BadRequestError('PSF_LARGER_THAN_PATCH', `the PSF (${psf.height}×${psf.width} px) must be smaller than patchSize ${fields.patchSize}`);
    }
  }
  if (fields.noiseSigma !== undefined && !(fields.noiseSigma > 0)) {
    throw new BadRequestError('NOISE_SIGMA', `noiseSigma must be > 0, got ${fields.noiseSigma}`);
  }
  if (fields.noiseSigma !== undefined && fields.noiseModel !== undefined) {
    throw new BadRequestError('NOISE_MODEL_CONFLICT', 'give noiseSigma or noiseModel, not both (a Gaussian noiseModel takes sigma)');
  }
  // NoiseModelError (an ImagingError, 400) when a value is out of its domain or the data do not fit the model
  const noiseModel = fields.noiseModel === undefined ? undefined : resolveNoiseModel(stack, fields.noiseModel);
  return { noisy: stack, gt, psf, sourceDtype: noisy.sourceDtype, ...(noiseModel ? { noiseModel } : {}) };
}

/** min, max, mean and (population) std of all pixels, in float64. */
export function imageStats(data: Float32Array): ImageStats {
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of data) { if (v < min) min = v; if (v > max) max = v; sum += v; }
  const mean = sum / data.length;
  let squares = 0;
  for (const v of data) squares += (v - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(squares / data.length) };
}

/** The blob key of a dataset's file: `datasets/<id>/noisy.tif` etc. */
export function datasetBlobKey(id: string, file: keyof DatasetFiles): string {
  return `datasets/${id}/${file}.tif`;
}

export interface DatasetBlobs { noisyKey: string; gtKey: string | null; psfKey: string | null; noisySha256: string }

/** The dataset's row, from its checked files, already in the blob store under `datasetBlobKey(id, …)`. */
export async function insertDataset(
  db: Repositories, id: string, validated: ValidatedDataset, blobs: DatasetBlobs, fields: DatasetFields,
  source: NewDataset['source'], meta: Record<string, unknown>,
): Promise<DatasetRecord> {
  const { noisy } = validated;
  return db.datasets.create({
    id,
    name: fields.name ?? `dataset-${id.slice(0, 8)}`,
    source,
    count: noisy.count, height: noisy.height, width: noisy.width,
    dtype: validated.sourceDtype,
    stats: imageStats(noisy.data),
    sha256: blobs.noisySha256,
    noisyKey: blobs.noisyKey, gtKey: blobs.gtKey, psfKey: blobs.psfKey,
    psfShape: validated.psf ? [validated.psf.height, validated.psf.width] : null,
    pixelSizeNm: fields.pixelSizeNm ?? null,
    projectId: fields.projectId ?? null,
    noiseSigma: fields.noiseSigma ?? (validated.noiseModel?.model.kind === 'gaussian' ? validated.noiseModel.model.sigma : null),
    // Shown with the dataset, and warned about when an experiment trains on it (routes/experiments.ts).
    meta: {
      ...meta,
      ...(validated.psf ? { psfSymmetries: validated.psf.symmetries } : {}),
      ...(validated.noiseModel ? { noiseModel: validated.noiseModel.model, noiseModelEstimated: validated.noiseModel.estimated } : {}),
    },
  });
}

/** Deletes what a refused dataset wrote; a failure to delete is logged by the caller's error, not thrown over it. */
export async function discardBlobs(blobs: BlobStore, keys: readonly string[]): Promise<void> {
  await Promise.allSettled(keys.map((key) => blobs.delete(key)));
}

export async function storeDataset(
  services: Pick<ApiServices, 'db' | 'blobs'>, files: DatasetFiles, fields: DatasetFields, source: NewDataset['source'], meta: Record<string, unknown> = {},
): Promise<DatasetRecord> {
  const validated = validateDataset(files, fields);
  const id = randomUUID();
  const written: string[] = [];
  const put = async (file: keyof DatasetFiles, bytes: Uint8Array) => {
    const key = datasetBlobKey(id, file);
    written.push(key);
    await services.blobs.put(key, bytes, { contentType: 'image/tiff' });
    return key;
  };
  try {
    const noisyKey = await put('noisy', files.noisy);
    const gtKey = files.gt ? await put('gt', files.gt) : null;
    const psfKey = files.psf ? await put('psf', files.psf) : null;
    const noisySha256 = createHash('sha256').update(files.noisy).digest('hex');
    return await insertDataset(services.db, id, validated, { noisyKey, gtKey, psfKey, noisySha256 }, fields, source, meta);
  } catch (error) {
    await discardBlobs(services.blobs, written);
    throw error;
  }
}
