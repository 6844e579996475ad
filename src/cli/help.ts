/**
 * The command line's help, generated from the one input list (src/options/inputs.ts): every
 * command lists the flags it uses, each with its meaning and default, so help cannot drift from
 * what the parser accepts. Pure.
 */
import { INPUTS, type InputSpec } from '../options/inputs.js'
import { SECRET_ENV } from '../options/secrets.js'

export interface ExtraFlag {
  name: string
  default: string
  description: string
  /** A flag that takes no value. */
  boolean?: boolean
}

export interface CommandHelp {
  name: string
  usage: string
  summary: string
  /** Action inputs this command uses, in the order help lists them. */
  inputs: readonly string[]
  /** Flags of this command only. */
  extra: readonly ExtraFlag[]
}

const PLAN_INPUTS = [
  'manifest-path',
  'packages',
  'target-registry',
  'target-registry-url',
  'config'
] as const

const REHEARSAL_REGISTRY = [
  'registry-url',
  'registry-name',
  'registry-token',
  'registry-wait',
  'registry-user',
  'registry-password'
] as const

export const COMMANDS: readonly CommandHelp[] = [
  {
    name: 'plan',
    usage: 'shipper-rehearse plan [flags]',
    summary:
      'Print the publish plan: order, levels, skipped crates, plan_id and content digest. Publishes nothing.',
    inputs: PLAN_INPUTS,
    extra: [{ name: 'format', default: 'text', description: 'Output format: `text` or `json`.' }]
  },
  {
    name: 'rehearse',
    usage: 'shipper-rehearse rehearse [flags]',
    summary:
      'Publish the plan to a throwaway registry (the embedded one when --registry-url is empty), prove every version visible, run the smoke checks, and write rehearsal.json, events.jsonl and cargo.log to the state dir.',
    inputs: [
      ...PLAN_INPUTS,
      ...REHEARSAL_REGISTRY,
      'smoke-install',
      'smoke-build',
      'skip-rehearsal',
      'state-dir',
      'max-concurrency',
      'readiness-timeout',
      'allow-dirty'
    ],
    extra: []
  },
  {
    name: 'gate',
    usage: 'shipper-rehearse gate [flags]',
    summary:
      'Evaluate the publish gate against the rehearsal record in the state dir and print the decision (exit 0 proceed, 1 refuse).',
    inputs: [...PLAN_INPUTS, 'state-dir', 'bind', 'skip-rehearsal'],
    extra: []
  },
  {
    name: 'publish',
    usage: 'shipper-rehearse publish [flags]',
    summary:
      'Enforce the gate, then publish the plan to the live registry in dependency order, skipping versions already there and retrying what is transient.',
    inputs: [
      ...PLAN_INPUTS,
      'state-dir',
      'bind',
      'verify',
      'skip-rehearsal',
      'token',
      'trusted-publishing',
      'dry-run',
      'max-concurrency',
      'readiness-timeout',
      'max-attempts',
      'allow-dirty'
    ],
    extra: []
  },
  {
    name: 'registry serve',
    usage: 'shipper-rehearse registry serve [flags]',
    summary:
      'Run the embedded registry on loopback until Ctrl-C. Prints the cargo index URL on stdout; the token and data dir on stderr.',
    inputs: [],
    extra: [
      {
        name: 'port',
        default: '0 (any free port)',
        description: 'Port on 127.0.0.1 to listen on.'
      },
      {
        name: 'data',
        default: 'a temporary dir, removed on exit',
        description: 'Directory keeping the crates and the index across restarts.'
      },
      {
        name: 'token',
        default: 'a random token',
        description: 'Token cargo must send to publish.'
      },
      {
        name: 'strict',
        default: 'on',
        boolean: true,
        description:
          'Reject what crates.io would reject (missing description or license, too many keywords, …); --no-strict accepts it.'
      },
      {
        name: 'auth-required',
        default: 'off',
        boolean: true,
        description: 'Require the token for reading the index and downloads too.'
      }
    ]
  }
]

/** Inputs that only mean something inside a workflow (artifacts, statuses, cache, mode). */
export const ACTION_ONLY_INPUTS = [
  'mode',
  'artifact-name',
  'retention-days',
  'rehearsal-run-id',
  'github-token',
  'status-check',
  'cache'
] as const

const byName = new Map(INPUTS.map(i => [i.name, i]))

function flagLine(flag: string, meaning: string, fallback: string): string[] {
  const head = `  ${flag}`
  const text = `${meaning} (default: ${fallback})`
  return head.length < 28 ? [`${head.padEnd(28)}${text}`] : [head, `${' '.repeat(28)}${text}`]
}

function inputFlag(input: InputSpec): string[] {
  const value =
    input.kind === 'boolean'
      ? ''
      : input.kind === 'duration'
        ? ' DURATION'
        : input.kind === 'integer'
          ? ' N'
          : input.kind === 'list'
            ? ' A,B'
            : ' VALUE'
  if (input.kind === 'secret') {
    return flagLine(
      `--${input.name}-file PATH`,
      `${input.description} Read from PATH (\`-\`: standard input), or from ${SECRET_ENV[input.name] ?? 'the environment'}.`,
      defaultText(input)
    )
  }
  const flag = input.kind === 'boolean' ? `--[no-]${input.name}` : `--${input.name}${value}`
  return flagLine(flag, input.description, defaultText(input))
}

function defaultText(input: InputSpec): string {
  if (input.name === 'config') return '.shipper.toml beside the manifest, if present'
  if (input.default === '') return input.kind === 'secret' ? 'none' : 'empty'
  return input.default
}

/** Help for one command: usage, what it does, each flag with its meaning and default. */
export function commandHelp(command: CommandHelp): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary, '', 'Flags:']
  for (const extra of command.extra) {
    lines.push(
      ...flagLine(
        extra.boolean ? `--[no-]${extra.name}` : `--${extra.name} VALUE`,
        extra.description,
        extra.default
      )
    )
  }
  for (const name of command.inputs) lines.push(...inputFlag(byName.get(name) as InputSpec))
  lines.push(...flagLine('-h, --help', 'Show this help.', 'off'))
  if (command.inputs.length > 0) {
    lines.push(
      '',
      'Flags are the action inputs of the same name: --name VALUE or --name=VALUE; booleans --name / --no-name.',
      'Secrets are never flags (a command line is visible to every process of the machine): give them in the environment or with --NAME-file PATH.',
      `Accepted but meaningful only in the action: ${ACTION_ONLY_INPUTS.map(n => `--${n}`).join(', ')}.`
    )
  }
  return lines.join('\n')
}

/** The top-level help: every command with its one-line purpose. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map(c => c.name.length))
  return [
    'shipper-rehearse — rehearse a Rust workspace release, then publish it behind a gate',
    '',
    'Usage: shipper-rehearse <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map(
      c => `  ${c.name.padEnd(width)}  ${c.summary.split('. ')[0]?.replace(/\.$/, '')}`
    ),
    `  ${'help'.padEnd(width)}  Show help for a command: shipper-rehearse help <command>`,
    '',
    'Run `shipper-rehearse <command> --help` for its flags, their meanings and defaults.',
    'Exit codes: 0 success, 1 failure or refusal, 2 bad usage or bad input;',
    '130 / 143 when interrupted by SIGINT / SIGTERM.'
  ].join('\n')
}

/** The command a help request is about: `registry serve` is two words. */
export function findCommand(words: readonly string[]): CommandHelp | undefined {
  const two = words.slice(0, 2).join(' ')
  return COMMANDS.find(c => c.name === two) ?? COMMANDS.find(c => c.name.split(' ')[0] === words[0])
}

/** True when argv asks for help anywhere among a command's own words. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some(a => a === '--help' || a === '-h')
}
