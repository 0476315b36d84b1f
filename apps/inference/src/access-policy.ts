/**
 * The inference server's access policy (libs/http's access plugin): POST /v1/models/:id/deconvolve needs the write
 * scope (the default of a POST), its model must be visible to a project's key, and it counts against the expensive
 * rate limit: each call decodes up to 1000 samples on every core.
 */
import type { AccessPolicy } from '@divblur/http';

export const INFERENCE_ACCESS_POLICY: AccessPolicy = {
  'POST /v1/models/:id/deconvolve': { expensive: true },
};
