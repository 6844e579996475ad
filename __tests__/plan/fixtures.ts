import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseMetadata, type CargoMetadata } from '../../src/plan/metadata.js'

/** `cargo metadata` JSON printed by cargo 1.95 (see __tests__/fixtures/metadata/generate.sh). */
export function metadataFixture(name: string): CargoMetadata {
  const url = new URL(`../fixtures/metadata/${name}.json`, import.meta.url)
  return parseMetadata(JSON.parse(readFileSync(fileURLToPath(url), 'utf8')))
}

/** Folder of a fixture cargo workspace. */
export function workspaceFixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/workspaces/${name}`, import.meta.url))
}
