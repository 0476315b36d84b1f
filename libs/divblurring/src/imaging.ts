/**
 * What this library takes from @divblur/imaging, imported in one place.
 * (Relative paths for what libs/imaging/src/index.ts does not export yet.)
 */
export { Random, type RandomState } from '../../imaging/src/random.ts';
export { psnr } from '../../imaging/src/psnr.ts';
export { stackImage, type Image, type Stack, writeFileAtomic } from '@divblur/imaging';
export { estimateStackNoiseSigma } from '../../imaging/src/noise-sigma.ts';
