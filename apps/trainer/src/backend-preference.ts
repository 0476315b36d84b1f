import type { BackendName } from '@divblur/config';
import type { BackendPreference } from '@divblur/divblurring';

/** DIVBLUR_BACKEND (libs/config's names) → libs/divblurring's preference; both tfjs-node flavours are 'tensorflow'. */
export function backendPreferenceOf(name: BackendName): BackendPreference {
  return name === 'tfjs-node-gpu' || name === 'tfjs-node' ? 'tensorflow' : name;
}
