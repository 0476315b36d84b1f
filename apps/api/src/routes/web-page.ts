/**
 * The page for scientists (apps/api/web: index.html, app.js, plot.js, style.css): plain HTML and ES modules, no build
 * step and no front-end dependency, served as files. It holds no data: it asks for an API key (kept in the tab's
 * sessionStorage) and reads everything through /v1 with it, so these routes are open. A strict Content-Security-Policy
 * allows only this origin's scripts and styles, and blob: images (the PNGs, fetched with the key).
 */
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';

export const WEB_PAGE_PATH = '/ui/';
const WEB_DIR = new URL('../../web/', import.meta.url);
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'plot.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export const webPageRoutes: FastifyPluginAsync = async (app) => {
  // Read once at start-up: a missing file fails the build of the app, not a request.
  const bodies = Object.fromEntries(Object.keys(FILES).map((name) => [name, readFileSync(new URL(name, WEB_DIR))]));
  for (const [name, type] of Object.entries(FILES)) {
    const url = name === 'index.html' ? WEB_PAGE_PATH : `${WEB_PAGE_PATH}${name}`;
    app.get(url, { schema: { hide: true } }, async (_request, reply) => reply
      .type(type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff')
      .header('content-security-policy', CSP).header('referrer-policy', 'no-referrer')
      .send(bodies[name]));
  }
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect(WEB_PAGE_PATH));
};
