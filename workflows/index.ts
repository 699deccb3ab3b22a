export * from './csv-job.ts';
