/**
 * cargo's own first `error:` line, joined with the first line of its `Caused by:` section when
 * there is one (cargo often says only "failed to parse manifest" on the error line itself).
 */
export function cargoErrorLine(stderr: string): string {
  const lines = stderr.split(/\r?\n/)
  const at = lines.findIndex(line => line.startsWith('error:'))
  if (at === -1) return lines.find(line => line.trim() !== '')?.trim() ?? 'cargo failed'
  const first = (lines[at] as string).slice('error:'.length).trim()
  const causedAt = lines.findIndex((line, i) => i > at && line.trim() === 'Caused by:')
  const cause = causedAt === -1 ? undefined : lines.slice(causedAt + 1).find(l => l.trim() !== '')
  return cause ? `${first}: ${cause.trim()}` : first
}
