import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import pkg from '../package.json' with { type: 'json' };
import { ProblemSchema } from './problem.ts';
import type { ResponseDoc, Route } from './route.ts';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });

function operation(r: Route): ZodOpenApiOperationObject {
  const responses: Record<`${number}`, ZodOpenApiResponseObject> = {};
  for (const [status, doc] of Object.entries(r.responses) as [`${number}`, ResponseDoc][]) {
    responses[status] = Number(status) >= 400 || !doc.schema ? problem(doc.description) : { description: doc.description, content: { [doc.contentType ?? 'application/json']: { schema: doc.schema } } };
  }
  responses['400'] ??= problem('Malformed JSON, or a field, path or query parameter that is not valid (named in detail)');
  if (r.body) responses['413'] = problem('Body over 1 MiB');
  if (r.rawBody) responses['413'] ??= problem('Body over the size limit');
  if (!r.public) {
    responses['401'] = problem('Missing or wrong bearer token (when WEBHOOK_AUTH_TOKEN is set)');
    responses['429'] = problem('Over WEBHOOK_RATE_LIMIT requests per minute from this address; see Retry-After');
  }
  responses['500'] = problem('Unexpected error (details are logged, never sent)');
  return {
    summary: r.summary,
    operationId: `${r.method}${r.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    ...(r.public ? { security: [] } : {}),
    requestParams: { path: r.params, query: r.query },
    ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
    ...(r.rawBody ? { requestBody: { required: true, content: Object.fromEntries(Object.entries(r.rawBody).map(([type, schema]) => [type, { schema }])) } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 description of the routes, from the zod schemas that validate their requests. */
export function openApiDocument(routes: Route[]) {
  const paths: ZodOpenApiPathsObject = {};
  for (const r of routes) paths[r.path] = { ...paths[r.path], [r.method]: operation(r) };
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'bulk-api-trigger',
      version: pkg.version,
      description: 'Delivers the HTTP calls listed in CSV files, with adaptive rate limiting per target host. Errors are application/problem+json.',
    },
    components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'WEBHOOK_AUTH_TOKEN; not needed when it is unset' } } },
    security: [{ bearerAuth: [] }],
    paths,
  });
}
