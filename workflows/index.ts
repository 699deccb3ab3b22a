export * from './csv-job.ts';
export * from './notify-job.ts';
export * from './database-backup.ts';
