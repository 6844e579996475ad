import { firstCargoError } from '../cargo/diagnostics.js'

/**
 * cargo's first error as one line, with its location when it gave one (see firstCargoError);
 * else the first line it printed.
 */
export function cargoErrorLine(stderr: string): string {
  return (
    firstCargoError(stderr) ??
    stderr
      .split(/\r?\n/)
      .find(line => line.trim() !== '')
      ?.trim() ??
    'cargo failed'
  )
}
