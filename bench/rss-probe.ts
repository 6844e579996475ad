/**
 * Preloaded into the CLI under test (`node --import rss-probe.js dist/cli.js ...`): at exit it
 * writes the process's own peak RSS (KiB) to $BENCH_RSS_FILE. resourceUsage() is RUSAGE_SELF, so
 * the cargo and rustc children the CLI spawns do not count.
 */
import { writeFileSync } from 'node:fs'

const file = process.env.BENCH_RSS_FILE
if (file) {
  process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)))
}
