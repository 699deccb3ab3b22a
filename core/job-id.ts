/**
 * The job id (and workflow id) of a file: its content hash, so the same file maps to the same
 * job. A forced restart adds a stamp, giving a new job whose Idempotency-Keys differ.
 */
export function jobIdFor(fileHash: string, restartStamp?: number): string {
  const base = `job-${fileHash.slice(0, 16)}`;
  return restartStamp === undefined ? base : `${base}-${restartStamp.toString(36)}`;
}
