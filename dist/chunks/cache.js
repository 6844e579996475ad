import { f as getExecOutput } from './core.js';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { a as array, s as string } from './wasm-tiering.js';

/**
 * Cargo caches across runs with the Actions cache service, the way rust-cache does it: restore in
 * the main step, save in the post step, skip the save on an exact hit. The registry index and
 * downloaded .crate files plus the verification target dir are what make a rehearsal fast; the
 * unpacked `registry/src` is cheaper to recreate than to download. A cache is an optimisation:
 * nothing here ever fails the run.
 *
 * Key: `shipper-rehearse-v1-<os>-<toolchain>-<content>`, where `toolchain` hashes `rustc -vV` and
 * the CARGO and RUST environment (a target dir from another compiler is useless) and `content`
 * hashes Cargo.lock and the plan_id. The restore key `shipper-rehearse-v1-<os>-<toolchain>-` lets
 * a changed lockfile or plan start from the previous build of the same toolchain.
 */
const CACHE_PREFIX = 'shipper-rehearse-v1';
/** Names under which main hands the cache over to the post step (core.saveState / getState). */
const CACHE_STATE = {
    key: 'cache-key',
    matchedKey: 'cache-matched-key',
    paths: 'cache-paths'
};
const pathsSchema = array(string().min(1)).min(1);
function sha256(text) {
    return createHash('sha256').update(text).digest('hex');
}
/** Keys may not contain commas and should stay readable: keep letters, digits, `.`, `_` and `-`. */
function slug(text) {
    return text.toLowerCase().replace(/[^a-z0-9._-]+/g, '_') || 'unknown';
}
/** Pure: the primary key and the restore-key prefixes. Every input changes the key. */
function cacheKey(inputs) {
    const toolchain = sha256(`rustc\n${inputs.rustcVersion.trim()}\nenv\n${inputs.envHash}`).slice(0, 16);
    const content = sha256(`lock\n${inputs.cargoLockHash}\nplan\n${inputs.planId}`).slice(0, 16);
    const toolchainPrefix = `${CACHE_PREFIX}-${slug(inputs.os)}-${toolchain}-`;
    return { key: `${toolchainPrefix}${content}`, restoreKeys: [toolchainPrefix] };
}
/**
 * Pure: a hash of the CARGO* and RUST* variables, which change what cargo builds. Tokens are left
 * out: they are secrets, and trusted-publishing tokens change every run.
 */
function envHash(env) {
    const lines = Object.entries(env)
        .filter(([name, value]) => value !== undefined && /^(CARGO|RUST)/.test(name) && !/TOKEN/.test(name))
        .map(([name, value]) => `${name}=${value}`)
        .sort();
    return sha256(lines.join('\n'));
}
/** The runner image (ImageOS) or OS, plus the architecture: native code differs between them. */
function cacheOs(env) {
    return `${env.ImageOS || env.RUNNER_OS || process.platform}-${env.RUNNER_ARCH || process.arch}`;
}
function defaultCargoHome(env) {
    return env.CARGO_HOME || join(homedir(), '.cargo');
}
/** Where rehearsal verify builds should go so the post step can cache them. */
function verifyTargetDir(env) {
    return join(env.RUNNER_TEMP || tmpdir(), 'shipper-rehearse', 'target');
}
/** Save and restore must pass this identical array: the service hashes it into the cache version. */
function cachePaths(cargoHome, targetDir) {
    return [join(cargoHome, 'registry', 'index'), join(cargoHome, 'registry', 'cache'), targetDir];
}
/** The runner gives these only to JavaScript actions; without them the service cannot be reached. */
function cacheServiceAvailable(env) {
    return Boolean(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL);
}
/** Reads the key's inputs: `rustc -vV` run in the workspace (rust-toolchain.toml applies there), Cargo.lock. */
async function computeCacheKey(options) {
    const { env, workspaceRoot } = options;
    const exec = options.exec ??
        ((cmd, args, o) => getExecOutput(cmd, args, { ...o, silent: true, ignoreReturnCode: true }));
    const rustcVersion = await exec(env.RUSTC || 'rustc', ['-vV'], { cwd: workspaceRoot })
        .then(out => (out.exitCode === 0 ? out.stdout : 'rustc unavailable'))
        .catch(() => 'rustc unavailable');
    const cargoLockHash = await readFile(join(workspaceRoot, 'Cargo.lock'), 'utf8')
        .then(sha256)
        .catch(() => 'no Cargo.lock');
    return cacheKey({
        os: cacheOs(env),
        rustcVersion,
        cargoLockHash,
        planId: options.planId,
        envHash: envHash(env)
    });
}
function message(error) {
    return error instanceof Error ? error.message : String(error);
}
/**
 * Restores the caches and records what the post step needs. Without the cache service it warns
 * once and records nothing, so the post step stays silent.
 */
async function restoreCache(key, paths, deps) {
    const { logger, state } = deps;
    if (!cacheServiceAvailable(deps.env)) {
        logger.warning('cache: the Actions cache service is not available to this step (no ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL); cargo caches are neither restored nor saved');
        return { kind: 'unavailable' };
    }
    state.saveState(CACHE_STATE.key, key.key);
    state.saveState(CACHE_STATE.paths, JSON.stringify(paths));
    try {
        const service = await deps.service();
        const matched = await service.restoreCache(paths, key.key, key.restoreKeys);
        if (!matched) {
            // @actions/cache answers a miss and a failing service alike (it warns about the latter itself).
            logger.info(`cache: nothing restored for ${key.key}`);
            return { kind: 'miss' };
        }
        state.saveState(CACHE_STATE.matchedKey, matched);
        const exact = matched === key.key;
        logger.info(`cache: restored ${matched}${exact ? '' : ` (a partial match for ${key.key})`}`);
        return { kind: 'hit', matchedKey: matched, exact };
    }
    catch (error) {
        logger.warning(`cache: restore failed, continuing without it: ${message(error)}`);
        return { kind: 'failed', message: message(error) };
    }
}
/** The post step: saves what main restored under the key main computed, unless it was an exact hit. */
async function saveCache(deps) {
    const { logger, state } = deps;
    const key = state.getState(CACHE_STATE.key);
    if (!key) {
        logger.debug('cache: main did not restore a cache; nothing to save');
        return { kind: 'skipped', reason: 'not-restored' };
    }
    if (state.getState(CACHE_STATE.matchedKey) === key) {
        logger.info(`cache: exact hit on ${key}; not saving`);
        return { kind: 'skipped', reason: 'exact-hit' };
    }
    if (!cacheServiceAvailable(deps.env)) {
        logger.warning('cache: the Actions cache service is not available to the post step; not saving');
        return { kind: 'skipped', reason: 'unavailable' };
    }
    let paths;
    try {
        paths = pathsSchema.parse(JSON.parse(state.getState(CACHE_STATE.paths)));
    }
    catch {
        logger.warning('cache: the cache paths handed over by the main step are unreadable; not saving');
        return { kind: 'failed', message: 'unreadable cache paths' };
    }
    try {
        const service = await deps.service();
        const id = await service.saveCache(paths, key);
        if (id === -1) {
            logger.info(`cache: the service stored nothing under ${key}`);
            return { kind: 'failed', message: 'the cache service stored nothing' };
        }
        logger.info(`cache: saved ${key}`);
        return { kind: 'saved', id };
    }
    catch (error) {
        logger.warning(`cache: save failed: ${message(error)}`);
        return { kind: 'failed', message: message(error) };
    }
}
/** The real service, loaded on first use. */
const loadActionsCache = async () => import('./cache2.js');

export { cachePaths as a, computeCacheKey as c, defaultCargoHome as d, loadActionsCache as l, restoreCache as r, saveCache as s, verifyTargetDir as v };
