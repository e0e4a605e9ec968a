import type { StudentView } from '../../src/class/class.types';
import { CHECKPOINTS, CheckpointId } from '../../src/grading/checkpoints';
import { csvCell, gradingCsv } from '../../src/grading/grading-csv';
import type { GradingReport } from '../../src/grading/grading.types';
import { parseCsv } from '../support/csv';

const student = (id: string, name: string): StudentView => ({ id, name, role: 'student', joinedAt: '2026-01-01T00:00:00.000Z', lastSeen: null, consumers: 0, topics: 0, checkpoints: [] });
const report = (id: string, name: string, passed: CheckpointId[]): GradingReport => ({
  student: student(id, name),
  checkpoints: CHECKPOINTS.map((c) => ({ id: c.id, title: c.title, passed: passed.includes(c.id), at: passed.includes(c.id) ? '2026-01-01T00:00:01.000Z' : null, evidence: null })),
});

describe('grading as CSV', () => {
  it('has the header student,name and the 8 checkpoint ids in order, then a row per report with true/false', () => {
    const csv = gradingCsv([report('aaaaaa', 'Ada', ['replicated-topic', 'share-group']), report('bbbbbb', 'Bob', [])]);
    expect(csv.endsWith('\n')).toBe(true);
    expect(csv.split('\n')).toEqual([
      'student,name,replicated-topic,pub-sub,load-sharing,consumer-failover,broker-failover,no-data-loss,incremental-rebalance,share-group',
      'aaaaaa,Ada,true,false,false,false,false,false,false,true',
      'bbbbbb,Bob,false,false,false,false,false,false,false,false',
      '',
    ]);
    expect(gradingCsv([])).toBe(`student,name,${CHECKPOINTS.map((c) => c.id).join(',')}\n`);
  });

  it('quotes names with a comma or a quote (RFC 4180), and reads back to the same names', () => {
    const names = ['Lovelace, Ada', 'Grace "Amazing" Hopper', 'Édouard Lucas', 'plain'];
    const csv = gradingCsv(names.map((n, i) => report(`s0000${i}`, n, [])));
    expect(csv.split('\n')[1]).toBe('s00000,"Lovelace, Ada",false,false,false,false,false,false,false,false');
    expect(csv.split('\n')[2].startsWith('s00001,"Grace ""Amazing"" Hopper",')).toBe(true);
    expect(csv.split('\n')[3].startsWith('s00002,Édouard Lucas,')).toBe(true);
    const rows = parseCsv(csv);
    expect(rows.map((r) => r.length)).toEqual([10, 10, 10, 10, 10]);
    expect(rows.slice(1).map((r) => r[1])).toEqual(names);
  });

  it('keeps a name that looks like a spreadsheet formula as text', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+1')).toBe(`"'+1"`);
    expect(csvCell('@sum')).toBe(`"'@sum"`);
    expect(csvCell('Ada')).toBe('Ada');
    expect(parseCsv(`${csvCell('-2+3')}\n`)).toEqual([["'-2+3"]]);
  });
});
