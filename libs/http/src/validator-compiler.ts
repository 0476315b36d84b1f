/**
 * Request validation for both services, with Fastify's Ajv settings except for one thing:
 * coercion. A JSON body says what type a value has, so `"10"` for a number is refused there
 * (Fastify's default would quietly make it 10). A query string, path or header is text by
 * nature, so those are coerced — but a number must be written as one: `1e3`, `0x10`, ` 5` or
 * `Infinity` are refused before Ajv would turn them into numbers.
 *
 * Only JSON bodies are validated against their schema: a multipart or binary body (TIFF) is
 * parsed by its route, which checks it; its schema is there for the OpenAPI document.
 */
import Ajv, { type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const FASTIFY_DEFAULTS: Options = { useDefaults: true, removeAdditional: false, addUsedSchema: false, allErrors: false };

/** A decimal number as JSON writes it: what a client's query string (or form field) should say. */
const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;
const INTEGER = /^-?(0|[1-9]\d*)$/;

/** Whether text is a number written in decimal digits (an integer without fraction or exponent for `integer`). */
export function isDecimalText(text: string, kind: 'integer' | 'number'): boolean {
  // Finite too: "1e400" reads as Infinity, which Ajv's maximum then lets through.
  return (kind === 'integer' ? INTEGER : DECIMAL).test(text) && Number.isFinite(Number(text));
}

interface PropertySchema { type?: string | string[]; anyOf?: PropertySchema[] }

function numericKind(schema: PropertySchema | undefined): 'integer' | 'number' | undefined {
  if (!schema) return undefined;
  const types = [schema.type, ...(schema.anyOf ?? []).map((s) => s.type)].flat();
  if (types.includes('number')) return 'number';
  if (types.includes('integer')) return 'integer';
  return undefined;
}

/** Ajv coercion of a query string or path, after a check that every numeric property is written as a plain decimal. */
function textPartValidator(ajv: Ajv, schema: Record<string, unknown>): ValidateFunction {
  const validate = ajv.compile(schema);
  const properties = (schema.properties ?? {}) as Record<string, PropertySchema>;
  const numeric = Object.entries(properties)
    .map(([name, property]) => [name, numericKind(property)] as const)
    .filter((entry): entry is readonly [string, 'integer' | 'number'] => entry[1] !== undefined);
  if (numeric.length === 0) return validate;
  const checked = ((data: Record<string, unknown> | null, context?: unknown) => {
    for (const [name, kind] of numeric) {
      const value = data?.[name];
      if (typeof value !== 'string') continue;
      if (!isDecimalText(value, kind)) {
        const issue: ErrorObject = {
          instancePath: `/${name}`, schemaPath: `#/properties/${name}/type`, keyword: 'type', params: { type: kind },
          message: `must be a finite ${kind === 'integer' ? 'integer' : 'number'} written in decimal digits (got ${JSON.stringify(value.slice(0, 40))})`,
        };
        checked.errors = [issue];
        return false;
      }
    }
    const ok = (validate as (data: unknown, context?: unknown) => boolean)(data, context);
    checked.errors = validate.errors;
    return ok;
  }) as ValidateFunction;
  return checked;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = new Ajv({ ...FASTIFY_DEFAULTS, coerceTypes: false });
  const coercing = new Ajv({ ...FASTIFY_DEFAULTS, coerceTypes: 'array' });
  addFormats(strict);
  addFormats(coercing);
  return ({ schema, httpPart, contentType }) => {
    if (httpPart === 'body') {
      if (contentType !== undefined && !/^application\/(.+\+)?json$/.test(contentType)) return () => true;
      return strict.compile(schema as object);
    }
    return textPartValidator(coercing, schema as Record<string, unknown>);
  };
}
