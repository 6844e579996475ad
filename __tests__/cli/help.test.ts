import { describe, expect, it } from '@jest/globals'
import { ACTION_ONLY_INPUTS, COMMANDS } from '../../src/cli/help.js'
import { main } from '../../src/cli/main.js'
import type { Terminal } from '../../src/cli/terminal.js'
import { INPUTS } from '../../src/options/inputs.js'

function capture(): Terminal & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return { stdout, stderr, out: l => void stdout.push(l), err: l => void stderr.push(l) }
}

async function run(argv: string[]) {
  const term = capture()
  const code = await main(argv, term)
  return { code, out: term.stdout.join('\n'), err: term.stderr.join('\n') }
}

const commands = ['plan', 'rehearse', 'gate', 'publish', 'registry serve']

describe('help', () => {
  it.each(commands)('answers `%s --help`, `-h` and `help %s` alike, exit 0', async command => {
    const words = command.split(' ')
    const long = await run([...words, '--help'])
    expect(long.code).toBe(0)
    expect(long.out).toMatch(new RegExp(`^Usage: shipper-rehearse ${command} \\[flags\\]`))
    expect(await run([...words, '-h'])).toEqual(long)
    expect(await run(['help', ...words])).toEqual(long)
  })

  it('answers help before reading any other flag, even a wrong one', async () => {
    const r = await run(['rehearse', '--no-such-flag', '--help'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('--registry-url VALUE')
  })

  it("lists each of a command's inputs with its meaning and its default", async () => {
    const r = await run(['rehearse', '--help'])
    const rehearse = COMMANDS.find(c => c.name === 'rehearse')
    for (const name of rehearse?.inputs ?? []) {
      const input = INPUTS.find(i => i.name === name)
      expect(input).toBeDefined()
      const flag = input?.kind === 'boolean' ? `--[no-]${name}` : `--${name}`
      const at = r.out.indexOf(`  ${flag}`)
      expect(at).toBeGreaterThan(-1)
      const entry = r.out.slice(at).split(/\n {2}-/)[0] as string
      expect(entry.replace(/\s+/g, ' ')).toContain(
        input?.description.split(' ').slice(0, 4).join(' ')
      )
      expect(entry).toMatch(/\(default: [^)]+\)/)
    }
    expect(r.out).toMatch(/--registry-wait DURATION\s+How long to wait .*\(default: 2m\)/)
    expect(r.out).toMatch(/--\[no-\]smoke-build\s+Also build .*\(default: false\)/)
  })

  it('covers every input: each is a flag of some command or named as meaningful only in the action', () => {
    const listed = new Set([...COMMANDS.flatMap(c => c.inputs), ...ACTION_ONLY_INPUTS])
    expect([...listed].sort()).toEqual(INPUTS.map(i => i.name).sort())
  })

  it('documents the flags of registry serve with their defaults', async () => {
    const r = await run(['registry', 'serve', '--help'])
    expect(r.out).toMatch(/--port VALUE\s+Port on 127\.0\.0\.1.*\(default: 0 \(any free port\)\)/)
    expect(r.out).toMatch(/--\[no-\]strict\s+Reject what crates\.io would reject/)
  })

  it('lists the commands at the top level, and refuses help for a command that does not exist', async () => {
    const top = await run(['--help'])
    expect(top.code).toBe(0)
    for (const command of commands) expect(top.out).toContain(`  ${command}`)
    const bad = await run(['help', 'deploy'])
    expect(bad.code).toBe(2)
    expect(bad.err).toBe(
      "error: no help for 'deploy': not a command (hint: run `shipper-rehearse help` for the commands)"
    )
  })

  it('prints the help to stderr with exit 2 when no command is given', async () => {
    const r = await run([])
    expect(r.code).toBe(2)
    expect(r.out).toBe('')
    expect(r.err).toContain('Usage: shipper-rehearse <command> [flags]')
  })
})
