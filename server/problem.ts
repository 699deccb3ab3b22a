import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import { z } from 'zod';

/** RFC 9457 problem details: what every error answer of the API looks like. */
export const ProblemSchema = z
  .object({
    type: z.string().meta({ description: 'A URI naming the kind of problem' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: 'What went wrong with this request, in words' }),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem' });

/** An error answer: thrown by handlers, written by the app's error handler. */
export class ApiProblem extends Error {
  override name = 'ApiProblem';
  constructor(
    readonly status: number,
    /** A short kebab-case name of the kind of problem, e.g. `path-not-allowed`. */
    readonly kind: string,
    detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export function sendProblem(res: Response, problem: ApiProblem): void {
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: `urn:bulk-api-trigger:problem:${problem.kind}`,
      title: STATUS_CODES[problem.status] ?? 'Error',
      status: problem.status,
      detail: problem.message,
      ...problem.extra,
    });
}
