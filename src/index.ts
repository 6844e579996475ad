import { run } from './main.js'

// No top-level await: rollup inlines dynamic imports, and a top-level await in the entry leaves
// those inlined modules undefined at the time they are used.
void run()
