import { jobIdFor } from '../../core/job-id.ts';
import { hashFile } from '../../activities/csv-file.ts';
import { workflowState } from '../../runtime/job-control.ts';
import { checkJobFile } from '../../runtime/jobs.ts';
import { getJob, lockFileHash } from '../../store/jobs-repo.ts';
import { deleteJob, unfinishedJobs } from '../../store/job-queries.ts';
import { countRows } from '../../store/rows-repo.ts';
import { confineCsvPath } from '../csv-path.ts';
import { ApiProblem } from '../problem.ts';
import { requireDb, route, type ApiDeps } from '../route.ts';
import { CsvFileBodySchema, ResumeClearSchema, ResumeStatsSchema, ResumeStatusSchema } from '../schemas.ts';

const DAY_S = 86_400;

/** The file a resume request names, and the job id its content maps to. */
async function fileJob(deps: ApiDeps, csvFile: string) {
  const filePath = await confineCsvPath(csvFile, deps.config.api.csvDirs);
  await checkJobFile(filePath);
  const { hash } = await hashFile(filePath);
  return { filePath, hash, jobId: jobIdFor(hash) };
}

export const resumeRoutes = [
  route({
    method: 'post',
    path: '/resume/status',
    summary: 'What a trigger of this file would do: resume its unfinished job, or start over',
    body: CsvFileBodySchema,
    responses: { 200: { description: 'The checkpoint of this content, if any', schema: ResumeStatusSchema } },
    async handle({ body, deps }) {
      const db = requireDb(deps);
      const { filePath, hash, jobId } = await fileJob(deps, body.csv_file);
      const job = await getJob(db, jobId);
      const counts = job ? await countRows(db, jobId) : null;
      const ageSeconds = job ? (Date.now() - job.updated_at.getTime()) / 1000 : null;
      const hasCheckpoint = job !== null && job.status !== 'completed';
      return {
        status: 200,
        json: {
          csv_file: filePath,
          file_hash: hash,
          job_id: jobId,
          has_checkpoint: hasCheckpoint,
          status: job?.status ?? null,
          processed_rows: counts ? counts.succeeded + counts.failed + counts.invalid : 0,
          total_rows: job?.total_rows ?? null,
          checkpoint_age_seconds: ageSeconds === null ? null : Math.round(ageSeconds),
          expired: hasCheckpoint && (!deps.config.resume.enabled || (ageSeconds ?? 0) > deps.config.resume.maxAgeDays * DAY_S),
        },
      };
    },
  }),
  route({
    method: 'post',
    path: '/resume/clear',
    summary: "Forget this file's unfinished progress: its next trigger starts at the first row",
    body: CsvFileBodySchema,
    responses: {
      200: { description: 'cleared, or why there was nothing to clear', schema: ResumeClearSchema },
      409: { description: 'The job is running: pause or cancel it first' },
    },
    async handle({ body, deps }) {
      const db = requireDb(deps);
      const { hash, jobId } = await fileJob(deps, body.csv_file);
      // Under the claim's lock: a run that has not claimed yet will find no job and start fresh.
      const reason = await db.transaction(async (tx) => {
        await lockFileHash(tx, hash);
        const job = await getJob(tx, jobId);
        if (!job) return 'no unfinished job for this file';
        if (job.status === 'completed') return `already delivered by ${jobId}; use force_restart to send it again`;
        if ((await workflowState(deps.client, jobId)) === 'running') {
          throw new ApiProblem(409, 'job-running', `job ${jobId} is running: cancel it before clearing its progress`, { cleared: false, reason: 'job is running' });
        }
        await deleteJob(tx, jobId);
        return null;
      });
      return { status: 200, json: reason === null ? { cleared: true } : { cleared: false, reason } };
    },
  }),
  route({
    method: 'get',
    path: '/resume/stats',
    summary: 'Every unfinished job that a trigger of its file would resume',
    responses: { 200: { description: 'Unfinished jobs, most recently active first', schema: ResumeStatsSchema } },
    async handle({ deps }) {
      const jobs = await unfinishedJobs(requireDb(deps));
      const markers = jobs.map((j) => ({ ...j, updated_at: j.updated_at.toISOString() }));
      return { status: 200, json: { count: markers.length, markers } };
    },
  }),
];
