import {
  handleInterrupts,
  interruptedBy,
  interruptExitCode,
  killCargoGroups
} from './cargo/interrupt.js'
import { run } from './main.js'

// A cancelled job gets SIGINT, then SIGTERM: stop cargo, let the run record the failure.
handleInterrupts(process, code => process.exit(code))
process.on('exit', killCargoGroups)

// No top-level await: rollup inlines dynamic imports, and a top-level await in the entry leaves
// those inlined modules undefined at the time they are used.
void run().then(() => {
  const signal = interruptedBy()
  if (signal) process.exit(interruptExitCode(signal))
})
