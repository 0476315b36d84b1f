/**
 * Typed errors of the imaging library. Each says what is wrong and what would be right;
 * the API maps `ImagingError` (and subclasses) to HTTP 400.
 */
export class ImagingError extends Error {
  /** Stable machine-readable code, e.g. `TIFF_TRUNCATED`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A file that is not a readable TIFF/NPY, truncated, or with an unsupported layout. */
export class ImageFormatError extends ImagingError {}

/** Values or shapes that are readable but not acceptable: NaN, pages of different sizes, wrong rank. */
export class ImageValueError extends ImagingError {}

/** A point-spread function that is not usable: even-sized, negative, all zero, not finite. */
export class PsfError extends ImagingError {}

/** A parameter out of its domain: σ ≤ 0, iterations < 1, tile smaller than overlap… */
export class ParameterError extends ImagingError {}

/**
 * A noise model that is out of its domain (gain or read noise ≤ 0, an offset above the data) or that does not fit
 * the data (its estimation failed); the message says what would be right.
 */
export class NoiseModelError extends ImagingError {}
