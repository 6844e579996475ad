import { join, relative, sep } from 'node:path'

/**
 * Reading cargo's output for a person: the error blocks (rustc's `error[E…]` with its `-->`
 * location, cargo's `error:` with its `Caused by:` chain) rather than the last lines, which after
 * a failed build are mostly "could not compile" and packaging chatter. Pure.
 */

const ERROR_START = /^error(?:\[[A-Z]*\d+\])?:/
/** Lines that end a block: another diagnostic, cargo's status lines, rustc's closing remarks. */
const BLOCK_END =
  /^(?:error|warning)(?:\[[A-Z]*\d+\])?:|^\s{0,12}[A-Z][a-z]+(?:ed|ing) [^\s]+ v\d|^\s{0,12}(?:Finished|Updating|Locking|Blocking|Waiting|Running)\b|^For more information about (?:this|an) error|^Some errors have detailed explanations/

/** At most this many lines of error blocks are kept; the first blocks carry the cause. */
const MAX_EVIDENCE_LINES = 80

/** Every `error…:` block of cargo's output, each with the lines that belong to it, in order. */
export function errorBlocks(output: string): string[] {
  const lines = output.split(/\r?\n/)
  const blocks: string[] = []
  for (let i = 0; i < lines.length; i++) {
    if (!ERROR_START.test(lines[i] as string)) continue
    let end = i + 1
    while (end < lines.length && !BLOCK_END.test(lines[end] as string)) end++
    const block = lines.slice(i, end)
    while (block.length > 1 && (block.at(-1) as string).trim() === '') block.pop()
    blocks.push(block.join('\n'))
    i = end - 1
  }
  return blocks
}

/**
 * What to show and keep of a failed cargo command: its error blocks (cut to a bounded size, the
 * first ones kept), or its last lines when it printed no error block (killed, or a plain panic).
 */
export function cargoEvidence(output: string, fallbackLines = 40): string {
  const blocks = errorBlocks(output)
  if (blocks.length === 0) {
    return output.replace(/\s+$/, '').split('\n').slice(-fallbackLines).join('\n')
  }
  const lines = blocks.join('\n\n').split('\n')
  if (lines.length <= MAX_EVIDENCE_LINES) return lines.join('\n')
  const dropped = lines.length - MAX_EVIDENCE_LINES
  return [...lines.slice(0, MAX_EVIDENCE_LINES), `… (${dropped} more lines in the cargo log)`].join(
    '\n'
  )
}

/**
 * cargo's first error as one line, with where it is: rustc's `-->` location, or for a manifest
 * cargo could not parse, `path:line:column` and what TOML said there.
 */
export function firstCargoError(output: string): string | undefined {
  const block = errorBlocks(output)[0]
  if (block === undefined) return undefined
  const lines = block.split('\n')
  const head = (lines[0] as string).replace(/^error(?:\[([A-Z]*\d+)\])?:\s*/, (_, code) =>
    code ? `${code}: ` : ''
  )
  const location = lines.map(l => /^\s*-->\s+(\S+)/.exec(l)?.[1]).find(Boolean)
  if (location) return `${head} (${location})`
  const manifest = /failed to parse manifest at `([^`]+)`/.exec(block)
  const toml = block.match(/TOML parse error at line (\d+), column (\d+)/)
  if (manifest && toml) {
    const said = lines
      .slice(lines.findIndex(l => l.includes('TOML parse error')) + 1)
      .map(l => l.trim())
      .filter(l => l !== '' && !/^\d*\s*\|/.test(l))
    return `${manifest[1]}:${toml[1]}:${toml[2]}: ${said[0] ?? 'invalid TOML'}`
  }
  const caused = lines.findIndex(l => l.trim() === 'Caused by:')
  const cause = caused === -1 ? undefined : lines.slice(caused + 1).find(l => l.trim() !== '')
  return cause ? `${head}: ${cause.trim()}` : head
}

/**
 * Text about a scratch copy, told in the user's terms: every path below `copy` becomes the same
 * path below `checkout`, so a message names the file the user can open.
 */
export function inCheckout(text: string, copy: string | undefined, checkout: string): string {
  if (!copy) return text
  return text.split(copy).join(checkout)
}

/**
 * rustc names files relative to where it ran: the workspace root in a workspace build, but the
 * packaged copy of the crate in `cargo package`'s verification build. A relative location that is
 * not a file below `root` but is one below `crateDir` is rewritten relative to `root`, so the
 * message points at the file in the checkout (`g-app/src/lib.rs:3:12`, not `src/lib.rs:3:12`).
 */
export function anchorLocation(
  message: string,
  crateDir: string,
  root: string,
  isFile: (path: string) => boolean
): string {
  return message.replace(/\(([^()\s/][^()\s]*):(\d+):(\d+)\)$/, (whole, file: string, l, c) => {
    if (isFile(join(root, file)) || !isFile(join(crateDir, file))) return whole
    return `(${relative(root, join(crateDir, file)).split(sep).join('/')}:${l}:${c})`
  })
}
