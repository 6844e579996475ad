import {
  handleInterrupts,
  interruptedBy,
  interruptExitCode,
  killCargoGroups
} from './cargo/interrupt.js'
import { run } from './main.js'
import { keepWasmOnBaselineCompiler } from './util/wasm-tiering.js'

keepWasmOnBaselineCompiler()

// A cancelled job gets SIGINT, then SIGTERM: stop cargo, let the run record the failure.
handleInterrupts(process, code => process.exit(code))
process.on('exit', killCargoGroups)

void run().then(() => {
  const signal = interruptedBy()
  if (signal) process.exit(interruptExitCode(signal))
})
