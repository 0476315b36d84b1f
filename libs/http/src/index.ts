export * from './error-body.ts';
export * from './validation-message.ts';
export * from './validator-compiler.ts';
export { default as openApi, type OpenApiInfo } from './openapi.ts';
export { default as strictQuery, NO_QUERY } from './strict-query.ts';
export * from './service-unavailable.ts';
