/**
 * Refuses query parameters a route does not know: a typo (`?sample=10` for `samples`) would
 * otherwise be ignored and the request run with the default. Routes with a query schema declare
 * it `additionalProperties: false`; this gives every other route an empty one. Hidden routes
 * (the docs UI's static files) are left alone.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

export const NO_QUERY = { type: 'object', properties: {}, additionalProperties: false } as const;

async function strictQuery(app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ?? {}) as { querystring?: unknown; hide?: boolean };
    if (schema.hide || schema.querystring !== undefined) return;
    route.schema = { ...schema, querystring: NO_QUERY };
  });
}

export default fp(strictQuery, { name: 'strict-query' });
