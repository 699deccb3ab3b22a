export * from './csv-job.ts';
export * from './notify-job.ts';
