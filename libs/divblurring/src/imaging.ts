/** What this library takes from @divblur/imaging, imported in one place. */
export { Random, type RandomState, psnr, stackImage, type Image, type Stack, writeFileAtomic, estimateStackNoiseSigma } from '@divblur/imaging';
export {
  checkNoiseModel, equivalentNoiseSigma, gaussianNoise, isPlainGaussian, NoiseModelError, resolveNoiseModel,
  type NoiseModel, type NoiseModelSpec, type PoissonGaussianNoise,
} from '@divblur/imaging';
