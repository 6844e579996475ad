import { w as warning, c as core, b as setSecret, d as debug, e as error, i as info } from './chunks/core.js';
import { s as saveCache, l as loadActionsCache } from './chunks/cache.js';
import { k as keepWasmOnBaselineCompiler } from './chunks/wasm-tiering.js';
import 'os';
import 'crypto';
import 'fs';
import 'path';
import 'http';
import 'https';
import 'net';
import 'tls';
import 'events';
import 'assert';
import 'util';
import 'node:assert';
import 'node:net';
import 'node:http';
import 'node:stream';
import 'node:buffer';
import 'node:util';
import 'node:querystring';
import 'node:events';
import 'node:diagnostics_channel';
import 'node:tls';
import 'node:zlib';
import 'node:perf_hooks';
import 'node:util/types';
import 'node:worker_threads';
import 'node:url';
import 'node:async_hooks';
import 'node:console';
import 'node:dns';
import 'string_decoder';
import 'child_process';
import 'timers';
import 'node:crypto';
import 'node:fs/promises';
import 'node:os';
import 'node:path';
import 'node:v8';

keepWasmOnBaselineCompiler();
/** Only what saving a cache logs; main's logger would drag the whole engine into this bundle. */
const logger = {
    info: m => info(m),
    warning: m => warning(m),
    error: m => error(m),
    debug: m => debug(m),
    secret: v => setSecret(v)
};
/**
 * The action's post step: saves the cargo caches the main step restored. It never fails the job:
 * the release already succeeded or failed in the main step.
 */
void saveCache({ service: loadActionsCache, env: process.env, state: core, logger }).catch((error) => {
    warning(`cache: ${error instanceof Error ? error.message : String(error)}`);
});
