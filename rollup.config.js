import commonjs from '@rollup/plugin-commonjs'
import json from '@rollup/plugin-json'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import typescript from '@rollup/plugin-typescript'
import { chmodSync, rmSync } from 'node:fs'

// A chunk that a change stops producing must not linger in dist/ (the dist check would not see it),
// and the command line entry keeps its exec bit.
const freshDist = {
  name: 'fresh-dist',
  buildStart() {
    rmSync('dist', { recursive: true, force: true })
  },
  writeBundle() {
    chmodSync('dist/cli.js', 0o755)
  }
}

const quiet = new Set(['THIS_IS_UNDEFINED', 'CIRCULAR_DEPENDENCY', 'INVALID_ANNOTATION'])

// One build for the three entry points: code they share lands in shared chunks, and the heavy
// GitHub clients (@actions/artifact, @actions/cache) stay behind dynamic imports, loaded only by a
// run that uses them. Chunk names carry no hash so a rebuild's diff stays readable.
export default {
  input: { index: 'src/index.ts', post: 'src/post.ts', cli: 'src/cli.ts' },
  output: {
    dir: 'dist',
    format: 'es',
    sourcemap: false,
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name].js',
    banner: chunk => (chunk.isEntry && chunk.name === 'cli' ? '#!/usr/bin/env node' : '')
  },
  plugins: [
    freshDist,
    typescript({ tsconfig: './tsconfig.build.json', noEmitOnError: true }),
    nodeResolve({ preferBuiltins: true, exportConditions: ['node', 'import', 'default'] }),
    commonjs(),
    json()
  ],
  onwarn(warning, warn) {
    if (quiet.has(warning.code)) return
    warn(warning)
  }
}
