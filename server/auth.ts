import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiProblem, sendProblem } from './problem.ts';

const REALM = 'Bearer realm="bulk-api-trigger"';
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Requires `Authorization: Bearer <token>`. Both sides are hashed first, so the comparison takes
 * the same time whatever the length or content of what was sent.
 */
export function bearerAuth(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const valid = timingSafeEqual(digest(match?.[1] ?? ''), expected);
    if (match && valid) {
      next();
      return;
    }
    const problem = match
      ? new ApiProblem(401, 'unauthorized', 'the bearer token is not valid', {}, { 'WWW-Authenticate': `${REALM}, error="invalid_token"` })
      : new ApiProblem(401, 'unauthorized', 'this endpoint needs an Authorization: Bearer <token> header (WEBHOOK_AUTH_TOKEN)', {}, { 'WWW-Authenticate': REALM });
    sendProblem(res, problem);
  };
}
