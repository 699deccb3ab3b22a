import { JobStartError, type JobStartProblem } from '../runtime/jobs.ts';
import { JobControlError, type JobControlProblem } from '../runtime/job-control.ts';
import { ApiProblem } from './problem.ts';

const START_STATUS: Record<JobStartProblem, number> = {
  invalid_request: 400,
  not_found: 404,
  not_a_file: 422,
  invalid_csv: 422,
  no_worker: 503,
};

const CONTROL_STATUS: Record<JobControlProblem, number> = {
  not_found: 404,
  not_running: 409,
  nothing_to_retry: 409,
  unsent_rows: 409,
  no_worker: 503,
};

/** The API's answer to a job that cannot start or be controlled; other errors pass through. */
export function asApiProblem(err: unknown): unknown {
  if (err instanceof JobStartError) return new ApiProblem(START_STATUS[err.problem], err.problem.replace(/_/g, '-'), err.message);
  if (err instanceof JobControlError) return new ApiProblem(CONTROL_STATUS[err.problem], err.problem.replace(/_/g, '-'), err.message);
  return err;
}
