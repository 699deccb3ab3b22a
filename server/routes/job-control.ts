import { controlJob, retryFailedRows, type JobAction } from '../../runtime/job-control.ts';
import { requireDb, route } from '../route.ts';
import { JobIdParamsSchema, JobSignalledSchema, RetryFailedSchema } from '../schemas.ts';

const ACTIONS: { action: JobAction; summary: string }[] = [
  { action: 'pause', summary: 'Pause a running job: requests in flight finish, no new one starts (within about a second)' },
  { action: 'resume', summary: 'Resume a paused job' },
  { action: 'cancel', summary: 'Cancel a running job: requests in flight finish, unsent rows stay pending (a later trigger resumes them)' },
];

export const jobControlRoutes = [
  ...ACTIONS.map(({ action, summary }) =>
    route({
      method: 'post',
      path: `/jobs/{job_id}/${action}`,
      summary,
      params: JobIdParamsSchema,
      responses: {
        202: { description: 'Signalled; status is what the job is heading to', schema: JobSignalledSchema },
        404: { description: 'No such job' },
        409: { description: 'The job is not running' },
      },
      async handle({ params, deps }) {
        const status = await controlJob(deps.client, params.job_id, action);
        return { status: 202, json: { job_id: params.job_id, status } };
      },
    }),
  ),
  route({
    method: 'post',
    path: '/jobs/{job_id}/retry-failed',
    summary: "Send a job's failed rows again: after the rest if it runs, else in a new run over those rows only",
    params: JobIdParamsSchema,
    responses: {
      202: { description: 'The retry is on its way', schema: RetryFailedSchema },
      404: { description: 'No such job' },
      409: { description: 'No failed rows, or unsent rows that a resume must send first' },
    },
    async handle({ params, deps }) {
      const r = await retryFailedRows(deps.client, requireDb(deps), deps.config, params.job_id);
      return { status: 202, json: { job_id: params.job_id, status: r.status, failed_rows: r.failedRows, run_id: r.runId } };
    },
  }),
];
