import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isolatedCargoHome } from './cargo-home.js'

/**
 * An isolated cargo world for one test: its own CARGO_HOME whose config replaces crates-io with an
 * empty local directory source (so nothing can ever reach crates.io), its own target dir, and a
 * scratch folder. Call `cleanup()` in afterAll/afterEach.
 */
export interface CargoSandbox {
  root: string
  cargoHome: string
  targetDir: string
  /** Directory source standing in for crates.io; drop unpacked crates here if a fixture needs one. */
  vendorDir: string
  env: Record<string, string>
  /** Copies a fixture folder into the sandbox and returns the copy's path. */
  copyFixture(from: string, name?: string): string
  cleanup(): void
}

export function cargoSandbox(prefix = 'sr-test-'): CargoSandbox {
  const root = mkdtempSync(join(tmpdir(), prefix))
  const cargoHome = join(root, 'cargo-home')
  const targetDir = join(root, 'target')
  const vendorDir = join(root, 'crates-io-stand-in')
  isolatedCargoHome(cargoHome, vendorDir, { netRetry: 0 })
  const env: Record<string, string> = {
    CARGO_HOME: cargoHome,
    CARGO_TARGET_DIR: targetDir,
    CARGO_TERM_COLOR: 'never',
    CARGO_INCREMENTAL: '0'
  }
  return {
    root,
    cargoHome,
    targetDir,
    vendorDir,
    env,
    copyFixture(from, name) {
      const dest = join(root, name ?? `ws-${Math.random().toString(36).slice(2, 8)}`)
      cpSync(from, dest, {
        recursive: true,
        filter: src => !/[\\/](target|\.shipper)$/.test(src)
      })
      return dest
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true })
    }
  }
}
