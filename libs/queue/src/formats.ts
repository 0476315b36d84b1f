import { FormatRegistry } from '@sinclair/typebox';

/**
 * String formats that the schemas of this package use. TypeBox's `Value` knows no format until
 * one is registered (`Unknown format 'uuid'` otherwise); Fastify's Ajv has its own (ajv-formats).
 * Registered once, on import, and only if absent, so another registration is left alone.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerFormats(): void {
  if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (value) => UUID.test(value));
}

registerFormats();
