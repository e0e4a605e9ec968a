import { CHECKPOINTS } from './checkpoints';
import type { GradingReport } from './grading.types';

/**
 * GET /api/grading?format=csv: a header `student,name,<checkpoint ids in CHECKPOINTS order>`, then one
 * row per report in the order given, `true`/`false` per checkpoint; lines end with "\n".
 */
export function gradingCsv(reports: readonly GradingReport[]): string {
  const lines = [['student', 'name', ...CHECKPOINTS.map((c) => c.id)].join(',')];
  for (const { student, checkpoints } of reports) {
    const passed = new Set(checkpoints.filter((c) => c.passed).map((c) => c.id));
    lines.push([csvCell(student.id), csvCell(student.name), ...CHECKPOINTS.map((c) => String(passed.has(c.id)))].join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * One cell, quoted as RFC 4180 says when it holds a comma, a quote or a line break. A spreadsheet
 * would run a cell that starts like a formula ("=HYPERLINK(...)" as a name a student chose), so such a
 * cell gets a leading apostrophe, which keeps it text (OWASP's advice for CSV exports).
 */
export function csvCell(text: string): string {
  const cell = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(cell) || cell !== text ? `"${cell.replace(/"/g, '""')}"` : cell;
}
