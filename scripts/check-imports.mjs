#!/usr/bin/env node
// Checks the direction of imports between the top-level parts of src/ (a folder, or a file that
// stands alone at the top): no two parts may import each other, directly or round a longer loop,
// and the engines may not reach into the front doors. Exits 1 with one line per problem.
// Usage: node scripts/check-imports.mjs [SRC_DIR] (default: this repository's src/).
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src'))
const ENGINES = ['engine', 'rehearse', 'publish']
const FRONT_DOORS = ['github', 'cli']

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return files(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** The part of src/ a file belongs to: its top folder, or the file itself at the top. */
function partOf(file) {
  return relative(root, file).split(sep)[0]
}

const edges = new Map()
const problems = []
for (const file of files(root)) {
  const from = partOf(file)
  const text = readFileSync(file, 'utf8')
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), match[1])
    if (!target.startsWith(root + sep)) continue
    const to = partOf(target)
    if (to === from) continue
    if (!edges.has(from)) edges.set(from, new Map())
    if (!edges.get(from).has(to)) edges.get(from).set(to, relative(root, file))
    if (ENGINES.includes(from) && FRONT_DOORS.includes(to)) {
      problems.push(`${relative(root, file)}: the ${from} engine imports ${to}/ (a front door)`)
    }
  }
}

// A cycle between parts: some part reaches itself again through the edges.
const state = new Map()
const stack = []
function visit(part) {
  state.set(part, 'open')
  stack.push(part)
  for (const next of edges.get(part)?.keys() ?? []) {
    if (state.get(next) === 'open') {
      const loop = [...stack.slice(stack.indexOf(next)), next]
      const via = loop.slice(0, -1).map((p, i) => `${p} (${edges.get(p).get(loop[i + 1])})`)
      problems.push(`import cycle: ${via.join(' -> ')} -> ${next}`)
    } else if (!state.has(next)) {
      visit(next)
    }
  }
  stack.pop()
  state.set(part, 'done')
}
for (const part of [...edges.keys()].sort()) if (!state.has(part)) visit(part)

if (problems.length > 0) {
  for (const line of problems) console.error(line)
  process.exit(1)
}
console.log(`imports: ${edges.size} parts of src/, no cycle, engines free of github/ and cli/`)
