/**
 * The tests' API key: an admin key made in the test's database as `divblur keys create` makes one (issueApiKey), and
 * an app whose `inject` sends it, as a LIMS sends its key, unless a request sets `authorization` itself (the access
 * tests do, to send none or another). Every harness and every test that builds a service goes through this.
 */
import type { InjectOptions } from 'fastify';
import type { Repositories } from '@divblur/db';
import { issueApiKey } from '@divblur/http/api-key';

/** Access configuration for tests: libs/config's, with limits no test but a rate-limit one reaches. */
export const TEST_RATE_LIMIT_ENV = { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '1000000' } as const;

/** A well-formed key that no database holds: for a service whose Postgres is away (its check then answers 503, not 401). */
export const UNREACHABLE_KEY = `dbk_${'e'.repeat(16)}_${'e'.repeat(64)}`;

type Injectable = { inject: (request: InjectOptions) => unknown };

export async function sendKeyByDefault<App extends Injectable>(app: App, db: Pick<Repositories, 'apiKeys' | 'projects'>, key?: string):
  Promise<{ key: string; injectWithoutKey: App['inject'] }> {
  const sent = key ?? (await issueApiKey(db, { name: 'test', scopes: ['admin'] })).key;
  const injectWithoutKey = app.inject.bind(app) as App['inject'];
  app.inject = ((request: InjectOptions | string) => {
    const options = typeof request === 'string' ? { url: request } : request;
    const explicit = options.headers !== undefined && 'authorization' in options.headers;
    return injectWithoutKey({ ...options, headers: { ...(explicit ? {} : { authorization: `Bearer ${sent}` }), ...options.headers } });
  }) as App['inject'];
  return { key: sent, injectWithoutKey };
}
