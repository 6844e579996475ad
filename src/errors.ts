/**
 * A failure the user can act on: printed as one line with its hint, never with a stack.
 * `exitCode` follows docs/contract.md: 1 for a failure or refusal, 2 for bad usage or bad input.
 */
export class UserError extends Error {
  readonly hint: string
  readonly exitCode: 1 | 2

  constructor(message: string, hint = '', exitCode: 1 | 2 = 2) {
    super(message)
    this.name = 'UserError'
    this.hint = hint
    this.exitCode = exitCode
  }

  /** The single line shown to the user. */
  get line(): string {
    return this.hint ? `${this.message} (hint: ${this.hint})` : this.message
  }
}

/** Turns any thrown value into the one line a front door prints. */
export function describeError(error: unknown): string {
  if (error instanceof UserError) return error.line
  if (error instanceof Error) return error.stack ?? error.message
  return String(error)
}
