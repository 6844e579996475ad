import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

interface Job {
  container?: unknown
  services?: Record<string, { image?: string; env?: Record<string, string> }>
}

/** Every kellnr service of a workflow (or job fragment) with the host name its job uses. */
function kellnrServices(jobs: Record<string, Job>): { origin?: string; expected: string }[] {
  return Object.values(jobs).flatMap(job =>
    Object.entries(job.services ?? {})
      .filter(([, s]) => s.image?.includes('kellnr'))
      .map(([name, s]) => ({
        origin: s.env?.KELLNR_ORIGIN__HOSTNAME,
        // A job in a container reaches the service by its name; a job on the runner, by localhost.
        expected: job.container ? name : 'localhost'
      }))
  )
}

describe("kellnr's origin host in the recipes", () => {
  it('e2e.yml sets KELLNR_ORIGIN__HOSTNAME to the host its jobs use', () => {
    const workflow = parse(readFileSync('.github/workflows/e2e.yml', 'utf8')) as {
      jobs: Record<string, Job>
    }
    const services = kellnrServices(workflow.jobs)
    expect(services.length).toBeGreaterThan(0)
    for (const s of services) expect(s.origin).toBe(s.expected)
  })

  it("the README's recipes do too, the container-job variant included", () => {
    const blocks = [...readFileSync('README.md', 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map(m => parse(m[1] as string) as Record<string, unknown>)
      .map(doc => (doc.jobs ?? doc) as Record<string, Job>)
    const services = blocks.flatMap(kellnrServices)
    expect(services.map(s => s.expected).sort()).toEqual(['kellnr', 'localhost'])
    for (const s of services) expect(s.origin).toBe(s.expected)
  })
})
