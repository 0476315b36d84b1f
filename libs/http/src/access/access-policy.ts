/**
 * What each /v1 route of a service needs, beyond the defaults: GET and HEAD need the read scope, any other method
 * write; a route's `:id` names the resource its path starts with (/v1/datasets/:id a dataset …), which a key limited
 * to a project must be allowed to see. A service lists its exceptions in one policy (apps/<app>/src/access-policy.ts),
 * keyed `METHOD /path` as registered (test/access.test.ts checks that each names a route). A route whose `:id` names
 * no known resource, or with another parameter, is refused at start-up until its policy names the resource.
 */
import type { ApiScope, ProjectResource } from '@divblur/db';

export interface RouteAccess {
  /** The scope it needs (admin has every scope). */
  scope?: ApiScope;
  /** Only a key not limited to a project may call it (keys, the audit log). */
  labWide?: boolean;
  /** It starts work (training, deconvolution): counted against the expensive rate limit instead of the general one. */
  expensive?: boolean;
  /** It takes multipart/form-data file uploads (every other state-changing route refuses form bodies). */
  takesFiles?: boolean;
  /** The resource its `:id` names, where the path's first segment does not say. */
  resource?: ProjectResource;
}

export type AccessPolicy = Readonly<Record<string, RouteAccess>>;

/** A route's access, resolved once when it is registered. */
export interface ResolvedAccess {
  scope: ApiScope;
  labWide: boolean;
  expensive: boolean;
  takesFiles: boolean;
  /** What `:id` names, checked against a project key's project; null: no `:id`, or a lab-wide route. */
  resource: ProjectResource | null;
  /** State-changing (not GET/HEAD): written to the audit log. */
  audited: boolean;
}

/** The first path segment after /v1 → what an `:id` under it names. */
const SEGMENT_RESOURCES: Readonly<Record<string, ProjectResource>> = {
  datasets: 'dataset', experiments: 'experiment', runs: 'run', models: 'model', deconvolutions: 'batch',
};

export function resolveAccess(method: string, url: string, declared: RouteAccess = {}, declaresMultipart = false): ResolvedAccess {
  const reads = method === 'GET' || method === 'HEAD';
  const labWide = declared.labWide ?? false;
  const params = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]);
  let resource: ProjectResource | null = null;
  if (params.length > 0 && !labWide) {
    const others = params.filter((name) => name !== 'id');
    if (others.length > 0 && declared.resource === undefined) {
      throw new Error(`access: ${method} ${url} has parameters ${others.join(', ')}; name the resource it acts on in the service's access policy`);
    }
    resource = declared.resource ?? SEGMENT_RESOURCES[url.split('/')[2] ?? ''] ?? null;
    if (resource === null) throw new Error(`access: ${method} ${url}: no resource is known for its :id; name it in the service's access policy`);
  }
  return {
    scope: declared.scope ?? (reads ? 'read' : 'write'), labWide, expensive: declared.expensive ?? false,
    takesFiles: declared.takesFiles ?? declaresMultipart, resource, audited: !reads,
  };
}
