import { handleInterrupts, killCargoGroups } from './cargo/interrupt.js'
import { main } from './cli/main.js'
import { keepWasmOnBaselineCompiler } from './util/wasm-tiering.js'

keepWasmOnBaselineCompiler()

const argv = process.argv.slice(2)
// `registry serve` stops on a signal by design, with exit 0: it handles its signals itself.
const stopHandling =
  argv[0] === 'registry' ? () => undefined : handleInterrupts(process, code => process.exit(code))
process.on('exit', killCargoGroups)

void main(argv).then(code => {
  stopHandling()
  process.exitCode = code
  // An interrupted run may leave idle sockets behind; it is over, so leave now.
  if (code >= 128) process.exit(code)
})
