/**
 * The full cargo log of a run, kept in the state dir (and so in the artifact): the failure report
 * shows cargo's error blocks, this file holds everything cargo printed, command by command.
 */
import { appendFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CargoRunner } from './run.js'
import { bothListeners } from './watch.js'

export const CARGO_LOG = 'cargo.log'

export class CargoLog {
  private writes: Promise<void> = Promise.resolve()
  private count = 0
  /** Applied to every line before it is written: secrets out, scratch paths to checkout paths. */
  rewrite: (text: string) => string = text => text

  private constructor(readonly path: string) {}

  /** Starts a fresh log in `stateDir` (a rerun replaces the previous run's). */
  static async create(stateDir: string, header: string): Promise<CargoLog> {
    const log = new CargoLog(join(stateDir, CARGO_LOG))
    await writeFile(log.path, `${header}\n`)
    return log
  }

  /** A runner that writes each command and its whole output here, one section per command. */
  wrap(cargo: CargoRunner, now: () => number): CargoRunner {
    return async (args, options = {}) => {
      const id = ++this.count
      const started = now()
      const lines: string[] = []
      const header = `\n=== [${id}] ${new Date(started).toISOString()} cargo ${args.join(' ')}`
      const onLine = (line: string, from: 'stdout' | 'stderr') =>
        void lines.push(from === 'stdout' ? `[${id}] | ${line}` : `[${id}]   ${line}`)
      let outcome = 'did not finish'
      try {
        const result = await cargo(args, {
          ...options,
          onLine: bothListeners(options.onLine, onLine)
        })
        outcome = `exit ${result.exitCode}`
        return result
      } catch (error) {
        outcome = `stopped: ${error instanceof Error ? error.message : String(error)}`
        throw error
      } finally {
        const footer = `=== [${id}] ${outcome} after ${((now() - started) / 1000).toFixed(1)}s`
        this.append([header, ...lines, footer].join('\n'))
      }
    }
  }

  private append(text: string): void {
    const data = `${this.rewrite(text)}\n`
    this.writes = this.writes.then(() => appendFile(this.path, data)).catch(() => undefined)
  }

  /** Resolves once everything logged so far is on disk. */
  flush(): Promise<void> {
    return this.writes
  }
}
