/**
 * Turns uploaded (or imported, or simulated) TIFF bytes into a validated dataset: everything is
 * decoded and checked BEFORE anything is written, then the blobs are put, then the row inserted;
 * if the insert fails the blobs are deleted again — bad input leaves no row and no blob.
 */
import { createHash, randomUUID } from 'node:crypto';
import { decodeTiff, psfFromImage, stackImage, ImageValueError, type Stack } from '@divblur/imaging';
import { psfSymmetries } from '@divblur/divblurring/symmetry';
import type { DatasetRecord, ImageStats, NewDataset } from '@divblur/db';
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
}

export const MIN_IMAGE_SIDE_PX = 16;

export interface ValidatedDataset {
  noisy: Stack;
  gt?: Stack;
  /** The PSF's shape and the dihedral transforms it is symmetric under (libs/divblurring/src/symmetry.ts). */
  psf?: { height: number; width: number; symmetries: number[] };
  sourceDtype: string;
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
  }
  if (fields.noiseSigma !== undefined && !(fields.noiseSigma > 0)) {
    throw new BadRequestError('NOISE_SIGMA', `noiseSigma must be > 0, got ${fields.noiseSigma}`);
  }
  return { noisy: stack, gt, psf, sourceDtype: noisy.sourceDtype };
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

export async function storeDataset(
  services: Pick<ApiServices, 'db' | 'blobs'>, files: DatasetFiles, fields: DatasetFields, source: NewDataset['source'], meta: Record<string, unknown> = {},
): Promise<DatasetRecord> {
  const validated = validateDataset(files, fields);
  const id = randomUUID();
  const prefix = `datasets/${id}`;
  const written: string[] = [];
  const put = async (name: string, bytes: Uint8Array) => {
    const key = `${prefix}/${name}`;
    written.push(key);
    await services.blobs.put(key, bytes, { contentType: 'image/tiff' });
    return key;
  };
  try {
    const noisyKey = await put('noisy.tif', files.noisy);
    const gtKey = files.gt ? await put('gt.tif', files.gt) : null;
    const psfKey = files.psf ? await put('psf.tif', files.psf) : null;
    const { noisy } = validated;
    return await services.db.datasets.create({
      id,
      name: fields.name ?? `dataset-${id.slice(0, 8)}`,
      source,
      count: noisy.count, height: noisy.height, width: noisy.width,
      dtype: validated.sourceDtype,
      stats: imageStats(noisy.data),
      sha256: createHash('sha256').update(files.noisy).digest('hex'),
      noisyKey, gtKey, psfKey,
      psfShape: validated.psf ? [validated.psf.height, validated.psf.width] : null,
      pixelSizeNm: fields.pixelSizeNm ?? null,
      noiseSigma: fields.noiseSigma ?? null,
      // Shown with the dataset, and warned about when an experiment trains on it (routes/experiments.ts).
      meta: validated.psf ? { ...meta, psfSymmetries: validated.psf.symmetries } : meta,
    });
  } catch (error) {
    await Promise.allSettled(written.map((key) => services.blobs.delete(key)));
    throw error;
  }
}
