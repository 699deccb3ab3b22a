import os from 'node:os';

/**
 * The task queue of the files on this host: a job's ingest activity runs there, so a process on
 * the host that checked the file reads it, wherever the job's batches are sent from.
 */
export function fileQueueOf(taskQueue: string): string {
  return `${taskQueue}/files@${os.hostname()}`;
}
