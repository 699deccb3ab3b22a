import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes that make jobs filterable in the Temporal Web UI; the platform registers them. */
export const JOB_NAME = defineSearchAttributeKey('BulkJobName', SearchAttributeType.KEYWORD);
export const CSV_FILE = defineSearchAttributeKey('BulkCsvFile', SearchAttributeType.KEYWORD);
export const FILE_HASH = defineSearchAttributeKey('BulkFileHash', SearchAttributeType.KEYWORD);
export const JOB_STATUS = defineSearchAttributeKey('BulkJobStatus', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [JOB_NAME, CSV_FILE, FILE_HASH, JOB_STATUS];

/** The attributes a job's run starts with. */
export const jobSearchAttributes = (jobName: string, csvFile: string, fileHash: string) => [
  { key: JOB_NAME, value: jobName },
  { key: CSV_FILE, value: csvFile },
  { key: FILE_HASH, value: fileHash },
  { key: JOB_STATUS, value: 'queued' },
];
