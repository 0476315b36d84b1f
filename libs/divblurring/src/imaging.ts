/**
 * What this library takes from @divblur/imaging, imported in one place.
 * (Relative paths until libs/imaging/src/index.ts exports them; then `from '@divblur/imaging'`.)
 */
export { Random, type RandomState } from '../../imaging/src/random.ts';
export type { Image, Stack } from '../../imaging/src/image.ts';
