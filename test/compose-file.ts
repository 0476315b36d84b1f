/**
 * docker-compose.yml as Compose reads it with no .env and nothing exported: parsed by a maintained YAML library
 * (`yaml`, merge keys on, as Compose has them), then every `${NAME:-default}` replaced by its default and `$$` by
 * `$`. Used by the tests that hold the file to the code (compose.test.ts) and run what it configures
 * (redis-aof.test.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const COMPOSE_FILE = `${REPO_ROOT}docker-compose.yml`;

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
  volumes?: string[];
  deploy?: { replicas?: string; resources?: { reservations?: { devices?: { driver: string; count: number; capabilities: string[] }[] } } };
}
export interface ComposeFile { services: Record<string, ComposeService>; volumes?: Record<string, unknown> }

/** Variables that a `${…}` in the file names without a default (Compose would substitute an empty string). */
export function variablesWithoutDefault(text: string): string[] {
  return [...text.replaceAll('$$', '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-[^}]*)?\}/g)]
    .filter((match) => match[2] === undefined).map((match) => match[1]);
}

/** Compose's interpolation, with every variable unset. */
export function interpolateDefaults(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (match, _name, fallback: string | undefined) =>
      match === '$$' ? '$' : (fallback ?? ''));
  }
  if (Array.isArray(value)) return value.map(interpolateDefaults);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, interpolateDefaults(child)]));
  }
  return value;
}

export function composeText(): string {
  return readFileSync(COMPOSE_FILE, 'utf8');
}

/** The file as written (variables still `${…}`). */
export function rawCompose(): ComposeFile {
  return parse(composeText(), { merge: true }) as ComposeFile;
}

/** The file as Compose runs it with the defaults. */
export function loadCompose(): ComposeFile {
  return interpolateDefaults(rawCompose()) as ComposeFile;
}
