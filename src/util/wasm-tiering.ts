import { setFlagsFromString } from 'node:v8'

/**
 * Keeps WebAssembly on V8's baseline compiler (Liftoff) for the rest of the process.
 *
 * Why: node's fetch (undici, and the copy the @actions clients bundle) parses HTTP with llhttp
 * compiled to WebAssembly. After a handful of responses V8 tiers llhttp's parser function up to
 * TurboFan: one background compile of a 29 KB function that takes ~24 MiB of compiler memory
 * and 0.3–1.3 s of CPU (measured on node 20). That compile was a quarter of the CLI's peak RSS
 * (97 → 71 MiB on a 5-crate rehearsal), and on a 2-core runner it competes with cargo. A run
 * makes tens to a few hundred small requests, which the baseline code parses as fast (bodies
 * are skipped over, not parsed byte by byte).
 *
 * Set from the entry points at startup, before the first request compiles llhttp: V8 flags are
 * refused in NODE_OPTIONS, and the runner starts the action as `node dist/index.js` with no
 * flags. Code already compiled is not affected, so a late call only does less.
 */
export function keepWasmOnBaselineCompiler(): void {
  setFlagsFromString('--liftoff-only')
}
