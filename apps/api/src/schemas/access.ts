/** API keys and the audit log (issue 15): request and response schemas of /v1/keys and /v1/audit. */
import { Type, type Static } from '@sinclair/typebox';
import { PageQuery, Text, Uuid } from './common.ts';

/** libs/http's API_SCOPES (schema.prisma's ApiScope). */
export const Scope = Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')], {
  description: 'read: GET; write: create datasets, experiments, deconvolutions, cancel; admin: everything (keys, re-evaluation, audit)',
});

export const CreateKeyBody = Type.Object({
  name: Text({ minLength: 1, maxLength: 200, description: 'who or what uses it, e.g. lims' }),
  scopes: Type.Array(Scope, { minItems: 1, maxItems: 3, uniqueItems: true }),
  project: Type.Optional(Text({ minLength: 1, maxLength: 100, description: "limit the key to this project's datasets and what is made from them (created if new)" })),
}, { additionalProperties: false });
export type CreateKeyBody = Static<typeof CreateKeyBody>;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const ApiKey = Type.Object({
  id: Type.String(), name: Type.String(),
  lookupId: Type.String({ description: 'the public part of the key (dbk_<lookupId>_…), to recognise it' }),
  scopes: Type.Array(Scope), projectId: Nullable(Type.String()), projectName: Nullable(Type.String()),
  createdById: Nullable(Type.String({ description: 'the admin key that created it; null: made with the CLI' })),
  createdAt: Type.String(), lastUsedAt: Nullable(Type.String()), revokedAt: Nullable(Type.String()),
});

export const CreatedKey = Type.Object({
  ...ApiKey.properties,
  key: Type.String({ description: 'the key, shown this once: it is stored only hashed' }),
});

export const KeysQuery = Type.Object({
  ...PageQuery.properties,
  revoked: Type.Boolean({ default: false, description: 'include revoked keys' }),
}, { additionalProperties: false });

export const AuditResult = Type.Union([Type.Literal('succeeded'), Type.Literal('refused'), Type.Literal('failed')]);

export const AuditQuery = Type.Object({
  ...PageQuery.properties,
  keyId: Type.Optional(Uuid),
  route: Type.Optional(Text({ minLength: 1, maxLength: 200, description: 'as registered, e.g. /v1/experiments/:id/cancel' })),
  method: Type.Optional(Type.Union(['POST', 'PUT', 'PATCH', 'DELETE'].map((method) => Type.Literal(method)))),
  targetId: Type.Optional(Text({ minLength: 1, maxLength: 200 })),
  result: Type.Optional(AuditResult),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'from this time on (inclusive)' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'before this time' })),
}, { additionalProperties: false });

export const AuditEvent = Type.Object({
  id: Type.String(), keyId: Nullable(Type.String()), service: Type.String(), method: Type.String(), route: Type.String(),
  targetId: Nullable(Type.String()), statusCode: Type.Integer(), result: AuditResult, requestId: Type.String(), createdAt: Type.String(),
}, { description: 'one state-changing call' });
