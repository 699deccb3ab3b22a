import { validateRow } from '../core/csv-row.ts';
import { readCsvRecords } from '../activities/csv-file.ts';

export interface DryRunReport {
  totalRows: number;
  validRows: number;
  invalidRows: number;
  errors: { row: number; reason: string }[];
}

/** Validates every row of a file without sending or storing anything. */
export async function dryRun(filePath: string, maxErrors = 20): Promise<DryRunReport> {
  const report: DryRunReport = { totalRows: 0, validRows: 0, invalidRows: 0, errors: [] };
  for await (const { rowNumber, record } of readCsvRecords(filePath)) {
    report.totalRows = rowNumber;
    const v = validateRow(record);
    if (v.ok) {
      report.validRows += 1;
      continue;
    }
    report.invalidRows += 1;
    if (report.errors.length < maxErrors) report.errors.push({ row: rowNumber, reason: v.reason });
  }
  return report;
}
