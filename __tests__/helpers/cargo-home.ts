import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Makes `cargoHome` a CARGO_HOME whose crates-io is replaced by the directory source `standIn`
 * (created empty), so nothing that uses it can reach crates.io. Shared by the tests' sandboxes
 * and the benchmark's worlds.
 */
export function isolatedCargoHome(
  cargoHome: string,
  standIn: string,
  options: { netRetry?: number } = {}
): void {
  mkdirSync(cargoHome, { recursive: true })
  mkdirSync(standIn, { recursive: true })
  const lines = [
    '[source.crates-io]',
    'replace-with = "crates-io-stand-in"',
    '',
    '[source.crates-io-stand-in]',
    `directory = ${JSON.stringify(standIn)}`,
    ''
  ]
  if (options.netRetry !== undefined) lines.push('[net]', `retry = ${options.netRetry}`, '')
  writeFileSync(join(cargoHome, 'config.toml'), lines.join('\n'))
}
