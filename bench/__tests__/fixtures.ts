import type { BenchReport } from '../report.js'

/** A report of a run on a made-up machine; each test gives what it is about. */
export function testReport(run: Partial<BenchReport> & Pick<BenchReport, 'mode'>): BenchReport {
  return {
    command: 'npm run bench',
    startedAt: new Date('2026-01-02T03:04:05Z'),
    durationMs: 125_000,
    machine: {
      cpu: 'Test CPU',
      cores: 2,
      memoryGiB: 8,
      os: 'Linux 6',
      node: 'v20',
      cargo: 'cargo 1.95.0',
      rustc: 'rustc 1.95.0',
      commit: 'abc1234'
    },
    units: 4,
    runs: 3,
    lagMs: 1000,
    cli: 'dist/cli.js',
    cliSha256: '4bb744817cbb0123',
    cliArgs: [],
    cliStartupMs: 200,
    cases: [],
    ...run
  }
}
