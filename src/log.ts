/** Where the engine reports progress: @actions/core in the action, the terminal on the command line. */
export interface Logger {
  info(message: string): void
  warning(message: string, where?: { file?: string }): void
  error(message: string, where?: { file?: string }): void
  debug(message: string): void
  /** Registers a secret so it is masked wherever it would be printed. */
  secret(value: string): void
}

/** A logger that remembers lines; for tests and for callers that only want the text. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const secrets: string[] = []
  const mask = (s: string) => secrets.reduce((acc, v) => (v ? acc.split(v).join('***') : acc), s)
  return {
    lines,
    info: m => void lines.push(mask(m)),
    warning: m => void lines.push(`warning: ${mask(m)}`),
    error: m => void lines.push(`error: ${mask(m)}`),
    debug: () => undefined,
    secret: v => void secrets.push(v)
  }
}
