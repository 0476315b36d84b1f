/**
 * The OpenAPI 3.1 document of a service at `/docs/json` (and its UI at `/docs`), built by
 * @fastify/swagger from the routes' own schemas. 3.1 because its Schema Object is JSON Schema
 * 2020-12: TypeBox's numeric `exclusiveMinimum` and `{ type: 'null' }` unions are valid there as
 * they are (3.0 has neither).
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { API_KEY_SECURITY_SCHEME } from './access/access.ts';

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
  tags: string[];
}

/** Registered at the root (fastify-plugin), so that it sees every route registered after it. */
async function openApi(app: FastifyInstance, info: OpenApiInfo): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: info.title, version: info.version, description: info.description },
      tags: info.tags.map((name) => ({ name })),
      // The bearer API key of every /v1 route (access/access.ts marks each operation with it).
      components: { securitySchemes: API_KEY_SECURITY_SCHEME },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export default fp(openApi, { name: 'openapi' });
