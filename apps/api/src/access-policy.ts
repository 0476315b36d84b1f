/**
 * The API's access policy (libs/http's access plugin): what differs from the defaults — GET needs read, any other
 * method write, and an `:id` names the resource its path starts with. Key and audit routes are for lab-wide admins;
 * re-evaluation is admin; experiments and deconvolutions count against the expensive rate limit.
 */
import type { AccessPolicy } from '@divblur/http';

export const API_ACCESS_POLICY: AccessPolicy = {
  'POST /v1/experiments': { expensive: true },
  'POST /v1/deconvolutions': { expensive: true, takesFiles: true },
  'GET /v1/deconvolutions': { scope: 'read' },
  'POST /v1/runs/:id/evaluate': { scope: 'admin' },
  'GET /v1/runs/:id/images/:index': { resource: 'run' },
  'POST /v1/keys': { scope: 'admin', labWide: true },
  'GET /v1/keys': { scope: 'admin', labWide: true },
  'GET /v1/keys/:id': { scope: 'admin', labWide: true },
  'POST /v1/keys/:id/revoke': { scope: 'admin', labWide: true },
  'GET /v1/audit': { scope: 'admin', labWide: true },
  'POST /v1/queue-dashboard/session': { scope: 'admin', labWide: true },
};
