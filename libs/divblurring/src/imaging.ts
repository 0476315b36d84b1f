/** What this library takes from @divblur/imaging, imported in one place. */
export { Random, type RandomState, psnr, stackImage, type Image, type Stack, writeFileAtomic, estimateStackNoiseSigma } from '@divblur/imaging';
