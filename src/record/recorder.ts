import { join } from 'node:path'
import type { Clock } from '../clock.js'
import { ALL_PACKAGES, EVENTS_FILE, EventLog, type EventType } from './events.js'
import { scrubSecrets } from './scrub.js'

/**
 * One run's recording, the same in both modes: the state dir's event log and the secrets that it,
 * every message and the receipt are scrubbed of. Secrets learnt during the run (a minted token, a
 * kellnr login) are added as they appear; `mask` also tells the terminal or the runner.
 */
export class RunRecorder {
  private readonly known: string[] = []

  private constructor(
    readonly log: EventLog,
    readonly eventsPath: string,
    private readonly mask: (value: string) => void
  ) {}

  static async open(
    stateDir: string,
    clock: Clock,
    secrets: Iterable<string>,
    mask: (value: string) => void = () => undefined
  ): Promise<RunRecorder> {
    const eventsPath = join(stateDir, EVENTS_FILE)
    const recorder = new RunRecorder(await EventLog.open(eventsPath, clock), eventsPath, mask)
    for (const secret of secrets) recorder.addSecret(secret)
    return recorder
  }

  addSecret(value: string): void {
    if (!value || this.known.includes(value)) return
    this.known.push(value)
    this.log.addSecret(value)
    this.mask(value)
  }

  /** Every secret of the run so far, for the receipt writers. */
  get secrets(): readonly string[] {
    return this.known
  }

  scrub(text: string): string {
    return scrubSecrets(text, this.known)
  }

  emit(event: EventType, pkg = ALL_PACKAGES): Promise<void> {
    return this.log.append(event, pkg)
  }

  /** Runs `body` with the log open and closes it whatever happens. */
  async during<T>(body: (recorder: RunRecorder) => Promise<T>): Promise<T> {
    try {
      return await body(this)
    } finally {
      await this.log.close()
    }
  }
}
