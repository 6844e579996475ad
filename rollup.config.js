import commonjs from '@rollup/plugin-commonjs'
import json from '@rollup/plugin-json'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import typescript from '@rollup/plugin-typescript'

const quiet = new Set(['THIS_IS_UNDEFINED', 'CIRCULAR_DEPENDENCY', 'INVALID_ANNOTATION'])

const bundle = (input, file, banner) => ({
  input,
  output: {
    file,
    format: 'es',
    sourcemap: false,
    inlineDynamicImports: true,
    ...(banner ? { banner } : {})
  },
  plugins: [
    typescript({ tsconfig: './tsconfig.build.json', noEmitOnError: true }),
    nodeResolve({ preferBuiltins: true, exportConditions: ['node', 'import', 'default'] }),
    commonjs(),
    json()
  ],
  onwarn(warning, warn) {
    if (quiet.has(warning.code)) return
    warn(warning)
  }
})

export default [
  bundle('src/index.ts', 'dist/index.js'),
  bundle('src/post.ts', 'dist/post.js'),
  bundle('src/cli.ts', 'dist/cli.js', '#!/usr/bin/env node')
]
