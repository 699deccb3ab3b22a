import { rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { startJob } from '../../runtime/jobs.ts';
import { parse, route } from '../route.ts';
import { JobStartedSchema, UploadFormSchema, UploadOptionsSchema } from '../schemas.ts';
import { receiveUpload } from '../upload.ts';
import { jobRequest, started } from './triggers.ts';

export const uploadRoutes = [
  route({
    method: 'post',
    path: '/trigger/upload',
    summary: 'Upload a CSV (text/csv body, or the "file" field of a multipart form) and start its job, for clients without access to the server\'s disk',
    query: UploadOptionsSchema,
    rawBody: { 'text/csv': z.string(), 'multipart/form-data': UploadFormSchema },
    responses: {
      202: { description: 'Stored under DATA_DIR/uploads; the job was started, joined or resumed (or the content was already delivered)', schema: JobStartedSchema },
      413: { description: 'Over MAX_UPLOAD_MB: nothing is kept' },
      415: { description: 'Neither text/csv nor multipart/form-data' },
      422: { description: 'Not a CSV with a webhook_url column: nothing is kept' },
    },
    async handle({ query, req, deps }) {
      const upload = await receiveUpload(req, { dir: deps.config.api.uploadDir, maxBytes: deps.config.api.maxUploadBytes });
      try {
        // Form fields, when sent, say the same as query parameters and win over them.
        const options = Object.keys(upload.fields).length > 0 ? parse(UploadOptionsSchema, { ...req.query, ...upload.fields }, 'form') : query;
        const jobName = options.job_name ?? path.basename(upload.originalName).replace(/\.csv$/i, '');
        const info = await startJob(deps.client, deps.config, upload.file, { ...jobRequest(options), jobName });
        // Delivered before: nothing will read this copy.
        if (info.decision === 'already_delivered') await rm(upload.file, { force: true });
        return { status: 202, json: started(info, upload.file) };
      } catch (err) {
        await rm(upload.file, { force: true });
        throw err;
      }
    },
  }),
];
