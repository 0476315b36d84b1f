// Public surface of @divblur/imaging. Each helper adds only its own lines.
export * from './errors.ts';
export * from './image.ts';
// I/O (imaging-io)
export * from './atomic-write.ts';
export * from './finite.ts';
export * from './tiff.ts';
export * from './tiff-metadata.ts';
export type { TiffDtype } from './tiff-samples.ts';
export * from './npy.ts';
export { defaultMaxPixels, OUTPUT_DTYPES, writableDtype, type DecodedImage, type DecodeImageOptions, type OutputDtype } from './image-codec.ts';
export * from './tiling.ts';
export * from './image-file.ts';
// Maths, simulator, baselines (imaging-math)
export * from './random.ts';
export * from './psf.ts';
export * from './fft.ts';
export * from './convolve.ts';
export * from './simulate.ts';
export * from './psnr.ts';
export * from './ssim.ts';
export * from './richardson-lucy.ts';
export * from './wiener.ts';
export * from './discrepancy.ts';
export * from './discrepancy-choice.ts';
export * from './png.ts';
export * from './noise-sigma.ts';
export * from './classical-baselines.ts';
// Camera data: Poisson–Gaussian noise model, its estimate, the camera preset
export * from './poisson.ts';
export * from './noise-model.ts';
export * from './noise-model-estimate.ts';
export * from './simulate-camera.ts';
