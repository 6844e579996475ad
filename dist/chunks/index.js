import { mkdirSync, existsSync, readFileSync, writeFileSync, copyFileSync, lstatSync, symlinkSync, readlinkSync, readdirSync, appendFileSync, statSync } from 'node:fs';
import { resolve, dirname, isAbsolute, join, relative, sep, basename, posix } from 'node:path';
import { readFile, mkdir, writeFile, appendFile, stat, open, rm, rename, mkdtemp, readdir } from 'node:fs/promises';
import { _ as _isoDateTime, Z as ZodISODateTime, o as object, s as string, u as union, b as boolean, n as number, a as array, c as literal, d as _enum, e as discriminatedUnion, l as looseObject, r as record, p as prettifyError, g as getDefaultExportFromCjs } from './wasm-tiering.js';
import { homedir, tmpdir } from 'node:os';
import { createHash, randomBytes, createHmac, createVerify, timingSafeEqual } from 'node:crypto';
import { spawn, execFile } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { createServer } from 'node:http';

/**
 * A failure the user can act on: printed as one line with its hint, never with a stack.
 * `exitCode` follows docs/contract.md: 1 for a failure or refusal, 2 for bad usage or bad input.
 */
class UserError extends Error {
    hint;
    exitCode;
    constructor(message, hint = '', exitCode = 2) {
        super(message);
        this.name = 'UserError';
        this.hint = hint;
        this.exitCode = exitCode;
    }
    /** The single line shown to the user. */
    get line() {
        return this.hint ? `${this.message} (hint: ${this.hint})` : this.message;
    }
}
/** Turns any thrown value into the one line a front door prints. */
function describeError(error) {
    if (error instanceof UserError)
        return error.line;
    if (error instanceof Error)
        return error.stack ?? error.message;
    return String(error);
}

/**
 * What an interrupt (Ctrl-C, a cancelled job) does to cargo: every cargo process group still
 * running is signalled, and from then on no cargo command starts and none reports a result; each
 * ends in InterruptedError instead, so the engine records a failure and cleans up on its way out.
 */
/** Process-group ids of the cargo commands in flight (the pid of each group's leader). */
const activeCargoGroups = new Set();
let interrupted;
const listeners = new Set();
function interruptedBy() {
    return interrupted;
}
/** The conventional exit status of a process stopped by `signal` (128 + its number). */
function interruptExitCode(signal) {
    return signal === 'SIGINT' ? 130 : 143;
}
class InterruptedError extends UserError {
    signal;
    constructor(signal) {
        super(`interrupted by ${signal}`, 'nothing more was started; run again to finish', 1);
        this.signal = signal;
        this.name = 'InterruptedError';
    }
}
/** Signals a cargo command's whole process group (its rustc, build scripts and proc macros too). */
function signalGroup(pid, signal) {
    try {
        process.kill(process.platform === 'win32' ? pid : -pid, signal);
    }
    catch {
        // the group is gone already
    }
}
/** Marks the run interrupted and stops every cargo process group in flight. */
function interruptCargo(signal) {
    interrupted ??= signal;
    for (const listener of listeners)
        listener(interrupted);
    for (const pid of activeCargoGroups)
        signalGroup(pid, signal);
}
/**
 * `work`, or InterruptedError as soon as the run is interrupted: for waits that are not cargo
 * (a readiness poll's sleep), so an interrupt does not wait minutes for them.
 */
function interruptible(work) {
    if (interrupted)
        return Promise.reject(new InterruptedError(interrupted));
    let listener;
    const stopped = new Promise((_, reject) => {
        listener = signal => reject(new InterruptedError(signal));
        listeners.add(listener);
    });
    return Promise.race([work, stopped]).finally(() => listeners.delete(listener));
}
/** For a process about to exit: nothing cargo started may outlive it. */
function killCargoGroups() {
    for (const pid of activeCargoGroups)
        signalGroup(pid, 'SIGKILL');
    activeCargoGroups.clear();
}
/**
 * Ctrl-C, SIGTERM, a cancelled job. The first signal stops cargo's process groups and lets the
 * run unwind on its own: scratch copies and temporary registries are removed by the code that made
 * them, and the rehearsal records a failing result ("interrupted by SIGINT"). A second signal does
 * not wait for that. Returns a function removing the handlers.
 */
function handleInterrupts(signals, forceExit) {
    const handlers = ['SIGINT', 'SIGTERM'].map(signal => {
        const handler = () => {
            if (interruptedBy()) {
                killCargoGroups();
                forceExit(interruptExitCode(signal));
                return;
            }
            interruptCargo(signal);
        };
        signals.on(signal, handler);
        return [signal, handler];
    });
    return () => {
        for (const [signal, handler] of handlers)
            signals.off(signal, handler);
    };
}

/** The runner hands these only to JavaScript actions; without them the service is unreachable. */
function artifactServiceAvailable(env) {
    return Boolean(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL);
}
/**
 * An answer that the artifact is not there: the client's own not-found error, or the REST API's
 * 404 for a run this repository does not have. The results service answering 404 is a broken
 * call, not an answer, and must not read as "no proof was ever made".
 */
function isNotFound(error) {
    if (!(error instanceof Error))
        return false;
    if (error.name === 'ArtifactNotFoundError')
        return true;
    return error.name === 'HttpError' && error.status === 404;
}
function currentRepository(env) {
    const [owner, name, ...rest] = (env.GITHUB_REPOSITORY ?? '').split('/');
    if (!owner || !name || rest.length > 0) {
        throw new UserError('cannot download a rehearsal artifact from another run: GITHUB_REPOSITORY is not set', 'run inside GitHub Actions, or leave `rehearsal-run-id` empty to use the current run', 2);
    }
    return { owner, name };
}
/**
 * Wraps an @actions/artifact client. Another run is always looked up in GITHUB_REPOSITORY: no
 * input can point the proof at a different repository.
 */
function artifactStoreFrom(client, env) {
    const findByFor = (from) => {
        if (from.runId === undefined)
            return undefined;
        if (!from.token) {
            throw new UserError(`downloading the artifact of run ${from.runId} needs a token`, 'pass `github-token` (the default ${{ github.token }} works with `actions: read`)', 2);
        }
        const repo = currentRepository(env);
        return {
            token: from.token,
            workflowRunId: from.runId,
            repositoryOwner: repo.owner,
            repositoryName: repo.name
        };
    };
    return {
        async upload(name, files, root, options) {
            // A rerun of the job reuses the run: an artifact of the same name would make the upload fail.
            try {
                await client.deleteArtifact(name);
            }
            catch (error) {
                if (!isNotFound(error))
                    throw error;
            }
            const response = await client.uploadArtifact(name, files, root, {
                ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {})
            });
            return { id: response.id };
        },
        async download(name, from, destDir) {
            const findBy = findByFor(from);
            const where = from.runId === undefined ? 'the current run' : `run ${from.runId}`;
            let id;
            try {
                id = (await client.getArtifact(name, findBy ? { findBy } : {})).artifact.id;
            }
            catch (error) {
                if (isNotFound(error))
                    return { kind: 'missing', message: `no artifact '${name}' in ${where}` };
                throw error;
            }
            mkdirSync(destDir, { recursive: true });
            const response = await client.downloadArtifact(id, findBy ? { path: destDir, findBy } : { path: destDir });
            return { kind: 'downloaded', id, path: response.downloadPath ?? destDir };
        }
    };
}
/** The real store, or undefined outside an Actions job (CLI, local runs). */
async function artifactStoreFromEnv(env = process.env) {
    if (!artifactServiceAvailable(env))
        return undefined;
    const { DefaultArtifactClient } = await import('./artifact.js');
    return artifactStoreFrom(new DefaultArtifactClient(), env);
}

/**
 * crates.io as cargo names and reaches it: the one place these values are written. It sits at the
 * bottom of the import graph so that the registry target code, the embedded registry's validation
 * and the front doors can all use it.
 */
const CRATES_IO = {
    /** cargo's name for it (`--registry crates-io`, `publish = ["crates-io"]`). */
    name: 'crates-io',
    /** The API base that enters the plan_id. */
    api: 'https://crates.io',
    /** The sparse index, as cargo writes it. */
    indexUrl: 'sparse+https://index.crates.io/',
    /** The git index older cargo writes into publish metadata. */
    gitIndexUrl: 'https://github.com/rust-lang/crates.io-index'
};

/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
function getLineColFromPtr(string, ptr) {
    let lines = string.slice(0, ptr).split(/\r?\n/);
    return [lines.length, lines.pop().length + 1];
}
function makeCodeBlock(string, line, column) {
    let lines = string.split(/\r?\n/);
    let codeblock = '';
    let numberLen = (Math.log10(line + 1) | 0) + 1;
    for (let i = line - 1; i <= line + 1; i++) {
        let l = lines[i - 1];
        if (!l)
            continue;
        codeblock += i.toString().padEnd(numberLen, ' ');
        codeblock += ':  ';
        codeblock += l;
        codeblock += '\n';
        if (i === line) {
            codeblock += ' '.repeat(numberLen + column + 2);
            codeblock += '^\n';
        }
    }
    return codeblock;
}
class TomlError extends Error {
    line;
    column;
    codeblock;
    constructor(message, options) {
        const [line, column] = getLineColFromPtr(options.toml, options.ptr);
        const codeblock = makeCodeBlock(options.toml, line, column);
        super(`Invalid TOML document: ${message}\n\n${codeblock}`, options);
        this.line = line;
        this.column = column;
        this.codeblock = codeblock;
    }
    /** @internal */
    static x(message, ctx, ptr) {
        throw new TomlError(message, { toml: ctx.s, ptr: ptr ?? ctx.p });
    }
}

/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
/** @internal */
function parseString(ctx) {
    let startPtr = ctx.p;
    let c = ctx.s.charCodeAt(ctx.p++);
    let first = c;
    let isLiteral = c === 0x27; /* ' */
    let isMultiline = c === ctx.s.charCodeAt(ctx.p) && c === ctx.s.charCodeAt(ctx.p + 1);
    if (isMultiline) {
        // Trim initial newline
        if ((c = ctx.s.charCodeAt(ctx.p += 2)) === 0xa /* \n */)
            ctx.p++;
        else if (c === 0xd /* \r */ && ctx.s.charCodeAt(ctx.p + 1) === 0xa /* \n */)
            ctx.p += 2;
    }
    // For the record: it is not worth it to use a fast-path for literal strings using `indexOf`.
    // Doing a char-by-char iteration ends up dispatching less instructions, for the same wall-clock runtime.
    let parsed = '';
    let sliceStart = ctx.p;
    // states:
    //   0 - decoding
    //   1 - decoding escape
    //   2 - whitespace escape (no newline encountered yet, must fail on non-whitespace)
    //   3 - whitespace escape (newline encountered, allowed to transition back to normal decode)
    let state = 0;
    for (; ctx.p < ctx.s.length; ctx.p++) {
        c = ctx.s.charCodeAt(ctx.p);
        // Deal with newlines first, since that simplifies control character checking and handling across all states
        if (isMultiline && (c === 0xa /* \n */ || (c === 0xd /* \r */ && ctx.s.charCodeAt(ctx.p + 1) === 0xa /* \n */))) {
            state = state && 3;
        }
        // Control characters are banned in TOML, so we throw an error if we encounter them
        else if ((c < 0x20 && c !== 0x9 /* \t */) || c === 0x7f) {
            TomlError.x('control characters are not allowed in strings', ctx);
        }
        // The string might terminate while we're parsing through a newline escape.
        // It must have encountered a newline; otherwise, it'll simply fail in another branch.
        else if ((!state || state === 3) && c === first && (!isMultiline || (ctx.s.charCodeAt(ctx.p + 1) === first && ctx.s.charCodeAt(ctx.p + 2) === first))) {
            if (isMultiline) {
                // If the string ends with 4-5 quotes, then the first 1-2 are part of the string
                if (ctx.s.charCodeAt(ctx.p + 3) === first)
                    ctx.p++;
                if (ctx.s.charCodeAt(ctx.p + 3) === first)
                    ctx.p++;
            }
            // If we're in a newline escape still, then there's nothing to add.
            if (!state) {
                // Avoid a useless concat operation if the string can be used as-is.
                let s = ctx.s.slice(sliceStart, ctx.p);
                parsed = parsed ? parsed + s : s;
            }
            ctx.p += isMultiline ? 3 : 1;
            return parsed;
        }
        // Baseline state; keep moving forward unless an escape sequence starts
        else if (!state) {
            if (!isLiteral && c === 0x5c /* \ */) {
                parsed += ctx.s.slice(sliceStart, (sliceStart = ctx.p));
                state = 1;
            }
        }
        else if (state === 1) {
            if (c === 0x78 /* x */ || c === 0x75 /* u */ || c === 0x55 /* U */) { // Unicode escape
                let errPtr = ctx.p++ - 1;
                let value = 0;
                let len = c === 0x78 /* x */ ? 2 : c === 0x75 /* u */ ? 4 : 8;
                for (let j = 0; j < len; j++, ctx.p++) {
                    let hex = ctx.s.charCodeAt(ctx.p);
                    let digit = 
                    /* 0-9 */ hex >= 0x30 && hex <= 0x39 ? hex - 0x30 :
                        /* A-F */ hex >= 0x41 && hex <= 0x46 ? hex - 0x41 + 10 :
                            /* a-f */ hex >= 0x61 && hex <= 0x66 ? hex - 0x61 + 10 : -1;
                    if (digit < 0)
                        TomlError.x('invalid non-hex character in unicode escape', ctx);
                    value = (value << 4) | digit;
                }
                // Because JS does bitwise on signed 32bit integers, all 0xfzzzzzzz values are actually seen as negative
                if (value < 0 || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) {
                    TomlError.x('invalid unicode escape', ctx, errPtr);
                }
                parsed += String.fromCodePoint(value);
                sliceStart = ctx.p--;
                state = 0;
            }
            // Newline escape sequence. We only need to care about spaces and tabs; newlines are dealt with earlier
            else if (isMultiline && (c === 0x20 || c === 0x9 /* \t */)) {
                state = 2;
            }
            // Basic escape sequence
            else {
                if (c === 0x62 /* b */)
                    parsed += '\b';
                else if (c === 0x74 /* t */)
                    parsed += '\t';
                else if (c === 0x6e /* n */)
                    parsed += '\n';
                else if (c === 0x66 /* f */)
                    parsed += '\f';
                else if (c === 0x72 /* r */)
                    parsed += '\r';
                else if (c === 0x65 /* e */)
                    parsed += '\x1b';
                else if (c === 0x22 /* " */)
                    parsed += '"';
                else if (c === 0x5c /* \ */)
                    parsed += '\\';
                else
                    TomlError.x('unrecognised escape sequence', ctx);
                sliceStart = ctx.p + 1;
                state = 0;
            }
        }
        // Newline escape continuation: keep moving forward until the first non-whitespace char
        else if (c !== 0x20 && c !== 0x9 /* \t */) {
            if (state === 2)
                TomlError.x('invalid escape: only line-ending whitespace may be escaped', ctx, sliceStart);
            // State cannot be zero, or we'd have branched earlier already.
            // If it's a backslash, immediately transition to the escape state so it can be processed.
            state = !isLiteral && c === 0x5c /* \ */ ? 1 : 0;
            sliceStart = ctx.p;
        }
    }
    TomlError.x('unfinished string', ctx, startPtr);
}

/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
let DATE_TIME_RE = /^(\d{4}-\d{2}-\d{2})?[Tt ]?(?:(\d{2}):\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|z|[-+]\d{2}:\d{2})?$/i;
class TomlDate extends Date {
    #hasDate = false;
    #hasTime = false;
    #offset = null;
    constructor(date, fasttype, unsafeDelim) {
        let hasDate = true;
        let hasTime = true;
        let offset = 'Z';
        let c;
        if (typeof date === 'string') {
            if (fasttype)
                prep: {
                    // Date-time
                    if (fasttype < 3) {
                        if (+date.slice(11, 13) > 23) {
                            date = '';
                            break prep;
                        }
                        // Local
                        if (fasttype === 2) {
                            offset = null;
                            date += 'Z';
                        }
                        // Offset; keep track of offset if not Z
                        else if ((c = date.charCodeAt(date.length - 1)) !== 0x5a /* Z */ && c !== 0x7a /* z */) {
                            offset = date.slice(date.length - 6);
                        }
                        if (unsafeDelim)
                            date = date.slice(0, 10) + 'T' + date.slice(11);
                    }
                    // Time
                    else if (fasttype === 4) {
                        date = +date.slice(0, 2) > 23 ? '' : `0000-01-01T${date}Z`;
                    }
                    hasDate = fasttype !== 4;
                    hasTime = fasttype !== 3;
                }
            else {
                let match = date.match(DATE_TIME_RE);
                if (match) {
                    if (!match[1]) {
                        hasDate = false;
                        date = `0000-01-01T${date}`;
                    }
                    hasTime = !!match[2];
                    // Make sure to use T instead of a space. Breaks in case of extreme values otherwise.
                    hasTime && date[10] === ' ' && (date = date.replace(' ', 'T'));
                    // Do not allow rollover hours.
                    if (match[2] && +match[2] > 23) {
                        date = '';
                    }
                    else {
                        offset = match[3] || null;
                        if (!offset && hasTime)
                            date += 'Z';
                    }
                }
                else {
                    date = '';
                }
            }
        }
        super(date);
        if (!isNaN(this.getTime())) {
            this.#hasDate = hasDate;
            this.#hasTime = hasTime;
            this.#offset = offset;
        }
    }
    isDateTime() {
        return this.#hasDate && this.#hasTime;
    }
    isLocal() {
        return !this.#hasDate || !this.#hasTime || !this.#offset;
    }
    isDate() {
        return this.#hasDate && !this.#hasTime;
    }
    isTime() {
        return this.#hasTime && !this.#hasDate;
    }
    isValid() {
        return this.#hasDate || this.#hasTime;
    }
    toISOString() {
        let iso = super.toISOString();
        // Local Date
        if (this.isDate())
            return iso.slice(0, 10);
        // Local Time
        if (this.isTime())
            return iso.slice(11, 23);
        // Local DateTime
        if (this.#offset === null)
            return iso.slice(0, -1);
        // Offset DateTime
        if (this.#offset === 'Z' || this.#offset === 'z')
            return iso;
        // This part is quite annoying: JS strips the original timezone from the ISO string representation
        // Instead of using a "modified" date and "Z", we restore the representation "as authored"
        let offset = (+(this.#offset.slice(1, 3)) * 60) + +(this.#offset.slice(4, 6));
        offset = this.#offset[0] === '-' ? offset : -offset;
        let offsetDate = new Date(this.getTime() - (offset * 60e3));
        return offsetDate.toISOString().slice(0, -1) + this.#offset;
    }
    static wrapAsOffsetDateTime(jsDate, offset = 'Z') {
        let date = new TomlDate(jsDate);
        date.#offset = offset;
        return date;
    }
    static wrapAsLocalDateTime(jsDate) {
        let date = new TomlDate(jsDate);
        date.#offset = null;
        return date;
    }
    static wrapAsLocalDate(jsDate) {
        let date = new TomlDate(jsDate);
        date.#hasTime = false;
        date.#offset = null;
        return date;
    }
    static wrapAsLocalTime(jsDate) {
        let date = new TomlDate(jsDate);
        date.#hasDate = false;
        date.#offset = null;
        return date;
    }
}

/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
function isDigit(char, base = 10) {
    return base === 16
        ? (char > 0x2f && char < 0x3a) || (char > 0x40 && char < 0x47) || (char > 0x60 && char < 0x67)
        : (char > 0x2f && char < 0x30 + base);
}
function isEndOfValue(char, delim) {
    // Whitespace -- we're permissive on `\r` for performance; it'll be dealt with later anyway
    return char === 0x20 || char === 0x9 /* \t */ || char === 0xa /* \n */ || char === 0xd /* \r */ ||
        // Structure end or next value delimiter
        (delim && (char === delim || char === 0x2c /* , */)) ||
        // Comment
        char === 0x23; /* # */
}
/** @internal */
function extractValue(ctx, end) {
    let errPtr = ctx.p;
    let c = ctx.s.charCodeAt(ctx.p);
    // Structs
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
        ctx.d-- || TomlError.x('document contains excessively nested structures. aborting.', ctx);
        let value = c === 0x5b /* [ */
            ? parseArray(ctx)
            : parseInlineTable(ctx);
        ctx.d++;
        return value;
    }
    // Strings
    if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
        return parseString(ctx);
    }
    // Booleans
    // We can fast-path because the first character is enough to know the only possible value
    if (c === 0x74 /* t */) { // Only possible valid value is `true`
        if (ctx.s.charCodeAt(++ctx.p) !== 0x72 || ctx.s.charCodeAt(++ctx.p) !== 0x75 || ctx.s.charCodeAt(++ctx.p) !== 0x65)
            TomlError.x('invalid value', ctx, errPtr);
        return ctx.p++, true;
    }
    if (c === 0x66 /* f */) { // Only possible valid value is `false`
        if (ctx.s.charCodeAt(++ctx.p) !== 0x61 || ctx.s.charCodeAt(++ctx.p) !== 0x6c || ctx.s.charCodeAt(++ctx.p) !== 0x73 || ctx.s.charCodeAt(++ctx.p) !== 0x65)
            TomlError.x('invalid value', ctx, errPtr);
        return ctx.p++, false;
    }
    if (c === 0x2b /* + */ || c === 0x2d /* - */) {
        return parseNumber(ctx, ctx.p, ctx.s.charCodeAt(++ctx.p), 0x2c - c, end);
    }
    // Rough heuristic, but `parseDate` falls back to number parsing if it's a false positive.
    // e.g.: `a = 1\n-------------- = 1` would match this heuristic, but gracefully fallback to numbers.
    if (ctx.s.charCodeAt(ctx.p + 4) === 0x2d /* - */ && ctx.s.charCodeAt(ctx.p + 7) === 0x2d /* - */) {
        return parseDate(ctx, c, end);
    }
    // Same logic as above; `parseTime` falls back to number parsing if it's a false positive.
    if (ctx.s.charCodeAt(ctx.p + 2) === 0x3a /* : */) {
        return parseTime(ctx, c, end);
    }
    return parseNumber(ctx, ctx.p, c, 0, end);
}
// State:
// 0: init
// 1: integer
// 2: fractional dot
// 3: fractional
// 4: exponent letter
// 5: exponent
// 6: exponent sign
// 7: exponent with sign
// >9: underscore; see below
//     -> 12: was integer
//     -> 14: was fractional
//     -> 16: was exponent
// states 2-5, 14, 16 are ONLY permitted iif base === 10
function parseNumber(ctx, startPtr, startChr, sign, endChr) {
    let c = startChr;
    let state = 0;
    let hasUnderscores = false;
    // (+/-)inf
    if (c === 0x69 /* i */) {
        if (ctx.s.charCodeAt(++ctx.p) !== 0x6e || ctx.s.charCodeAt(++ctx.p) !== 0x66)
            TomlError.x('invalid value', ctx, startPtr);
        return ctx.p++, (sign || 1) / 0;
    }
    // (+/-)nan
    if (c === 0x6e /* n */) {
        if (ctx.s.charCodeAt(++ctx.p) !== 0x61 || ctx.s.charCodeAt(++ctx.p) !== 0x6e)
            TomlError.x('invalid value', ctx, startPtr);
        return ctx.p++, NaN;
    }
    // Leading zero
    // Only allowed cases: `0<EOV>`, `0.(...)`, `0e(...)`, `0x(...)`, `0b(...)`, `0o(...)`
    // FWIW, `0e(...)` is a stupid case, but it's not banned per-se so we have to parse it
    if (c === 0x30 /* 0 */) {
        if (++ctx.p >= ctx.s.length || isEndOfValue(c = ctx.s.charCodeAt(ctx.p), endChr))
            return ctx.bi === true ? 0n : 0; // note: conveniently deals with `-0`
        if (!sign) {
            if (c === 0x78 /* x */)
                return parseIntegerBaseN(ctx, startPtr, 16, endChr);
            else if (c === 0x62 /* b */)
                return parseIntegerBaseN(ctx, startPtr, 2, endChr);
            else if (c === 0x6f /* o */)
                return parseIntegerBaseN(ctx, startPtr, 8, endChr);
        }
        if (c === 0x2e /* . */)
            state = 2;
        else if (c === 0x65 /* e */ || c === 0x45 /* E */)
            state = 4;
        else
            TomlError.x('illegal leading zero', ctx, startPtr);
    }
    // If the 1st char is not a digit by now, then it's not a valid TOML value at all
    else if (!isDigit(c))
        TomlError.x('invalid value', ctx, startPtr);
    while (++ctx.p < ctx.s.length && (c = ctx.s.charCodeAt(ctx.p), !isEndOfValue(c, endChr))) {
        if (!state)
            state = 1; // Detects single-digit numbers we can use a fast parse path for
        // The way the states are numbered is not random: underscores are always permitted in odd-numbered states and
        // never permitted in even-numbered ones.
        if (c === 0x5f /* _ */) {
            if (!(state & 1))
                TomlError.x('illegal underscore', ctx);
            state += 11; // 11 is a marker that makes the state even and greater than 9; see the numbering + rationale above
            hasUnderscores = true;
        }
        // Transition to fractional part.
        else if (state === 1 && c === 0x2e /* . */)
            state = 2;
        // Transition to exponent part.
        else if ((state === 1 || state === 3) && (c === 0x65 /* e */ || c === 0x45 /* E */))
            state = 4;
        // + and - are permitted in state 4 only (handled before entering the function for state 0)
        else if (state === 4 && (c === 0x2b /* + */ || c === 0x2d /* - */)) {
            state = 6;
        }
        // All special cases have been handled; only digits are allowed here
        else if (!isDigit(c))
            TomlError.x(`illegal character in numeric literal`, ctx);
        // Clear state flags
        else if (state > 9)
            state -= 11;
        else if (!(state & 1))
            state++;
    }
    // Single-char number; we can fast-path these very easily.
    if (!state) {
        let val = (startChr - 0x30 /* 0 */) * (sign || 1);
        return ctx.bi === true ? BigInt(val) : val;
    }
    // Even-numbered states absolutely require a digit next; not even end of value is permitted
    if (!(state & 1))
        TomlError.x('unfinished numeric value', ctx, startPtr);
    let str = ctx.s.slice(startPtr, ctx.p);
    if (hasUnderscores)
        str = str.replaceAll('_', ''); // perf: replaceAll 1.25x faster than replace with a regex
    return state > 1
        ? parseFloat(str)
        : parseInteger(ctx, str, 10, startPtr);
}
function parseIntegerBaseN(ctx, startPtr, base, endChr) {
    let c, underscore = 1;
    while (++ctx.p < ctx.s.length && (c = ctx.s.charCodeAt(ctx.p), !isEndOfValue(c, endChr))) {
        if (c === 0x5f /* _ */) {
            if (underscore & 1)
                TomlError.x('illegal underscore', ctx);
            underscore = 3;
        }
        // We only need to check if the number is a valid digit, nothing else is permitted
        else if (!isDigit(c, base))
            TomlError.x(`illegal character in numeric literal`, ctx);
        // Clear underscore flag
        else if (underscore & 1)
            underscore--;
    }
    // Trailing underscore is not allowed
    if (underscore & 1)
        TomlError.x('unfinished numeric value', ctx);
    let str = ctx.s.slice(startPtr + 2, ctx.p);
    if (underscore)
        str = str.replaceAll('_', ''); // perf: replaceAll 1.25x faster than replace with a regex
    return parseInteger(ctx, str, base, startPtr);
}
function parseInteger(ctx, str, base, startPtr) {
    if (ctx.bi !== true)
        int: {
            let val = parseInt(str, base);
            if (!Number.isSafeInteger(val)) {
                if (ctx.bi)
                    break int;
                TomlError.x('integer value cannot be represented losslessly', ctx, startPtr);
            }
            return val;
        }
    return base === 10 ? BigInt(str) : BigInt((base === 2 ? '0b' : base === 8 ? '0o' : '0x') + str);
}
function parseDate(ctx, c, endChr) {
    let startPtr = ctx.p++, unsafeSeparator;
    if (!isDigit(c) ||
        !isDigit(ctx.s.charCodeAt(ctx.p++)) ||
        !isDigit(ctx.s.charCodeAt(ctx.p++)) ||
        !isDigit(ctx.s.charCodeAt(ctx.p++))) {
        return parseNumber(ctx, ctx.p = startPtr, c, 0, endChr);
    }
    ctx.p += 5;
    if (!isDigit(ctx.s.charCodeAt(ctx.p++)))
        TomlError.x('invalid date-time: date part is malformed', ctx, startPtr);
    if (ctx.p >= ctx.s.length || (((c = ctx.s.charCodeAt(ctx.p)) !== 0x20 || (unsafeSeparator = true, !isDigit(ctx.s.charCodeAt(ctx.p + 1)))) && c !== 0x54 /* T */ && c !== 0x74 /* t */)) {
        let t = ctx.s.slice(startPtr, ctx.p);
        return readDate(ctx, t, 3, false, startPtr);
    }
    if (ctx.s.charCodeAt(ctx.p += 3) !== 0x3a /* : */)
        TomlError.x('invalid date-time: time part is malformed', ctx, startPtr);
    if (ctx.s.charCodeAt(ctx.p += 3) === 0x3a /* : */)
        ctx.p += 3;
    if (ctx.s.charCodeAt(ctx.p) === 0x2e /* . */)
        while (isDigit(ctx.s.charCodeAt(++ctx.p)))
            ;
    if (c = ctx.s.charCodeAt(ctx.p)) {
        if (c === 0x5a /* Z */ || c === 0x7a /* z */) {
            let t = ctx.s.slice(startPtr, ++ctx.p);
            return readDate(ctx, t, 1, unsafeSeparator, startPtr, '[+00:00]');
        }
        if (c === 0x2b /* + */ || c === 0x2d /* - */) {
            // Temporal's ZonedDateTime is weird asf when it comes to dealing with traditional offsets...
            // It's 1.2x faster to allocate a new string to pass to ZDT than use Instant.toZonedDateTimeISO
            let t = ctx.s.slice(startPtr, ctx.p += 6);
            return readDate(ctx, t, 1, unsafeSeparator, startPtr, !ctx.ld && ('[' + ctx.s.slice(ctx.p - 6, ctx.p) + ']'));
        }
    }
    let t = ctx.s.slice(startPtr, ctx.p);
    return readDate(ctx, t, 2, unsafeSeparator, startPtr);
}
function parseTime(ctx, c, endChr) {
    let start = ctx.p;
    if (!isDigit(c) || !isDigit(ctx.s.charCodeAt(++ctx.p))) {
        return parseNumber(ctx, --ctx.p, c, 0, endChr);
    }
    if (ctx.s.charCodeAt(ctx.p += 4) === 0x3a /* : */)
        ctx.p += 3;
    if (ctx.s.charCodeAt(ctx.p) === 0x2e /* . */)
        while (isDigit(ctx.s.charCodeAt(++ctx.p)))
            ;
    let t = ctx.s.slice(start, ctx.p);
    return readDate(ctx, t, 4, false, start);
}
function readDate(ctx, str, type, unsafeDelim, errPtr, temporalSuffix) {
    if (ctx.ld) {
        let date = new TomlDate(str, type, unsafeDelim);
        if (!date.isValid())
            TomlError.x('invalid date', ctx, errPtr);
        return date;
    }
    try {
        if (temporalSuffix)
            str += temporalSuffix;
        switch (type) {
            case 1: return Temporal.ZonedDateTime.from(str);
            case 2: return Temporal.PlainDateTime.from(str);
            case 3: return Temporal.PlainDate.from(str);
            case 4: return Temporal.PlainTime.from(str);
        }
    }
    catch (e) {
        TomlError.x(e instanceof Error ? e.message : '' + e, ctx, errPtr);
    }
}

/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
/** @internal */
function skipComment(ctx) {
    for (; ctx.p < ctx.s.length; ctx.p++) {
        let c = ctx.s.charCodeAt(ctx.p);
        if (c === 0xa /* \n */)
            break;
        if (c === 0xd /* \r */ && ctx.s.charCodeAt(ctx.p + 1) === 0xa /* \n */) {
            ctx.p++;
            break;
        }
        if ((c < 0x20 && c !== 0x9 /* \t */) || c === 0x7f) {
            TomlError.x('control characters are not allowed in comments', ctx);
        }
    }
}
/** @internal */
function skipVoid(ctx, banNewLines, banComments) {
    let c;
    while (ctx.p < ctx.s.length) {
        while (ctx.p < ctx.s.length && ((c = ctx.s.charCodeAt(ctx.p)) === 0x20 ||
            c === 0x9 /* \t */ ||
            (!banNewLines &&
                (c === 0xa /* \n */ || (c === 0xd /* \r */ && ctx.s.charCodeAt(ctx.p + 1) === 0xa /* \n */)))))
            ctx.p++;
        if (banComments || c !== 0x23 /* # */)
            break;
        skipComment(ctx);
    }
}

/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
/** @internal */
function parseKey(ctx, end = 0x3d /* = */) {
    // States:
    // 0: before first char
    // 1: parsing bare key
    // 2: after key component
    let startPtr;
    let state = 0;
    let parsed = [];
    let sliceStart;
    let c = ctx.s.charCodeAt(startPtr = ctx.p);
    do {
        // End of key
        if (c === end) {
            if (!state)
                TomlError.x('unexpected end of key', ctx);
            if (state === 1)
                parsed.push(ctx.s.slice(sliceStart, ctx.p));
            return ctx.p++, parsed;
        }
        // Dotted key separator
        else if (c === 0x2e /* . */) {
            if (!state)
                TomlError.x('illegal empty bare key', ctx);
            if (state === 1)
                parsed.push(ctx.s.slice(sliceStart, ctx.p));
            state = 0;
        }
        // Quoted key
        else if (!state && (c === 0x22 /* " */ || c === 0x27 /* ' */)) {
            if (c === ctx.s.charCodeAt(ctx.p + 1) && c === ctx.s.charCodeAt(ctx.p + 2))
                TomlError.x('illegal quoted key: multiline strings are not allowed', ctx);
            parsed.push(parseString(ctx));
            state = 2;
            ctx.p--;
        }
        // Whitespace; no-op in state 0 and 2, end of bare key in state 1
        else if (c === 0x20 || c === 0x9 /* \t */) {
            if (state === 1) {
                parsed.push(ctx.s.slice(sliceStart, ctx.p));
                state = 2;
            }
        }
        // If state is post-key, no character is allowed; otherwise ensure it's a bare-key component
        else if (state === 2 || (c < 0x30 && c !== 0x2d /* - */) || (c > 0x39 && c < 0x41) || (c > 0x5a && c < 0x61 && c !== 0x5f /* _ */) || c > 0x7a) {
            TomlError.x('illegal character in key', ctx);
        }
        // Illegal character
        else if (!state) {
            state = 1;
            sliceStart = ctx.p;
        }
    } while (c = ctx.s.charCodeAt(++ctx.p));
    TomlError.x('incomplete key-value: cannot find end of key', ctx, startPtr);
}
/** @internal */
function parseInlineTable(ctx) {
    let startPtr = ctx.p++;
    let res = Object.create(null);
    let seen = new Set();
    let c;
    while (ctx.p < ctx.s.length) {
        skipVoid(ctx);
        if ((c = ctx.s.charCodeAt(ctx.p)) === 0x7d /* } */) {
            ctx.p++;
            return res;
        }
        let k;
        let t = res;
        let hasOwn = false;
        let errPtr = ctx.p;
        let key = parseKey(ctx);
        for (let i = 0; i < key.length; i++) {
            if (i)
                t = hasOwn ? t[k] : (t[k] = Object.create(null));
            k = key[i];
            if ((hasOwn = Object.hasOwn(t, k)) && (typeof t[k] !== 'object' || seen.has(t[k]))) {
                TomlError.x('trying to redefine an already defined value', ctx, errPtr);
            }
            let unsafe = k === '__proto__';
            if (ctx.uk && (unsafe || k === 'constructor')) {
                t = ctx.uk !== 1 && TomlError.x('document contains an unsafe property', ctx, errPtr);
                break;
            }
            if (!hasOwn && unsafe) {
                Object.defineProperty(t, k, { enumerable: true, configurable: true, writable: true });
            }
        }
        if (hasOwn) {
            TomlError.x('trying to redefine an already defined value', ctx, errPtr);
        }
        skipVoid(ctx, true, true);
        let value = extractValue(ctx, 0x7d /* } */);
        if (t && typeof (t[k] = value) === 'object')
            seen.add(value);
        skipVoid(ctx);
        if ((c = ctx.s.charCodeAt(ctx.p++)) === 0x7d /* } */) {
            return res;
        }
        if (c !== 0x2c /* , */)
            TomlError.x('expected comma or end of structure', ctx, ctx.p - 1);
    }
    TomlError.x('unfinished table', ctx, startPtr);
}
/** @internal */
function parseArray(ctx) {
    let startPtr = ctx.p++;
    let res = [];
    let c;
    while (ctx.p < ctx.s.length) {
        skipVoid(ctx);
        if ((c = ctx.s.charCodeAt(ctx.p)) === 0x5d /* ] */) {
            ctx.p++;
            return res;
        }
        res.push(extractValue(ctx, 0x5d /* ] */));
        skipVoid(ctx);
        if ((c = ctx.s.charCodeAt(ctx.p++)) === 0x5d /* ] */) {
            return res;
        }
        if (c !== 0x2c /* , */)
            TomlError.x('expected comma or end of structure', ctx, ctx.p - 1);
    }
    TomlError.x('unfinished array', ctx, startPtr);
}

/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
function peekTable(ctx, key, table, meta, type) {
    let t = table;
    let m = meta;
    let k;
    let hasOwn = false;
    let state;
    for (let i = 0; i < key.length; i++) {
        if (i) {
            t = hasOwn ? t[k] : (t[k] = Object.create(null));
            m = (state = m[k]).c;
            if (type === 0 /* Type.DOTTED */ && (state.t === 1 /* Type.EXPLICIT */ || state.t === 2 /* Type.ARRAY */)) {
                return null;
            }
            if (state.t === 2 /* Type.ARRAY */) {
                let l = t.length - 1;
                t = t[l];
                m = m[l].c;
            }
        }
        k = key[i];
        if ((hasOwn = Object.hasOwn(t, k)) && m[k]?.t === 0 /* Type.DOTTED */ && m[k]?.d) {
            return null;
        }
        if (!hasOwn) {
            let unsafe = k === '__proto__';
            if (ctx.uk && (unsafe || k === 'constructor'))
                return false;
            if (unsafe) {
                Object.defineProperty(t, k, { enumerable: true, configurable: true, writable: true });
                Object.defineProperty(m, k, { enumerable: true, configurable: true, writable: true });
            }
            m[k] = {
                t: i < key.length - 1 && type === 2 /* Type.ARRAY */
                    ? 3 /* Type.ARRAY_DOTTED */ : type,
                d: false,
                i: 0,
                c: Object.create(null),
            };
        }
    }
    state = m[k];
    if (state.t !== type && !(type === 1 /* Type.EXPLICIT */ && state.t === 3 /* Type.ARRAY_DOTTED */)) {
        // Bad key type!
        return null;
    }
    if (type === 2 /* Type.ARRAY */) {
        if (!state.d) {
            state.d = true;
            t[k] = [];
        }
        t[k].push(t = Object.create(null));
        state.c[state.i++] = (state = { t: 1 /* Type.EXPLICIT */, d: false, i: 0, c: Object.create(null) });
    }
    if (state.d) {
        // Redefining a table!
        return null;
    }
    state.d = true;
    if (type === 1 /* Type.EXPLICIT */) {
        t = hasOwn ? t[k] : (t[k] = Object.create(null));
    }
    else if (type === 0 /* Type.DOTTED */ && hasOwn) {
        return null;
    }
    return [k, t, state.c];
}
function validateTablePeek(ctx, peek, ptr) {
    if (peek === null || ctx.uk === 2)
        TomlError.x(peek === null
            ? 'trying to redefine an already defined table or value'
            : 'document contains an unsafe property', ctx, ptr);
}
function parse$1(toml, options = {}) {
    let ctx = {
        s: toml,
        p: 0,
        d: options.maxDepth ?? 1000,
        bi: options.integersAsBigInt ?? false,
        ld: options.useLegacyDate ?? true,
        uk: options.unsafeKeyBehaviour === 'throw' ? 2 : options.unsafeKeyBehaviour === 'drop' ? 1 : 0,
    };
    let res = Object.create(null);
    let meta = Object.create(null);
    let tmp;
    let skipping = false;
    let tbl = res;
    let m = meta;
    // BOM is allowed, skip.
    // JS is UTF-16, so we have to check for the UTF-16 BOM instead of the UTF-8 BOM sequence!
    if (toml.charCodeAt(0) === 0xfeff)
        ctx.p++;
    skipVoid(ctx);
    while (ctx.p < toml.length) {
        if (toml.charCodeAt(ctx.p) === 0x5b /* [ */) {
            let isTableArray = toml.charCodeAt(++ctx.p) === 0x5b; /* [ */
            tmp = ctx.p += +isTableArray;
            skipping = false;
            let k = parseKey(ctx, 0x5d /* ] */);
            if (isTableArray) {
                if (toml.charCodeAt(ctx.p) !== 0x5d /* ] */) {
                    TomlError.x('expected end of table array declaration', ctx);
                }
                ctx.p++;
            }
            let p = peekTable(ctx, k, res, meta, isTableArray ? 2 /* Type.ARRAY */ : 1 /* Type.EXPLICIT */);
            if (!p) {
                validateTablePeek(ctx, p, tmp);
                skipping = true;
            }
            else {
                m = p[2];
                tbl = p[1];
            }
        }
        else {
            tmp = ctx.p;
            let k = parseKey(ctx);
            let p = peekTable(ctx, k, tbl, m, 0 /* Type.DOTTED */);
            if (!p && !skipping)
                validateTablePeek(ctx, p, tmp);
            skipVoid(ctx, true, true);
            let v = extractValue(ctx, void 0);
            if (p && !skipping)
                p[1][p[0]] = v;
        }
        skipVoid(ctx, true);
        if (ctx.p < toml.length && (tmp = toml.charCodeAt(ctx.p)) !== 0xa /* \n */ && (tmp !== 0xd /* \r */ || toml.charCodeAt(ctx.p + 1) !== 0xa /* \n */)) {
            TomlError.x('each key-value declaration must be followed by an end-of-line', ctx);
        }
        skipVoid(ctx);
    }
    return res;
}

/*!
 * Copyright (c) Squirrel Chat et al., All rights reserved.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software without
 *    specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
 * CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
 * OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
let BARE_KEY = /^[a-z0-9-_]+$/i;
let HAS_WELLFORMED = !!(''.isWellFormed);
function extendedTypeOf(obj) {
    let type = typeof obj;
    if (type === 'object') {
        if (Array.isArray(obj))
            return 'array';
        if (typeof obj.getUTCDate === 'function' && obj instanceof Date)
            return 'date';
        if (globalThis.Temporal) {
            if (obj.until) {
                if (obj instanceof Temporal.ZonedDateTime)
                    return 'temporal/tz+uc';
                if (obj instanceof Temporal.PlainDateTime || obj instanceof Temporal.PlainDate)
                    return 'temporal/uc';
                if (obj instanceof Temporal.PlainTime || obj instanceof Temporal.Instant)
                    return 'temporal';
                if (obj instanceof Temporal.PlainYearMonth)
                    return 'temporal/x';
            }
            else if ((obj.toPlainDate && obj instanceof Temporal.PlainMonthDay) ||
                (obj.negated && obj instanceof Temporal.Duration)) {
                return 'temporal/x';
            }
        }
    }
    return type;
}
function isArrayOfTables(obj) {
    for (let i = 0; i < obj.length; i++) {
        if (extendedTypeOf(obj[i]) !== 'object')
            return false;
    }
    return obj.length != 0;
}
function formatWellFormedStringUnchecked(s) {
    return JSON.stringify(s).replaceAll('\x7f', '\\u007f');
}
function formatString(s) {
    return formatWellFormedStringUnchecked(HAS_WELLFORMED ? s.toWellFormed() : s);
}
function formatKey(s) {
    if (BARE_KEY.test(s))
        return s;
    if (HAS_WELLFORMED && !s.isWellFormed())
        throw new RangeError('key contains illegal lone surrogates');
    return formatWellFormedStringUnchecked(s);
}
function stringifyValue(val, type, depth, numberAsFloat, strictTemporal) {
    if (depth === 0) {
        throw new Error('Could not stringify the object: maximum object depth exceeded');
    }
    switch (type) {
        // @ts-expect-error -- intentional fallthrough case
        case 'number':
            if (isNaN(val))
                return 'nan';
            if (val === Infinity)
                return 'inf';
            if (val === -Infinity)
                return '-inf';
            if (Number.isInteger(val) && (numberAsFloat || !Number.isSafeInteger(val)))
                return val.toFixed(1);
        case 'bigint':
        case 'boolean':
        case 'temporal':
            return val.toString();
        case 'string':
            return formatString(val);
        case 'date':
            if (isNaN(val.getTime()))
                throw new TypeError('cannot serialize invalid date');
            return val.toISOString();
        case 'object':
            return stringifyInlineTable(val, depth, numberAsFloat, strictTemporal);
        case 'array':
            return stringifyArray(val, depth, numberAsFloat, strictTemporal);
        // @ts-expect-error -- intentional fallthrough case
        case 'temporal/tz+uc':
            if (strictTemporal) {
                let tz = val.timeZoneId;
                let tzc = tz.charCodeAt(0);
                if (
                // Classic offset
                tzc !== 0x2b /* + */ && tzc !== 0x2d /* - */ &&
                    (
                    // Fast pre-check pass; see below for the actually accepted values
                    (tzc !== 0x55 /* U */ && tzc !== 0x47 /* G */ && tzc !== 0x5a /* Z */ && tzc !== 0x45 /* E */) ||
                        (
                        // UTC and its aliases; Temporal implementations don't all canonicalise unfortunately
                        tz !== 'UTC' && tz !== 'UCT' && tz !== 'Universal' && tz !== 'Zulu' &&
                            // GMT is a TZ but it's for all intents and purposes equivalent to UTC. Safe to downgrade.
                            !tz.startsWith('GMT') && tz !== 'Greenwich' &&
                            // Etc/* are all safe to downgrade to offset (either UTC, GMT, or offset)
                            !tz.startsWith('Etc/')))) {
                    throw new TypeError('Temporal objects with an IANA timezone are not allowed in Temporal strict mode');
                }
            }
        case 'temporal/uc':
            if (strictTemporal && val.calendarId !== 'iso8601')
                throw new TypeError('Temporal objects with a non-default calendar are not allowed in Temporal strict mode');
            return val.toString({
                calendarName: 'never',
                timeZoneName: 'never',
            });
        case 'temporal/x':
            throw new TypeError('Unsupported ' + val[Symbol.toStringTag]);
    }
}
function stringifyInlineTable(obj, depth, numberAsFloat, strictTemporal) {
    let keys = Object.keys(obj);
    if (keys.length === 0)
        return '{}';
    let res = '{ ';
    for (let i = 0; i < keys.length; i++) {
        let k = keys[i];
        if (i)
            res += ', ';
        res += formatKey(k) + ' = ' + stringifyValue(obj[k], extendedTypeOf(obj[k]), depth - 1, numberAsFloat, strictTemporal);
    }
    return res + ' }';
}
function stringifyArray(array, depth, numberAsFloat, strictTemporal) {
    if (array.length === 0)
        return '[]';
    let res = '[ ';
    for (let i = 0; i < array.length; i++) {
        if (i)
            res += ', ';
        if (array[i] === null || array[i] === void 0) {
            throw new TypeError('arrays cannot contain null or undefined values');
        }
        res += stringifyValue(array[i], extendedTypeOf(array[i]), depth - 1, numberAsFloat, strictTemporal);
    }
    return res + ' ]';
}
function stringifyArrayTable(array, key, depth, numberAsFloat, strictTemporal) {
    if (depth === 0) {
        throw new Error('Could not stringify the object: maximum object depth exceeded');
    }
    let res = '';
    for (let i = 0; i < array.length; i++) {
        res += `${res && '\n'}[[${key}]]\n`;
        res += stringifyTable(0, array[i], key, depth, numberAsFloat, strictTemporal);
    }
    return res;
}
function stringifyTable(tableKey, obj, prefix, depth, numberAsFloat, strictTemporal) {
    if (depth === 0) {
        throw new Error('Could not stringify the object: maximum object depth exceeded');
    }
    let preamble = '';
    let tables = '';
    let keys = Object.keys(obj);
    for (let i = 0; i < keys.length; i++) {
        let k = keys[i];
        if (obj[k] !== null && obj[k] !== void 0) {
            let type = extendedTypeOf(obj[k]);
            if (type === 'symbol' || type === 'function') {
                throw new TypeError(`cannot serialize values of type '${type}'`);
            }
            let key = formatKey(k);
            if (type === 'array' && isArrayOfTables(obj[k])) {
                tables += (tables && '\n') + stringifyArrayTable(obj[k], prefix ? `${prefix}.${key}` : key, depth - 1, numberAsFloat, strictTemporal);
            }
            else if (type === 'object') {
                let tblKey = prefix ? `${prefix}.${key}` : key;
                tables += (tables && '\n') + stringifyTable(tblKey, obj[k], tblKey, depth - 1, numberAsFloat, strictTemporal);
            }
            else {
                preamble += key;
                preamble += ' = ';
                preamble += stringifyValue(obj[k], type, depth, numberAsFloat, strictTemporal);
                preamble += '\n';
            }
        }
    }
    if (tableKey && (preamble || !tables)) // Create table only if necessary
        preamble = preamble ? `[${tableKey}]\n${preamble}` : `[${tableKey}]`;
    return preamble && tables
        ? `${preamble}\n${tables}`
        : preamble || tables;
}
function stringify(obj, { maxDepth = 1000, numbersAsFloat = false, strictTemporal = false } = {}) {
    if (extendedTypeOf(obj) !== 'object') {
        throw new TypeError('stringify can only be called with an object');
    }
    let str = stringifyTable(0, obj, '', maxDepth, numbersAsFloat, strictTemporal);
    if (str[str.length - 1] !== '\n')
        return str + '\n';
    return str;
}

function datetime(params) {
    return _isoDateTime(ZodISODateTime, params);
}

/**
 * The parts of shipper's `.shipper.toml` this action understands. Other tables (policy, lock,
 * output, ...) belong to the shipper CLI and are accepted untouched.
 */
const registryEntry = object({
    name: string().min(1),
    api_base: string().optional(),
    index_base: string().optional()
});
const duration = union([string(), number()]);
const shipperConfigSchema = object({
    state_dir: string().min(1).optional(),
    rehearsal: object({ enabled: boolean().optional(), registry: string().min(1).optional() })
        .loose()
        .optional(),
    registry: object({ name: string().min(1).optional(), api_base: string().optional() })
        .loose()
        .optional(),
    registries: union([
        array(registryEntry),
        object({ registries: array(registryEntry).optional() }).loose()
    ])
        .optional(),
    readiness: object({ max_total_wait: duration.optional(), enabled: boolean().optional() })
        .loose()
        .optional(),
    retry: object({
        max_attempts: number().int().min(1).max(100).optional(),
        base_delay: duration.optional(),
        max_delay: duration.optional()
    })
        .loose()
        .optional(),
    flags: object({ allow_dirty: boolean().optional() }).loose().optional()
})
    .loose();
function registryEntries(config) {
    const r = config.registries;
    if (!r)
        return [];
    return Array.isArray(r) ? r : (r.registries ?? []);
}
function parseShipperConfig(text, path) {
    let raw;
    try {
        raw = parse$1(text);
    }
    catch (error) {
        const where = error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : '';
        const what = error instanceof Error ? error.message.split('\n')[0] : String(error);
        throw new UserError(`${path} is not valid TOML${where}: ${what}`, 'fix the file or point the `config` input at another one', 2);
    }
    const result = shipperConfigSchema.safeParse(raw);
    if (!result.success) {
        const issue = result.error.issues[0];
        const key = issue?.path.join('.') || '(root)';
        throw new UserError(`${path}: \`${key}\` is invalid: ${issue?.message ?? 'unexpected value'}`, 'see the .shipper.toml section of the README for the keys this action reads', 2);
    }
    return result.data;
}
async function loadShipperConfig(path) {
    let text;
    try {
        text = await readFile(path, 'utf8');
    }
    catch {
        throw new UserError(`config file ${path} cannot be read`, 'check the `config` input path', 2);
    }
    return parseShipperConfig(text, path);
}

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/**
 * `500ms`, `30s`, `2m`, `1h`, combinations like `1m30s`, or a bare number of seconds.
 * Returns undefined for anything else.
 */
function parseDuration(text) {
    const trimmed = text.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed))
        return Math.round(Number(trimmed) * 1000);
    if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed))
        return undefined;
    let total = 0;
    for (const [, value, , unit] of trimmed.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) {
        total += Number(value) * UNITS[unit];
    }
    return Math.round(total);
}
/** humantime's units (the crate shipper parses duration strings with), in milliseconds. */
const HUMANTIME_UNITS = {
    nanos: 1e-6,
    nsec: 1e-6,
    ns: 1e-6,
    usec: 1e-3,
    us: 1e-3,
    millis: 1,
    msec: 1,
    ms: 1,
    seconds: 1000,
    second: 1000,
    secs: 1000,
    sec: 1000,
    s: 1000,
    minutes: 60_000,
    minute: 60_000,
    mins: 60_000,
    min: 60_000,
    m: 60_000,
    hours: 3_600_000,
    hour: 3_600_000,
    hrs: 3_600_000,
    hr: 3_600_000,
    h: 3_600_000,
    days: 86_400_000,
    day: 86_400_000,
    d: 86_400_000,
    weeks: 604_800_000,
    week: 604_800_000,
    w: 604_800_000,
    months: 2_630_016_000,
    month: 2_630_016_000,
    M: 2_630_016_000,
    years: 31_557_600_000,
    year: 31_557_600_000,
    y: 31_557_600_000
};
/**
 * A humantime duration string as shipper reads it from `.shipper.toml`: one or more whole numbers
 * each followed by a unit (`90s`, `5min`, `1h 30m`, `2 hours`). Returns undefined for anything
 * else, a bare number included (humantime wants a unit).
 */
function parseHumantime(text) {
    const pairs = /^\s*(?:\d+\s*[A-Za-z]+\s*)+$/.test(text)
        ? [...text.matchAll(/(\d+)\s*([A-Za-z]+)/g)]
        : [];
    if (pairs.length === 0)
        return undefined;
    let total = 0;
    for (const [, count, unit] of pairs) {
        const ms = HUMANTIME_UNITS[unit];
        if (ms === undefined)
            return undefined;
        total += Number(count) * ms;
    }
    return Number.isFinite(total) ? Math.round(total) : undefined;
}
/**
 * A `.shipper.toml` duration, read as shipper does: a TOML integer is MILLISECONDS, a string is
 * humantime. Anything else (or zero where `positive`) is one clear line naming the key.
 */
function configDurationMs(value, key, path, positive = false) {
    const ms = typeof value === 'number'
        ? Number.isSafeInteger(value) && value >= 0
            ? value
            : undefined
        : typeof value === 'string'
            ? parseHumantime(value)
            : undefined;
    if (ms === undefined || (positive && ms === 0)) {
        throw new UserError(`${path}: \`${key}\` is not a${positive ? ' positive' : ''} duration: ${JSON.stringify(value)}`, 'write whole milliseconds as an integer (300000) or a humantime string such as "90s", "5min" or "1h 30m"', 2);
    }
    return ms;
}

const INPUTS = [
    {
        name: 'mode',
        kind: 'string',
        default: 'rehearse',
        description: '`rehearse` (publish the plan to a throwaway registry and record the proof) or `publish` (enforce the proof, then publish to the live registry).'
    },
    {
        name: 'manifest-path',
        kind: 'string',
        default: 'Cargo.toml',
        description: 'Workspace (or package) manifest, relative to the repository root.'
    },
    {
        name: 'packages',
        kind: 'list',
        default: '',
        description: 'Crates to release, comma or newline separated; closed over their in-workspace dependencies. Empty = every publishable crate.'
    },
    {
        name: 'registry-url',
        kind: 'string',
        default: '',
        description: 'Rehearsal registry: a kellnr-layout base URL (e.g. `http://localhost:8000`) or a full `sparse+` index URL. Empty = start the embedded registry.'
    },
    {
        name: 'registry-name',
        kind: 'string',
        default: 'rehearsal',
        description: 'cargo name of the rehearsal registry (used in `--registry` and `CARGO_REGISTRIES_<NAME>_*`).'
    },
    {
        name: 'registry-token',
        kind: 'secret',
        default: '',
        description: 'Token for the rehearsal registry. The embedded registry needs none; for kellnr an empty value logs in with registry-user/registry-password.'
    },
    {
        name: 'registry-wait',
        kind: 'duration',
        default: '2m',
        description: 'How long to wait for the rehearsal registry to answer its health check.'
    },
    {
        name: 'registry-user',
        kind: 'string',
        default: 'admin',
        description: 'kellnr account used to mint a token when registry-token is empty.'
    },
    {
        name: 'registry-password',
        kind: 'secret',
        default: 'admin',
        description: 'Password of registry-user.'
    },
    {
        name: 'smoke-install',
        kind: 'list',
        default: '',
        description: 'Binary crate(s) to `cargo install` from the rehearsal registry after every publish passed.'
    },
    {
        name: 'smoke-build',
        kind: 'boolean',
        default: 'false',
        description: 'Also build a scratch consumer crate that depends on every planned library crate from the rehearsal registry.'
    },
    {
        name: 'skip-rehearsal',
        kind: 'boolean',
        default: 'false',
        description: 'Operator bypass: in rehearse mode nothing is rehearsed; in publish mode the gate is bypassed. Always loud and recorded.'
    },
    {
        name: 'state-dir',
        kind: 'string',
        default: '.shipper',
        description: 'Where events.jsonl, rehearse-events.jsonl, rehearsal.json and publish-record.json live; relative to the workspace root.'
    },
    {
        name: 'artifact-name',
        kind: 'string',
        default: 'shipper-rehearsal',
        description: 'Name of the workflow artifact carrying the rehearsal record.'
    },
    {
        name: 'retention-days',
        kind: 'integer',
        default: '',
        description: 'How long the artifacts are kept (1-90 days). Empty = the repository default.'
    },
    {
        name: 'rehearsal-run-id',
        kind: 'integer',
        default: '',
        description: 'Publish mode: the workflow run (same repository) whose artifact proves the rehearsal. Empty = the current run.'
    },
    {
        name: 'github-token',
        kind: 'secret',
        default: '${{ github.token }}',
        description: 'Token for cross-run artifact download (`actions: read`) and commit statuses (`statuses: write`).'
    },
    {
        name: 'status-check',
        kind: 'boolean',
        default: 'false',
        description: 'Post a commit status named `shipper/rehearsal` on the rehearsed commit, usable as a required check.'
    },
    {
        name: 'target-registry',
        kind: 'string',
        default: 'crates-io',
        description: 'Live registry name (publish mode, and part of the plan_id).'
    },
    {
        name: 'target-registry-url',
        kind: 'string',
        default: '',
        description: 'A non-crates.io live registry, as a kellnr-layout base URL or a `sparse+` index URL; its config.json `api` is the API base in the plan_id.'
    },
    {
        name: 'token',
        kind: 'secret',
        default: '',
        description: 'Live registry token; `CARGO_REGISTRY_TOKEN` (crates.io) or `CARGO_REGISTRIES_<NAME>_TOKEN` also work.'
    },
    {
        name: 'trusted-publishing',
        kind: 'string',
        default: 'auto',
        description: "`auto`, `true` or `false`: mint a short-lived crates.io token from the job's OIDC identity (needs `id-token: write`)."
    },
    {
        name: 'dry-run',
        kind: 'boolean',
        default: 'false',
        description: 'Publish mode: gate, plan, verification and index checks, but no upload.'
    },
    {
        name: 'max-concurrency',
        kind: 'integer',
        default: '4',
        description: 'Publish mode: uploads in flight at once (a rehearsal uploads through one cargo invocation).'
    },
    {
        name: 'readiness-timeout',
        kind: 'duration',
        default: '5m',
        description: 'How long to wait for one version to appear in an index.'
    },
    {
        name: 'max-attempts',
        kind: 'integer',
        default: '6',
        description: 'Attempts per crate for transient failures in publish mode.'
    },
    {
        name: 'bind',
        kind: 'string',
        default: 'content',
        description: "What the gate binds to: `plan` (shipper's plan_id only) or `content` (plan_id plus a digest of the packaged sources)."
    },
    {
        name: 'verify',
        kind: 'string',
        default: 'auto',
        description: "Publish mode: `auto` skips cargo's verification build when the gate accepted a content-bound proof made with the same toolchain (the rehearsal compiled these exact sources); `always` builds before uploading."
    },
    {
        name: 'cache',
        kind: 'boolean',
        default: 'true',
        description: 'Restore and save cargo caches with the Actions cache service.'
    },
    {
        name: 'allow-dirty',
        kind: 'boolean',
        default: 'false',
        description: 'Pass `--allow-dirty` to cargo.'
    },
    {
        name: 'config',
        kind: 'string',
        default: '',
        description: 'shipper config file (default: `.shipper.toml` beside the manifest, if present); inputs override it.'
    }
];

const CRATE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const REGISTRY_NAME$1 = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const TRUE = new Set(['true', 'True', 'TRUE', 'yes', '1']);
const FALSE = new Set(['false', 'False', 'FALSE', 'no', '0']);
function bad$1(name, value, allowed) {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return new UserError(`input \`${name}\` has an invalid value '${shown}'`, `allowed: ${allowed}`, 2);
}
function specOf(name) {
    const spec = INPUTS.find(i => i.name === name);
    if (!spec)
        throw new Error(`unknown input ${name}`);
    return spec;
}
/** Reads inputs with their defaults applied: an empty value means the default, as the runner does. */
class InputReader {
    raw;
    config;
    constructor(raw, config) {
        this.raw = raw;
        this.config = config;
    }
    /** The value from the input, else the config file, else the default; and where it came from. */
    get(name) {
        const given = this.raw[name]?.trim();
        if (given)
            return given;
        const fromConfig = this.config[name];
        if (fromConfig !== undefined)
            return fromConfig;
        const def = specOf(name).default;
        return def.startsWith('${{') ? '' : def;
    }
    oneOf(name, allowed) {
        const v = this.get(name);
        if (allowed.includes(v))
            return v;
        throw bad$1(name, v, allowed.map(a => `\`${a}\``).join(', '));
    }
    bool(name) {
        const v = this.get(name);
        if (TRUE.has(v))
            return true;
        if (FALSE.has(v))
            return false;
        throw bad$1(name, v, '`true` or `false`');
    }
    duration(name) {
        const v = this.get(name);
        const ms = parseDuration(v);
        if (ms === undefined || ms <= 0)
            throw bad$1(name, v, 'a duration such as `90s`, `2m`, `1h` or a number of seconds');
        return ms;
    }
    int(name, min, max) {
        const v = this.get(name);
        if (v === '')
            return undefined;
        if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
            throw bad$1(name, v, `a whole number from ${min} to ${max}`);
        }
        return Number(v);
    }
    list(name, pattern, what) {
        const items = this.get(name)
            .split(/[,\n]/)
            .map(s => s.trim())
            .filter(Boolean);
        for (const item of items)
            if (!pattern.test(item))
                throw bad$1(name, item, what);
        return [...new Set(items)];
    }
    url(name) {
        const v = this.get(name);
        if (!v)
            return '';
        const plain = v.startsWith('sparse+') ? v.slice('sparse+'.length) : v;
        let parsed;
        try {
            parsed = new URL(plain);
        }
        catch {
            throw bad$1(name, v, 'an http(s) base URL such as `http://localhost:8000`, or a `sparse+https://…/` index URL');
        }
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
            throw bad$1(name, v, 'an http:// or https:// URL (cargo only speaks the sparse protocol here)');
        }
        if (parsed.username || parsed.password) {
            throw bad$1(name, '(a URL with credentials)', 'a URL without user:password; pass the token through the token inputs');
        }
        return v;
    }
}
/** Maps the config file's keys onto input names, as strings, so inputs can override them. */
function configAsInputs(config, path) {
    const out = {};
    if (config.state_dir)
        out['state-dir'] = config.state_dir;
    const rehearsalName = config.rehearsal?.registry;
    if (rehearsalName) {
        out['registry-name'] = rehearsalName;
        const entry = registryEntries(config).find(r => r.name === rehearsalName);
        const url = entry?.index_base ?? entry?.api_base;
        if (url)
            out['registry-url'] = entry?.index_base
                ? `sparse+${url.replace(/^sparse\+/, '').replace(/\/?$/, '/')}`
                : url;
    }
    if (config.registry?.name)
        out['target-registry'] = config.registry.name;
    if (config.registry?.api_base &&
        config.registry.name &&
        config.registry.name !== CRATES_IO.name) {
        out['target-registry-url'] = config.registry.api_base;
    }
    const wait = config.readiness?.max_total_wait;
    if (wait !== undefined) {
        out['readiness-timeout'] = `${configDurationMs(wait, 'readiness.max_total_wait', path, true)}ms`;
    }
    if (config.retry?.max_attempts !== undefined)
        out['max-attempts'] = String(config.retry.max_attempts);
    if (config.flags?.allow_dirty !== undefined)
        out['allow-dirty'] = String(config.flags.allow_dirty);
    return out;
}
/**
 * Turns raw inputs (action inputs or CLI flags) plus the shipper config file into one validated
 * options object. Inputs beat the file; the file beats defaults.
 */
async function parseOptions(raw, ctx) {
    for (const name of Object.keys(raw))
        specOf(name);
    const bare = new InputReader(raw, {});
    const manifestPath = resolve(ctx.cwd, bare.get('manifest-path'));
    const configInput = bare.get('config');
    const configPath = configInput
        ? resolve(ctx.cwd, configInput)
        : [resolve(dirname(manifestPath), '.shipper.toml')].find(p => existsSync(p));
    const config = configPath ? await loadShipperConfig(configPath) : {};
    const configName = configPath ?? '.shipper.toml';
    const r = new InputReader(raw, configAsInputs(config, configName));
    const fromConfig = (value, key, fallback) => value === undefined ? fallback : configDurationMs(value, key, configName);
    const registryName = r.get('registry-name');
    if (!REGISTRY_NAME$1.test(registryName)) {
        throw bad$1('registry-name', registryName, 'letters, digits, `-` and `_`, starting with a letter or digit');
    }
    const targetRegistry = r.get('target-registry');
    if (!REGISTRY_NAME$1.test(targetRegistry)) {
        throw bad$1('target-registry', targetRegistry, 'a cargo registry name such as `crates-io`');
    }
    if (registryName === targetRegistry || registryName === CRATES_IO.name) {
        throw new UserError(`input \`registry-name\` '${registryName}' is the live target registry`, 'the rehearsal registry needs its own name, e.g. `rehearsal`', 2);
    }
    const options = {
        mode: r.oneOf('mode', ['rehearse', 'publish']),
        manifestPath,
        packages: r.list('packages', CRATE_NAME, 'crate names separated by commas or newlines'),
        registryUrl: r.url('registry-url'),
        registryName,
        registryToken: r.get('registry-token'),
        registryWaitMs: r.duration('registry-wait'),
        registryUser: r.get('registry-user'),
        registryPassword: r.get('registry-password'),
        smokeInstall: r.list('smoke-install', CRATE_NAME, 'crate names separated by commas or newlines'),
        smokeBuild: r.bool('smoke-build'),
        skipRehearsal: r.bool('skip-rehearsal'),
        stateDir: r.get('state-dir'),
        artifactName: r.get('artifact-name'),
        retentionDays: r.int('retention-days', 1, 90),
        rehearsalRunId: r.int('rehearsal-run-id', 1, Number.MAX_SAFE_INTEGER),
        githubToken: r.get('github-token') || ctx.env.GITHUB_TOKEN || '',
        statusCheck: r.bool('status-check'),
        targetRegistry,
        targetRegistryUrl: r.url('target-registry-url'),
        token: r.get('token'),
        trustedPublishing: r.oneOf('trusted-publishing', ['auto', 'true', 'false']),
        dryRun: r.bool('dry-run'),
        maxConcurrency: r.int('max-concurrency', 1, 64) ?? 4,
        readinessTimeoutMs: r.duration('readiness-timeout'),
        maxAttempts: r.int('max-attempts', 1, 100) ?? 6,
        retryBaseMs: fromConfig(config.retry?.base_delay, 'retry.base_delay', 2000),
        retryMaxMs: fromConfig(config.retry?.max_delay, 'retry.max_delay', 120_000),
        bind: r.oneOf('bind', ['plan', 'content']),
        verify: r.oneOf('verify', ['auto', 'always']),
        cache: r.bool('cache'),
        allowDirty: r.bool('allow-dirty'),
        configPath
    };
    if (!options.stateDir || /[\0]/.test(options.stateDir))
        throw bad$1('state-dir', options.stateDir, 'a directory path');
    if (!/^[^"/:<>|*?\\\r\n]+$/.test(options.artifactName)) {
        throw bad$1('artifact-name', options.artifactName, 'a name without " : < > | * ? / \\ or newlines');
    }
    if (!existsSync(manifestPath)) {
        throw new UserError(`manifest ${manifestPath} does not exist`, 'set `manifest-path` to the workspace Cargo.toml (relative to the repository root); did you run actions/checkout?', 2);
    }
    return options;
}
/** The state dir as an absolute path: relative values are resolved against the workspace root. */
function resolveStateDir(options, workspaceRoot) {
    return isAbsolute(options.stateDir) ? options.stateDir : resolve(workspaceRoot, options.stateDir);
}
/**
 * The state dir, resolved and created. A path that exists but is not a directory is an input
 * error, caught before anything is recorded.
 */
async function prepareStateDir(options, workspaceRoot) {
    const dir = resolveStateDir(options, workspaceRoot);
    try {
        await mkdir(dir, { recursive: true });
    }
    catch (error) {
        const code = error.code;
        throw new UserError(`input \`state-dir\`: ${dir} cannot be used as a directory (${code ?? 'error'})`, 'point `state-dir` at a directory (the default is .shipper in the workspace root)', 2);
    }
    return dir;
}

/**
 * The cargo sparse index URL (`sparse+...`, ending in `/`) of a registry given either as a full
 * index URL starting with `sparse+` or as the base URL of a kellnr-layout registry, whose index
 * lives at `<base>/api/v1/crates/`.
 */
function indexUrlFor(urlOrIndex) {
    const given = urlOrIndex.trim();
    const sparse = given.startsWith('sparse+');
    const http = sparse ? given.slice('sparse+'.length) : given;
    let parsed;
    try {
        parsed = new URL(http);
    }
    catch {
        throw notAUrl(urlOrIndex);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
        throw notAUrl(urlOrIndex);
    if (sparse)
        return given.endsWith('/') ? given : `${given}/`;
    return `sparse+${http.replace(/\/+$/, '')}/api/v1/crates/`;
}
/** Where a sparse index publishes its `config.json`. */
function configJsonUrlFor(indexUrl) {
    return `${indexUrlFor(indexUrl).slice('sparse+'.length)}config.json`;
}
function notAUrl(given) {
    return new UserError(`'${given}' is not a registry URL`, 'give an http(s) base URL such as http://localhost:8000, or a sparse index URL such as sparse+https://host/index/', 2);
}

const REGISTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** The `<NAME>` part of `CARGO_REGISTRIES_<NAME>_*`: cargo upper-cases the name and maps `-` to `_`. */
function registryEnvKey(name) {
    if (!REGISTRY_NAME.test(name)) {
        throw new UserError(`'${name}' is not a valid cargo registry name`, 'use letters, digits, `-` and `_`, starting with a letter or digit', 2);
    }
    return name.toUpperCase().replace(/-/g, '_');
}
/** `CARGO_REGISTRIES_<NAME>_<FIELD>`, the env var cargo reads for that field of a named registry. */
function registryEnvVar(name, field) {
    return `CARGO_REGISTRIES_${registryEnvKey(name)}_${field}`;
}
/**
 * Configures a named registry (the rehearsal one, or a non-crates.io live one) for cargo through
 * the environment only, so the user's cargo config is never edited. The credential provider is
 * pinned to `cargo:token` because registries with `auth-required` refuse `cargo install`
 * otherwise, and it keeps a user's global providers from being asked for the token.
 */
function registryEnv(registry) {
    const env = {
        [registryEnvVar(registry.name, 'INDEX')]: registry.indexUrl,
        [registryEnvVar(registry.name, 'CREDENTIAL_PROVIDER')]: 'cargo:token'
    };
    if (registry.token)
        env[registryEnvVar(registry.name, 'TOKEN')] = registry.token;
    return env;
}

/**
 * crates.io unless a `target-registry-url` names another live registry. Its API base comes from
 * the plan (config.json `api`), which needs this target's cargo env to read the manifests.
 */
function liveTarget(options, env = process.env) {
    if (!options.targetRegistryUrl && options.targetRegistry === CRATES_IO.name) {
        return {
            name: CRATES_IO.name,
            isCratesIo: true,
            indexUrl: CRATES_IO.indexUrl,
            registryArgs: [],
            tokenEnvVar: 'CARGO_REGISTRY_TOKEN',
            cargoEnv: (token) => (token ? { CARGO_REGISTRY_TOKEN: token } : {})
        };
    }
    if (options.targetRegistry === CRATES_IO.name) {
        throw new UserError('`target-registry-url` is set but `target-registry` is crates-io', 'give the other live registry its own cargo name with `target-registry`', 2);
    }
    const indexVar = registryEnvVar(options.targetRegistry, 'INDEX');
    // As for the plan_id's API base: the registry's own cargo env var stands in for the input.
    const url = options.targetRegistryUrl || env[indexVar]?.trim();
    if (!url) {
        throw new UserError(`live registry '${options.targetRegistry}' has no URL`, `set \`target-registry-url\` to its base URL or sparse index URL (or ${indexVar})`, 2);
    }
    const indexUrl = indexUrlFor(url);
    const name = options.targetRegistry;
    return {
        name,
        isCratesIo: false,
        indexUrl,
        registryArgs: ['--registry', name],
        tokenEnvVar: registryEnvVar(name, 'TOKEN'),
        cargoEnv: token => registryEnv({ name, indexUrl, token })
    };
}
/**
 * The context every cargo call of a run needs: manifests of a private-registry workspace name the
 * live registry, and cargo refuses to read them unless that registry is configured.
 */
function withLiveRegistry(options, ctx) {
    return { ...ctx, env: { ...liveTarget(options).cargoEnv(undefined), ...ctx.env } };
}

/** This tool's name and version as recorded in receipts; a test keeps it equal to package.json. */
const TOOL = { name: 'shipper-rehearse', version: '0.1.0' };

/**
 * The secret values of a run's options, to mask and scrub. A documented default (kellnr's
 * `admin` password) is no secret, and masking it would blank every "admin" in the log.
 */
function secretValues(options) {
    const defaults = new Set(INPUTS.filter(i => i.kind === 'secret').map(i => i.default));
    return [
        options.registryToken,
        options.registryPassword,
        options.token,
        options.githubToken
    ].filter(v => v !== '' && !defaults.has(v));
}
/** The action's secret inputs; on the command line each is a `--NAME-file` flag. */
const SECRET_INPUTS = new Set(INPUTS.filter(i => i.kind === 'secret').map(i => i.name));
/** Secrets the command line reads from these variables when no `--NAME-file` gives them. */
const CLI_SECRET_VARIABLES = {
    'registry-token': 'SHIPPER_REGISTRY_TOKEN',
    'registry-password': 'SHIPPER_REGISTRY_PASSWORD'
};
/**
 * Where each secret comes from besides `--NAME-file`: `token` and `github-token` are read where
 * they are used (tokens.ts, parse.ts), the others by the command line (CLI_SECRET_VARIABLES).
 */
const SECRET_ENV = {
    ...CLI_SECRET_VARIABLES,
    token: 'CARGO_REGISTRY_TOKEN (crates.io) or CARGO_REGISTRIES_<NAME>_TOKEN',
    'github-token': 'GITHUB_TOKEN'
};
/** A secret flag given on the command line: refused, and its value never repeated. */
function secretOnCommandLine(name) {
    return new UserError(`--${name} is not accepted: a secret on the command line is visible to every process of this machine`, `set ${SECRET_ENV[name] ?? 'its environment variable'}, or pass --${name}-file PATH (\`-\` reads standard input)`, 2);
}
/**
 * A secret from a file (`-`: standard input), without its final line terminator. An empty or
 * unreadable file is an input error naming the flag, never the content.
 */
function readSecretFile(name, path, readStdin = () => readFileSync(0, 'utf8')) {
    let text;
    try {
        text = path === '-' ? readStdin() : readFileSync(path, 'utf8');
    }
    catch (error) {
        const reason = error.code ?? 'unreadable';
        throw new UserError(`--${name}-file ${path}: cannot read it (${reason})`, 'give a readable file, or `-` to read standard input', 2);
    }
    const value = text.replace(/\r?\n$/, '');
    if (value === '') {
        throw new UserError(`--${name}-file ${path} is empty`, 'put the secret in the file (one line)', 2);
    }
    return value;
}

const systemClock = {
    now: () => Date.now(),
    sleep: (ms, cut) => new Promise(resolve => {
        if (cut?.aborted)
            return resolve();
        const timer = setTimeout(done, Math.max(0, ms));
        function done() {
            clearTimeout(timer);
            cut?.removeEventListener('abort', done);
            resolve();
        }
        cut?.addEventListener('abort', done, { once: true });
    })
};

/** cargo from the `CARGO` env var (set by cargo itself and by rustup shims) or PATH. */
function cargoBinary(env = process.env) {
    return env.CARGO && env.CARGO.trim() ? env.CARGO : 'cargo';
}
function mergeEnv(extra = {}) {
    const out = {};
    for (const [k, v] of Object.entries(process.env))
        if (v !== undefined)
            out[k] = v;
    for (const [k, v] of Object.entries(extra)) {
        if (v === undefined)
            delete out[k];
        else
            out[k] = v;
    }
    return out;
}
/**
 * Credentials cargo must not inherit: build scripts and proc macros (third-party code) run inside
 * cargo and see its environment. Action inputs, the runner's service tokens and registry tokens
 * are dropped; a caller that means cargo to have a token passes it in `options.env`.
 */
const INHERITED_SECRETS = [
    /^INPUT_/,
    /^ACTIONS_RUNTIME_TOKEN$/,
    /^ACTIONS_ID_TOKEN_REQUEST_(TOKEN|URL)$/,
    /^GITHUB_TOKEN$/,
    /^CARGO_REGISTRY_TOKEN$/,
    /^CARGO_REGISTRIES_.+_TOKEN$/
];
function cargoEnv(extra = {}) {
    const inherited = Object.keys(process.env).filter(k => INHERITED_SECRETS.some(p => p.test(k)));
    return mergeEnv({ ...Object.fromEntries(inherited.map(k => [k, undefined])), ...extra });
}
/** Splits a byte stream into lines, holding back a partial last line until it is complete. */
function lineSplitter(emit) {
    let pending = '';
    return {
        push(text) {
            const parts = (pending + text).split(/\r?\n/);
            pending = parts.pop() ?? '';
            for (const line of parts)
                emit(line);
        },
        end() {
            if (pending !== '')
                emit(pending);
            pending = '';
        }
    };
}
/**
 * cargo runs in a process group of its own (POSIX), so an interrupt can stop it together with
 * every rustc, build script and proc macro it started, not just the cargo process.
 */
const runCargo = (args, options = {}) => {
    const stopped = interruptedBy();
    if (stopped)
        return Promise.reject(new InterruptedError(stopped));
    const env = cargoEnv(options.env);
    const bin = cargoBinary(env);
    return new Promise((resolve, reject) => {
        const child = spawn(bin, args, {
            cwd: options.cwd,
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
            detached: process.platform !== 'win32'
        });
        const chunks = { stdout: [], stderr: [] };
        const onLine = options.onLine;
        for (const from of ['stdout', 'stderr']) {
            const split = lineSplitter(line => onLine?.(line, from));
            const stream = child[from];
            stream.setEncoding('utf8');
            stream.on('data', (text) => {
                chunks[from].push(text);
                if (options.stream)
                    process[from].write(text);
                split.push(text);
            });
            stream.on('end', () => split.end());
        }
        if (child.pid !== undefined)
            activeCargoGroups.add(child.pid);
        const stop = () => {
            if (child.pid !== undefined)
                signalGroup(child.pid, 'SIGTERM');
        };
        if (options.signal?.aborted)
            stop();
        else
            options.signal?.addEventListener('abort', stop, { once: true });
        const done = () => {
            options.signal?.removeEventListener('abort', stop);
            if (child.pid !== undefined)
                activeCargoGroups.delete(child.pid);
        };
        child.on('error', error => {
            done();
            if (error.code === 'ENOENT') {
                reject(new UserError(`cargo was not found (looked for '${bin}')`, 'install Rust (e.g. dtolnay/rust-toolchain) before this step, or set CARGO to the cargo binary', 2));
            }
            else
                reject(error);
        });
        child.on('close', (code, signal) => {
            done();
            const interrupted = interruptedBy();
            if (interrupted)
                return reject(new InterruptedError(interrupted));
            resolve({
                exitCode: code ?? (signal ? 128 : 1),
                stdout: chunks.stdout.join(''),
                stderr: chunks.stderr.join('') + (signal ? `\ncargo was killed by ${signal}\n` : '')
            });
        });
    });
};
/** The last `lines` lines of a command's output, for events and summaries. */
function tail(text, lines = 40) {
    const all = text.replace(/\s+$/, '').split('\n');
    return all.slice(-lines).join('\n');
}

const PROGRESS_INTERVAL_MS = 15_000;
/** cargo's status lines worth repeating: a verb in column 0-12, then what it acts on. */
const ACTIVITY = /^\s{0,12}(Compiling|Checking|Packaging|Verifying|Uploading|Uploaded|Downloading|Downloaded|Updating|Installing|Waiting|Building|Running|Documenting|Locking|Archiving)\s+(.+?)\s*$/;
/** What a cargo status line says it is doing (`Compiling g-app v0.1.0`), or undefined. Pure. */
function cargoActivity(line) {
    const match = ACTIVITY.exec(line);
    if (!match)
        return undefined;
    // `Compiling x v1 (/long/path)`: the path says nothing a person watching needs.
    return `${match[1]} ${match[2].replace(/\s+\((?:\/|[A-Za-z]:\\)[^)]*\)$/, '')}`;
}
/** `cargo package`, the command a person would recognize, without its `-p` list. Pure. */
function commandLabel(args) {
    return `cargo ${args[0] ?? ''}`.trim();
}
/** The line printed while a command runs. Pure. */
function progressLine(label, activity, elapsedMs) {
    const elapsed = formatElapsed(elapsedMs);
    return activity
        ? `${label}: ${elapsed} so far; cargo is on: ${activity}`
        : `${label}: ${elapsed} so far; cargo has not said what it is on yet`;
}
function formatElapsed(ms) {
    const s = Math.round(ms / 1000);
    return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
const realTimers = {
    setInterval: (fn, ms) => {
        const handle = setInterval(fn, ms);
        handle.unref();
        return handle;
    },
    clearInterval: handle => clearInterval(handle)
};
/** Passes each line to both listeners. */
function bothListeners(a, b) {
    if (!a)
        return b;
    if (!b)
        return a;
    return (line, from) => {
        a(line, from);
        b(line, from);
    };
}
function watchCargo(cargo, watch) {
    const timers = watch.timers ?? realTimers;
    const intervalMs = watch.intervalMs ?? PROGRESS_INTERVAL_MS;
    let openSection;
    // Sections of commands that ran beside the open one, written once it closes.
    const waiting = [];
    const flushWaiting = (write) => {
        for (const section of waiting.splice(0))
            for (const line of section)
                write(line);
    };
    return async (args, options = {}) => {
        const label = commandLabel(args);
        const start = watch.now();
        let activity;
        const run = {};
        const held = [];
        const title = `cargo ${args.join(' ')}`;
        if (watch.groups && openSection === undefined) {
            openSection = run;
            watch.groups.write(`::group::${title}`);
        }
        const onLine = (line) => {
            activity = cargoActivity(line) ?? activity;
            if (!watch.groups)
                return;
            if (openSection === run)
                watch.groups.write(line);
            else
                held.push(line);
        };
        const ticker = timers.setInterval(() => watch.progress(progressLine(label, activity, watch.now() - start)), intervalMs);
        try {
            return await cargo(args, { ...options, onLine: bothListeners(options.onLine, onLine) });
        }
        finally {
            timers.clearInterval(ticker);
            if (watch.groups) {
                const write = watch.groups.write.bind(watch.groups);
                if (openSection === run) {
                    write('::endgroup::');
                    openSection = undefined;
                    flushWaiting(write);
                }
                else {
                    waiting.push([`::group::${title}`, ...held, '::endgroup::']);
                    if (openSection === undefined)
                        flushWaiting(write);
                }
            }
        }
    };
}

const run$1 = promisify(execFile);
/** The real git on PATH. */
const runGit = async (args, { cwd, env }) => {
    const { stdout } = await run$1('git', args, {
        cwd,
        ...(env ? { env } : {}),
        maxBuffer: 256 * 1024 * 1024
    });
    return stdout;
};

/**
 * The full cargo log of a run, kept in the state dir (and so in the artifact): the failure report
 * shows cargo's error blocks, this file holds everything cargo printed, command by command.
 */
const CARGO_LOG = 'cargo.log';
class CargoLog {
    path;
    writes = Promise.resolve();
    count = 0;
    /** Applied to every line before it is written: secrets out, scratch paths to checkout paths. */
    rewrite = text => text;
    constructor(path) {
        this.path = path;
    }
    /** Starts a fresh log in `stateDir` (a rerun replaces the previous run's). */
    static async create(stateDir, header) {
        const log = new CargoLog(join(stateDir, CARGO_LOG));
        await writeFile(log.path, `${header}\n`);
        return log;
    }
    /** A runner that writes each command and its whole output here, one section per command. */
    wrap(cargo, now) {
        return async (args, options = {}) => {
            const id = ++this.count;
            const started = now();
            const lines = [];
            const header = `\n=== [${id}] ${new Date(started).toISOString()} cargo ${args.join(' ')}`;
            const onLine = (line, from) => void lines.push(from === 'stdout' ? `[${id}] | ${line}` : `[${id}]   ${line}`);
            let outcome = 'did not finish';
            try {
                const result = await cargo(args, {
                    ...options,
                    onLine: bothListeners(options.onLine, onLine)
                });
                outcome = `exit ${result.exitCode}`;
                return result;
            }
            catch (error) {
                outcome = `stopped: ${error instanceof Error ? error.message : String(error)}`;
                throw error;
            }
            finally {
                const footer = `=== [${id}] ${outcome} after ${((now() - started) / 1000).toFixed(1)}s`;
                this.append([header, ...lines, footer].join('\n'));
            }
        };
    }
    append(text) {
        const data = `${this.rewrite(text)}\n`;
        this.writes = this.writes.then(() => appendFile(this.path, data)).catch(() => undefined);
    }
    /** Resolves once everything logged so far is on disk. */
    flush() {
        return this.writes;
    }
}

/** One event variant: its `type` literal first, then its fields. */
function variant(type, shape) {
    return object({ type: literal(type), ...shape });
}
/** Each variant's field names in order (`type` first), keyed by its type. */
function fieldsOf(variants) {
    return Object.fromEntries(variants.map(schema => [schema.shape.type.value, Object.keys(schema.shape)]));
}

/**
 * This action's own record of what shipper has no event variant for, kept in a second JSONL file
 * beside events.jsonl (shipper's reader fails on any variant it does not know). Same line shape
 * as events.jsonl: `timestamp`, `event_type` (`type` first), `package`.
 */
const FACTS_FILE = 'rehearse-events.jsonl';
const FACT_VARIANTS = [
    /** A crate the rehearsal did not upload because the registry already had these exact bytes. */
    variant('rehearsal_package_skipped', {
        name: string(),
        version: string(),
        reason: string()
    }),
    /** `skip-rehearsal` in rehearse mode: nothing was rehearsed. */
    variant('rehearsal_bypassed', { reason: string() }),
    /** `skip-rehearsal` in publish mode: the gate was not evaluated. */
    variant('gate_bypassed', { plan_id: string(), reason: string() }),
    variant('gate_decision', { decision: _enum(['proceed', 'refuse']), reason: string() }),
    /**
     * How this run authenticates to the live registry. shipper's `auth_evidence_recorded` only
     * says which credentials the environment offered; this says which one was used.
     */
    variant('auth_selected', {
        method: _enum(['token', 'trusted_publishing', 'none']),
        source: _enum(['input', 'env', 'oidc', 'none']),
        detail: string().optional()
    })
];
const factTypeSchema = discriminatedUnion('type', FACT_VARIANTS);
const FACT_FIELDS = fieldsOf(FACT_VARIANTS);
function isFact(eventType) {
    return eventType.type in FACT_FIELDS;
}

/**
 * Credential-shaped text that must never reach an event, a receipt or an artifact, even when the
 * exact secret was not registered (a token minted by a server, an env dump in cargo's output).
 */
const PATTERNS = [
    // The whole rest of the header line: schemes vary (raw cargo token, Bearer, Basic).
    [/(authorization\s*:\s*)[^\r\n]*/gi, '$1***'],
    [/(\bbearer\s+)[^\s"',;]+/gi, '$1***'],
    // token=..., CARGO_REGISTRY_TOKEN=..., "token": "...", password: ..., api_key=...
    [/((?:token|password|passwd|secret|api[_-]?key)["']?\s*[=:]\s*)(["']?)[^\s"'&,;]+/gi, '$1$2***'],
    [/(--token[\s=]+)[^\s"']+/gi, '$1***'],
    // Credentials embedded in a URL: https://user:pass@host. The scheme is bounded so a long
    // run of letters (a base64 blob in cargo's output) cannot make the scan quadratic.
    [/(\b[a-z][a-z0-9+.-]{0,15}:\/\/)[^\s/@:]+:[^\s/@]+@/gi, '$1***@']
];
/** Replaces every known secret, and anything that looks like a credential, with `***`. */
function scrubSecrets(text, secrets = []) {
    // Longest first, so a secret that contains another is not left half-masked.
    const known = [...new Set(secrets.filter(s => s.length > 0))].sort((a, b) => b.length - a.length);
    let out = text;
    for (const secret of known)
        out = out.split(secret).join('***');
    for (const [pattern, replacement] of PATTERNS)
        out = out.replace(pattern, replacement);
    return out;
}
/** Scrubs every string inside a JSON-like value, keeping its shape and key order. */
function scrubDeep(value, secrets = []) {
    if (typeof value === 'string')
        return scrubSecrets(value, secrets);
    if (Array.isArray(value))
        return value.map(v => scrubDeep(v, secrets));
    if (value !== null && typeof value === 'object') {
        const out = {};
        for (const [k, v] of Object.entries(value))
            out[k] = scrubDeep(v, secrets);
        return out;
    }
    return value;
}

/**
 * shipper's `EventType` (crates/shipper-types/src/lib.rs at shipper commit 3202772): an
 * internally tagged enum (`tag = "type"`, snake_case) with no catch-all. shipper fails reading a
 * whole events.jsonl on one line it does not know, so this file lists exactly its 41 variants in
 * its shapes, and only these are ever written to events.jsonl.
 *
 * The shape's key order IS the on-disk field order (serde writes struct fields in declaration
 * order), so never reorder the keys below.
 */
const u64 = number().int().nonnegative();
const i32 = number().int();
/** chrono's `DateTime<Utc>`: RFC 3339; shipper writes nanoseconds, this action milliseconds. */
const dateTime = datetime({ offset: true });
const errorClassSchema = _enum(['retryable', 'permanent', 'ambiguous']);
const readinessMethodSchema = _enum(['api', 'index', 'both']);
const executionResultSchema = _enum(['success', 'partial_failure', 'complete_failure']);
const finishability = _enum(['proven', 'not_proven', 'failed']);
/** shipper's `AuthEvidence`: non-secret facts about the run's authentication context. */
const authEvidenceSchema = object({
    schema_version: string(),
    registry: string(),
    auth_mode: _enum([
        'cargo_token',
        'trusted_publishing_context',
        'cargo_token_with_oidc_context',
        'partial_oidc_context',
        'missing',
        'unknown'
    ]),
    token_detected: boolean(),
    oidc_request_url_present: boolean(),
    oidc_request_token_present: boolean()
});
const AUTH_EVIDENCE_SCHEMA = 'shipper.auth_evidence.v1';
/** shipper's `RegistryPolicyEvidence`; both authorities are `scheme://host:port` strings. */
const registryPolicyEvidenceSchema = object({
    posture: _enum(['public_default', 'private_opt_in', 'rehearsal_or_test']),
    allow_private: boolean(),
    allow_loopback: boolean(),
    credential_authority: string(),
    index_authority: string()
});
/** shipper's `ReconciliationOutcome`: internally tagged by `outcome`. */
const reconciliationOutcomeSchema = discriminatedUnion('outcome', [
    object({ outcome: literal('published'), attempts: u64, elapsed_ms: u64 }),
    object({ outcome: literal('not_published'), attempts: u64, elapsed_ms: u64 }),
    object({
        outcome: literal('still_unknown'),
        attempts: u64,
        elapsed_ms: u64,
        reason: string()
    })
]);
const nameVersion = { name: string(), version: string() };
const retryShape = {
    attempt: u64,
    max_attempts: u64,
    delay_ms: u64,
    next_attempt_at: dateTime,
    reason: errorClassSchema,
    message: string()
};
/** The 41 variants, in shipper's declaration order. */
const SHIPPER_VARIANTS = [
    variant('plan_created', { plan_id: string(), package_count: u64 }),
    variant('execution_started', {}),
    variant('execution_finished', { result: executionResultSchema }),
    variant('auth_evidence_recorded', { evidence: authEvidenceSchema }),
    variant('registry_policy_applied', { evidence: registryPolicyEvidenceSchema }),
    variant('package_started', nameVersion),
    variant('package_uploaded', {}),
    // shipper omits max_attempts when it is 0 and reads a missing one as 0.
    variant('package_attempted', { attempt: u64, command: string(), max_attempts: u64 }),
    variant('package_output', { stdout_tail: string(), stderr_tail: string() }),
    variant('package_published', { duration_ms: u64 }),
    variant('package_failed', { class: errorClassSchema, message: string() }),
    variant('package_skipped', { reason: string() }),
    variant('publish_waiting', { reason: string(), delay_ms: u64, until: dateTime }),
    variant('rate_limit_observed', {
        is_new_crate: boolean(),
        retry_after_ms: u64.nullable(),
        message: string()
    }),
    variant('publish_reconciling', { method: readinessMethodSchema }),
    variant('publish_reconciled', { outcome: reconciliationOutcomeSchema }),
    variant('state_event_drift_detected', {
        drift: object({ in_events_only: array(string()), in_state_only: array(string()) })
    }),
    variant('package_yanked', {
        crate_name: string(),
        version: string(),
        reason: string(),
        exit_code: i32
    }),
    variant('rehearsal_started', { registry: string(), plan_id: string(), package_count: u64 }),
    // shipper declares this duration_ms as u128, which serde cannot read back inside an
    // internally tagged enum; a plain JSON integer is what both sides can agree on.
    variant('rehearsal_package_published', { ...nameVersion, duration_ms: u64 }),
    variant('rehearsal_package_failed', {
        ...nameVersion,
        class: errorClassSchema,
        message: string()
    }),
    variant('rehearsal_complete', {
        passed: boolean(),
        registry: string(),
        plan_id: string(),
        summary: string()
    }),
    variant('rehearsal_smoke_check_started', { ...nameVersion, registry: string() }),
    variant('rehearsal_smoke_check_succeeded', { ...nameVersion, duration_ms: u64 }),
    variant('rehearsal_smoke_check_failed', { ...nameVersion, message: string() }),
    variant('retry_backoff_started', retryShape),
    variant('retry_scheduled', retryShape),
    variant('readiness_started', { method: readinessMethodSchema }),
    variant('readiness_poll', { attempt: u64, visible: boolean() }),
    variant('readiness_poll_scheduled', { attempt: u64, delay_ms: u64, next_poll_at: dateTime }),
    variant('readiness_complete', { duration_ms: u64, attempts: u64 }),
    variant('readiness_timeout', { max_wait_ms: u64 }),
    variant('readiness_error', { duration_ms: u64 }),
    variant('index_readiness_started', { crate_name: string(), version: string() }),
    variant('index_readiness_check', {
        crate_name: string(),
        version: string(),
        found: boolean()
    }),
    variant('index_readiness_complete', {
        crate_name: string(),
        version: string(),
        visible: boolean()
    }),
    variant('preflight_started', {}),
    variant('preflight_workspace_verify', { passed: boolean(), output: string() }),
    variant('preflight_new_crate_detected', { crate_name: string() }),
    variant('preflight_ownership_check', { crate_name: string(), verified: boolean() }),
    variant('preflight_complete', { finishability })
];
const shipperEventTypeSchema = discriminatedUnion('type', SHIPPER_VARIANTS);
/** `type` first, then each variant's fields in shipper's order. */
const SHIPPER_EVENT_FIELDS = fieldsOf(SHIPPER_VARIANTS);
/**
 * What shipper itself may write and this action must still read: a `package_attempted` without
 * `max_attempts`, a `rate_limit_observed` without `retry_after_ms` (serde reads a missing Option
 * as None).
 */
const READ_OVERRIDES = {
    package_attempted: variant('package_attempted', {
        attempt: u64,
        command: string(),
        max_attempts: u64.default(0)
    }),
    rate_limit_observed: variant('rate_limit_observed', {
        is_new_crate: boolean(),
        retry_after_ms: u64.nullable().default(null),
        message: string()
    })
};
/** The schema that reads variant `type` as shipper would, or undefined for a variant it lacks. */
function shipperReadSchema(type) {
    if (!(type in SHIPPER_EVENT_FIELDS))
        return undefined;
    return READ_OVERRIDES[type] ?? SHIPPER_VARIANTS.find(v => v.shape.type.value === type);
}

/** Receipts are a few KiB; a file this big is not one and is not worth parsing. */
const MAX_RECORD_BYTES = 1024 * 1024;
/** Reads a small JSON record; every problem becomes a value, only the absence is distinguished. */
async function readJsonFile(path, maxBytes = MAX_RECORD_BYTES) {
    let text;
    try {
        const info = await stat(path);
        if (info.size > maxBytes) {
            return {
                kind: 'invalid',
                problem: `oversized: ${info.size} bytes, more than the ${maxBytes}-byte limit`
            };
        }
        text = await readFile(path, 'utf8');
    }
    catch (error) {
        if (error.code === 'ENOENT')
            return { kind: 'missing' };
        return { kind: 'invalid', problem: `unreadable: ${error.message}` };
    }
    return parseJsonText(text);
}
function parseJsonText(text) {
    let value;
    try {
        value = JSON.parse(text);
    }
    catch (error) {
        return { kind: 'invalid', problem: `not valid JSON (${error.message})` };
    }
    const duplicate = duplicateKey(text);
    if (duplicate !== undefined) {
        return { kind: 'invalid', problem: `duplicate key ${JSON.stringify(duplicate)}` };
    }
    return { kind: 'ok', value };
}
/**
 * The first key that appears twice in one object of valid JSON text. JSON.parse keeps the last
 * value, so `"passed": false, "passed": true` would read as passed; a record must never be
 * ambiguous.
 */
function duplicateKey(text) {
    // One set of keys per open object; null for an open array.
    const open = [];
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === '{')
            open.push(new Set());
        else if (c === '[')
            open.push(null);
        else if (c === '}' || c === ']')
            open.pop();
        else if (c === '"') {
            let end = i + 1;
            while (text[end] !== '"')
                end += text[end] === '\\' ? 2 : 1;
            const keys = open[open.length - 1];
            let next = end + 1;
            while (/\s/.test(text[next] ?? ''))
                next++;
            if (keys && text[next] === ':') {
                const key = JSON.parse(text.slice(i, end + 1));
                if (keys.has(key))
                    return key;
                keys.add(key);
            }
            i = end;
        }
    }
    return undefined;
}
/** The first zod issue as one line naming the field. */
function describeIssue(issues) {
    const issue = issues[0];
    if (!issue)
        return 'does not match the schema';
    const where = issue.path.map(String).join('.');
    return where ? `field '${where}' is invalid: ${issue.message}` : issue.message;
}

/** `type` first, then the variant's fields in on-disk order, for both files. */
const EVENT_FIELDS = {
    ...SHIPPER_EVENT_FIELDS,
    ...FACT_FIELDS
};
const envelope = { timestamp: string(), package: string() };
/** One line of events.jsonl as read: shipper's envelope around one of its variants. */
object({
    timestamp: envelope.timestamp,
    event_type: shipperEventTypeSchema,
    package: envelope.package
});
/** One line of the facts file. */
const factSchema = object({
    timestamp: envelope.timestamp,
    event_type: factTypeSchema,
    package: envelope.package
});
/** shipper's event log file name, in the state dir. */
const EVENTS_FILE = 'events.jsonl';
/** The `package` value of run-level events. */
const ALL_PACKAGES = 'all';
/** `name@version`, the `package` value of package events. */
function packageKey(name, version) {
    return `${name}@${version}`;
}
/**
 * Validates an event against its file's schema and rebuilds it key by key in on-disk order; zod
 * also orders nested objects by their shape, so the caller's key order never reaches the file.
 */
function canonicalEventType(eventType) {
    const schema = isFact(eventType) ? factTypeSchema : shipperEventTypeSchema;
    const parsed = schema.parse(eventType);
    const out = {};
    for (const key of EVENT_FIELDS[eventType.type]) {
        if (parsed[key] !== undefined)
            out[key] = parsed[key];
    }
    return out;
}
/** One serialized line of events.jsonl (or of the facts file), `\n` included. */
function serializeEvent(timestamp, eventType, pkg, secrets = []) {
    const event = {
        timestamp,
        event_type: scrubDeep(canonicalEventType(eventType), secrets),
        package: pkg
    };
    return `${JSON.stringify(event)}\n`;
}
/** The facts file that goes with an events.jsonl: same directory. */
function factsPathFor(eventsPath) {
    return join(dirname(eventsPath), FACTS_FILE);
}
/**
 * The append-only record of a run: shipper's variants to events.jsonl, this action's facts to the
 * facts file beside it (created on the first fact). Every line is one write followed by an fsync.
 */
class EventLog {
    path;
    handle;
    clock;
    tail = Promise.resolve();
    closed = false;
    secrets = [];
    factsHandle;
    factsPath;
    constructor(path, handle, clock) {
        this.path = path;
        this.handle = handle;
        this.clock = clock;
        this.factsPath = factsPathFor(path);
    }
    static async open(path, clock = systemClock) {
        await mkdir(dirname(path), { recursive: true });
        const handle = await open(path, 'a');
        return new EventLog(path, handle, clock);
    }
    /** Masks `value` in every event appended from now on. */
    addSecret(value) {
        if (value)
            this.secrets.push(value);
    }
    /**
     * Appends one event. Appends run one after another in call order, so concurrent callers
     * never interleave bytes; a failed append rejects its own promise without blocking later ones.
     */
    append(eventType, pkg) {
        if (this.closed)
            return Promise.reject(new Error(`event log ${this.path} is closed`));
        let line;
        try {
            line = serializeEvent(new Date(this.clock.now()).toISOString(), eventType, pkg, this.secrets);
        }
        catch (error) {
            return Promise.reject(error);
        }
        const target = isFact(eventType) ? () => this.facts() : async () => this.handle;
        const written = this.tail.then(async () => writeLine(await target(), line));
        this.tail = written.catch(() => undefined);
        return written;
    }
    /** Waits for pending appends, then closes the files. Idempotent. */
    async close() {
        if (this.closed)
            return;
        this.closed = true;
        await this.tail;
        await this.handle.close();
        const facts = await this.factsHandle?.catch(() => undefined);
        await facts?.close();
    }
    facts() {
        this.factsHandle ??= open(this.factsPath, 'a');
        return this.factsHandle;
    }
}
async function writeLine(handle, line) {
    const bytes = Buffer.from(line, 'utf8');
    let offset = 0;
    // A regular file takes the whole buffer in one write; the loop only matters on a short
    // write (disk nearly full), which must not leave half a line behind silently.
    while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
    }
    await handle.sync();
}
/**
 * The largest event file read: a real run writes a few KiB per crate, so 64 MiB is thousands
 * of releases; beyond it the file is refused rather than read into one string.
 */
const MAX_EVENTS_BYTES = 64 * 1024 * 1024;
/**
 * Reads events.jsonl as leniently as shipper writes it: variants shipper may add later are
 * skipped, a `package_attempted` without `max_attempts` reads as 0, timestamps keep whatever
 * precision they have, and lines that are not valid events are reported by number instead of
 * failing the read.
 */
function readEvents(path, maxBytes = MAX_EVENTS_BYTES) {
    return readLines(path, type => {
        const schema = shipperReadSchema(type);
        return schema && object({ ...envelope, event_type: schema });
    }, maxBytes);
}
/** Reads the facts file the same way. */
function readFacts(path, maxBytes = MAX_EVENTS_BYTES) {
    return readLines(path, type => (type in FACT_FIELDS ? factSchema : undefined), maxBytes);
}
async function readLines(path, schemaFor, maxBytes) {
    let text;
    try {
        const size = (await stat(path)).size;
        if (size > maxBytes) {
            return { events: [], badLines: [], duplicateKeyLines: [], missing: false, oversized: size };
        }
        text = await readFile(path, 'utf8');
    }
    catch (error) {
        if (error.code === 'ENOENT') {
            return { events: [], badLines: [], duplicateKeyLines: [], missing: true };
        }
        throw error;
    }
    const events = [];
    const badLines = [];
    const duplicateKeyLines = [];
    text.split('\n').forEach((line, index) => {
        if (line.trim() === '')
            return;
        const parsed = parseLine(line, schemaFor);
        if (parsed.kind === 'event')
            events.push(parsed.value);
        else if (parsed.kind === 'bad')
            badLines.push(index + 1);
        else if (parsed.kind === 'duplicate')
            duplicateKeyLines.push(index + 1);
    });
    return { events, badLines, duplicateKeyLines, missing: false };
}
function parseLine(line, schemaFor) {
    let value;
    try {
        value = JSON.parse(line);
    }
    catch {
        return { kind: 'bad' };
    }
    if (duplicateKey(line) !== undefined)
        return { kind: 'duplicate' };
    const type = value?.event_type?.type;
    if (typeof type !== 'string')
        return { kind: 'bad' };
    const schema = schemaFor(type);
    if (!schema)
        return { kind: 'unknown' };
    const result = schema.safeParse(value);
    return result.success ? { kind: 'event', value: result.data } : { kind: 'bad' };
}
/** The last `rehearsal_complete` event, the one the gate compares a receipt against. */
function lastRehearsalComplete(events) {
    for (let i = events.length - 1; i >= 0; i--) {
        const eventType = events[i].event_type;
        if (eventType.type === 'rehearsal_complete')
            return eventType;
    }
    return null;
}

/**
 * One run's recording, the same in both modes: the state dir's event log and the secrets that it,
 * every message and the receipt are scrubbed of. Secrets learnt during the run (a minted token, a
 * kellnr login) are added as they appear; `mask` also tells the terminal or the runner.
 */
class RunRecorder {
    log;
    eventsPath;
    mask;
    known = [];
    constructor(log, eventsPath, mask) {
        this.log = log;
        this.eventsPath = eventsPath;
        this.mask = mask;
    }
    static async open(stateDir, clock, secrets, mask = () => undefined) {
        const eventsPath = join(stateDir, EVENTS_FILE);
        const recorder = new RunRecorder(await EventLog.open(eventsPath, clock), eventsPath, mask);
        for (const secret of secrets)
            recorder.addSecret(secret);
        return recorder;
    }
    addSecret(value) {
        if (!value || this.known.includes(value))
            return;
        this.known.push(value);
        this.log.addSecret(value);
        this.mask(value);
    }
    /** Every secret of the run so far, for the receipt writers. */
    get secrets() {
        return this.known;
    }
    scrub(text) {
        return scrubSecrets(text, this.known);
    }
    emit(event, pkg = ALL_PACKAGES) {
        return this.log.append(event, pkg);
    }
    /** Runs `body` with the log open and closes it whatever happens. */
    async during(body) {
        try {
            return await body(this);
        }
        finally {
            await this.log.close();
        }
    }
}

/** `1.5s`, `30s`: how long something took or may take, for messages. */
function formatSeconds(ms) {
    return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}
/** `1 crate`, `3 crates`. */
function count(n, noun) {
    return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
/** A clock reading as the records write times. */
function isoTime(ms) {
    return new Date(ms).toISOString();
}

/** The status of a crate nothing has happened to yet. */
function pendingStatus(crate) {
    return {
        name: crate.name,
        version: crate.version,
        level: crate.level,
        status: 'pending',
        durationMs: 0
    };
}
/** The status as RunResult reports it: the failure is told once, as the run's own. */
function reported({ failure: _failure, ...status }) {
    return { ...status, durationMs: Math.round(status.durationMs) };
}

/**
 * Uploads a run's record files from the state dir (those that exist, relative to it) as artifact
 * `name`; rehearse and publish both hand their record over this way. The front door hands the
 * store in; without one (not inside an Actions job) the record stays in the state dir, said once.
 * A refused upload is returned, not logged: what it means depends on the mode (a rehearsal's proof
 * that never left the job proves nothing; a publish's crates are out either way).
 */
async function uploadRecord(store, record, logger) {
    const { name, stateDir } = record;
    if (!store) {
        logger.warning(`artifact: the Actions artifact service is not available (not inside a GitHub Actions job); the record stays in ${stateDir}`);
        return { kind: 'none' };
    }
    const files = record.files.map(f => join(stateDir, f)).filter(f => existsSync(f));
    if (files.length === 0)
        return { kind: 'none' };
    try {
        const uploaded = await store.upload(name, files, stateDir, record.retentionDays !== undefined ? { retentionDays: record.retentionDays } : {});
        if (uploaded.id !== undefined)
            return { kind: 'uploaded', id: uploaded.id };
        return { kind: 'failed', cause: 'the artifact service stored nothing' };
    }
    catch (error) {
        return { kind: 'failed', cause: error instanceof Error ? error.message : String(error) };
    }
}

/**
 * Writes `text` so that readers see either the old file or the complete new one, never a torn
 * file: write `<path>.tmp` in the same directory (rename is only atomic within a filesystem),
 * fsync it, rename it over `path`, then fsync the directory so the rename survives a crash.
 */
async function writeTextAtomic(path, text) {
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.tmp`;
    const handle = await open(tmp, 'w');
    try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
    }
    catch (error) {
        await handle.close();
        await rm(tmp, { force: true });
        throw error;
    }
    await handle.close();
    try {
        await rename(tmp, path);
    }
    catch (error) {
        await rm(tmp, { force: true });
        throw error;
    }
    await syncDirectory(dir);
}
/** Pretty JSON (2 spaces, trailing newline), written atomically; key order is the value's own. */
async function writeJsonAtomic(path, value) {
    await writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
async function syncDirectory(dir) {
    // Some platforms (Windows) and filesystems refuse to open or fsync a directory; the rename
    // itself already happened, so durability of the directory entry is best effort there.
    try {
        const handle = await open(dir, 'r');
        try {
            await handle.sync();
        }
        finally {
            await handle.close();
        }
    }
    catch {
        return;
    }
}

const RECEIPT_SCHEMA = 'shipper-rehearse.receipt.v1';
/**
 * Not `receipt.json`: that is shipper's publish receipt, which its `inspect-receipt`, yank and
 * remediation commands read in their own shape.
 */
const RECEIPT_FILE = 'publish-record.json';
const hex64$1 = string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const rfc3339$1 = datetime({ offset: true });
const publishResultSchema = _enum([
    'success',
    'partial_failure',
    'complete_failure',
    'dry_run',
    'refused'
]);
const packageStateSchema = _enum(['published', 'skipped', 'failed', 'pending', 'dry_run']);
const publishedPackageSchema = object({
    name: string(),
    version: string(),
    state: packageStateSchema,
    attempts: number().int().nonnegative(),
    duration_ms: number().int().nonnegative(),
    error: object({ class: _enum(['retryable', 'permanent', 'ambiguous']), message: string() })
        .optional()
});
/** Key order of this shape is the key order on disk. */
const publishReceiptSchema = object({
    schema_version: literal(RECEIPT_SCHEMA),
    plan_id: hex64$1,
    /** Live target registry name. */
    registry: string().min(1),
    /** Null when the run stopped before the sources were digested. */
    content_digest: hex64$1.nullable(),
    started_at: rfc3339$1,
    completed_at: rfc3339$1,
    result: publishResultSchema,
    packages: array(publishedPackageSchema),
    gate: object({
        decision: _enum(['proceed', 'refuse']),
        reason: string(),
        bypassed: boolean()
    }),
    /** Whether cargo's verification build ran before the uploads, and why (`verify` input). */
    verification: object({ mode: _enum(['auto', 'always']), built: boolean(), reason: string() })
        .optional(),
    tool: object({ name: string(), version: string() })
});
function receiptPath(stateDir) {
    return join(stateDir, RECEIPT_FILE);
}
/**
 * Validates and writes `<stateDir>/publish-record.json` atomically; error messages and the gate's
 * reason are scrubbed of `secrets` and credential-shaped text. Returns the path.
 */
async function writeReceipt(stateDir, receipt, secrets = []) {
    const scrubbed = {
        ...receipt,
        packages: receipt.packages.map(pkg => pkg.error
            ? { ...pkg, error: { ...pkg.error, message: scrubSecrets(pkg.error.message, secrets) } }
            : pkg),
        gate: { ...receipt.gate, reason: scrubSecrets(receipt.gate.reason, secrets) }
    };
    // zod rebuilds objects in shape order, which fixes the key order on disk.
    const valid = publishReceiptSchema.parse(scrubbed);
    const path = receiptPath(stateDir);
    await writeJsonAtomic(path, valid);
    return path;
}

const REHEARSAL_SCHEMA = 'shipper.rehearsal.v1';
const REHEARSAL_FILE = 'rehearsal.json';
const hex64 = string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const rfc3339 = datetime({ offset: true });
/** The nine fields shipper requires, in the order it writes them. */
const REHEARSAL_REQUIRED_FIELDS = [
    'schema_version',
    'plan_id',
    'registry',
    'passed',
    'packages_attempted',
    'packages_published',
    'summary',
    'started_at',
    'completed_at'
];
const rehearsedPackageSchema = object({
    name: string(),
    version: string(),
    /** SHA-256 of the .crate uploaded to the rehearsal registry; null when packaging never ran. */
    cksum: hex64.nullable(),
    /** Per-crate content digest (the one `bind: content` compares). */
    digest: hex64,
    /** `published`, `failed`, `skipped` or `not_attempted`, as the rehearsal reports it. */
    status: string().min(1),
    duration_ms: number().int().nonnegative()
});
/** Fields this action adds after the nine; shipper ignores them. Written in this order. */
const extraShape = {
    /**
     * `name@version` in this action's publish order, which may differ from the order plan_id
     * hashes (shipper's: normal and build dependencies only).
     */
    publish_order: array(string()).optional(),
    content_digest: hex64.optional(),
    packages: array(rehearsedPackageSchema).optional(),
    commit: string().optional(),
    tool: object({ name: string(), version: string() }).optional(),
    registry_url: string().optional(),
    /** The live registry the plan_id was computed for. */
    target: looseObject({ name: string(), api_base: string() }).optional(),
    /** `cargo -V` and `rustc -vV` of the rehearsal; a content-bound gate compares them. */
    toolchain: object({ cargo: string(), rustc: string() }).optional(),
    /** sha256 and length of events.jsonl as it was when this receipt was written. */
    events_sha256: hex64.optional(),
    events_bytes: number().int().nonnegative().optional()
};
const rehearsalReceiptSchema = looseObject({
    schema_version: literal(REHEARSAL_SCHEMA),
    plan_id: hex64,
    registry: string().min(1),
    passed: boolean(),
    packages_attempted: number().int().nonnegative(),
    packages_published: number().int().nonnegative(),
    summary: string(),
    started_at: rfc3339,
    completed_at: rfc3339,
    ...extraShape
});
function rehearsalPath(stateDir) {
    return join(stateDir, REHEARSAL_FILE);
}
/** shipper's wording for a passed rehearsal. */
function rehearsalSummaryPassed(n, registry) {
    return `rehearsed ${n} packages against '${registry}' successfully`;
}
/** shipper's wording for a failed rehearsal; `firstFailure` should be a single line. */
function rehearsalSummaryFailed(k, n, firstFailure) {
    return `rehearsal stopped at ${k}/${n}: ${firstFailure}`;
}
/** The nine shipper fields first in shipper's order, then ours, then anything else as given. */
function ordered(receipt) {
    const out = {};
    const source = receipt;
    for (const key of [...REHEARSAL_REQUIRED_FIELDS, ...Object.keys(extraShape)]) {
        if (source[key] !== undefined)
            out[key] = source[key];
    }
    for (const [key, value] of Object.entries(source)) {
        if (!(key in out) && value !== undefined)
            out[key] = value;
    }
    return out;
}
/** Validates and writes `<stateDir>/rehearsal.json` atomically; returns its path. */
async function writeRehearsal(stateDir, receipt, secrets = []) {
    const valid = rehearsalReceiptSchema.parse(scrubDeep(receipt, secrets));
    const path = rehearsalPath(stateDir);
    await writeJsonAtomic(path, ordered(valid));
    return path;
}
/**
 * Removes any previous receipt (and a leftover temp file) before a rehearsal starts, so an
 * aborted run can never leave an older passing receipt behind.
 */
async function removeRehearsal(stateDir) {
    const path = rehearsalPath(stateDir);
    await rm(path, { force: true });
    await rm(`${path}.tmp`, { force: true });
}
async function readRehearsal(stateDir) {
    const file = await readJsonFile(rehearsalPath(stateDir));
    return file.kind === 'ok' ? validateRehearsal(file.value) : file;
}
/** The problem names what is wrong, the way the gate will quote it. */
function validateRehearsal(value) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return { kind: 'invalid', problem: 'not a JSON object' };
    }
    const fields = value;
    if ('schema_version' in fields && fields.schema_version !== REHEARSAL_SCHEMA) {
        return {
            kind: 'invalid',
            problem: `foreign schema: schema_version is ${JSON.stringify(fields.schema_version)}, expected '${REHEARSAL_SCHEMA}'`
        };
    }
    const missing = REHEARSAL_REQUIRED_FIELDS.filter(key => !(key in fields));
    if (missing.length > 0) {
        const names = missing.map(key => `'${key}'`).join(', ');
        return {
            kind: 'invalid',
            problem: `missing required field${missing.length > 1 ? 's' : ''} ${names}`
        };
    }
    const result = rehearsalReceiptSchema.safeParse(value);
    if (!result.success)
        return { kind: 'invalid', problem: describeIssue(result.error.issues) };
    return { kind: 'ok', receipt: result.data };
}

/** A crate's status as the run ends, without what only the executor needs. */
function statusOfRun({ crate: _crate, uploaded: _uploaded, ...status }) {
    return status;
}
const STATE = {
    published: 'published',
    skipped: 'skipped',
    failed: 'failed',
    pending: 'pending',
    'dry-run': 'dry_run'
};
/**
 * The overall result shipper's `execution_finished` uses: anything of the plan in the registry
 * (uploaded now or before) makes a failure partial.
 */
function executionResult(records, failed) {
    if (!failed)
        return 'success';
    return records.some(r => r.status === 'published' || r.status === 'skipped')
        ? 'partial_failure'
        : 'complete_failure';
}
function buildReceipt$1(input) {
    return {
        schema_version: RECEIPT_SCHEMA,
        plan_id: input.plan.planId,
        registry: input.plan.registry,
        content_digest: input.digest?.digest ?? null,
        started_at: input.startedAt,
        completed_at: input.completedAt,
        result: input.result,
        packages: input.records.map(r => ({
            name: r.name,
            version: r.version,
            state: STATE[r.status],
            attempts: r.attempts ?? 0,
            duration_ms: Math.max(0, Math.round(r.durationMs)),
            ...(r.failure ? { error: { class: r.failure.class, message: r.failure.message } } : {})
        })),
        gate: input.gate,
        ...(input.verification ? { verification: input.verification } : {}),
        tool: { name: TOOL.name, version: TOOL.version }
    };
}

/**
 * Writes publish-record.json, uploads the `<artifact-name>-publish` artifact when crates may
 * have gone out, and says what happened.
 */
async function concludePublish(run, outcome) {
    const { options, ctx, report, recorder, startedAt } = run;
    const { decision, plan, digest, stateDir, target } = report;
    const completedAt = isoTime(ctx.clock.now());
    const receiptPath = await writeReceipt(stateDir, buildReceipt$1({
        plan,
        digest,
        startedAt,
        completedAt,
        result: outcome.result,
        records: outcome.records,
        gate: decision.decision === 'refuse'
            ? {
                decision: 'refuse',
                reason: `${decision.message} (${decision.hint})`,
                bypassed: false
            }
            : { decision: 'proceed', reason: decision.message, bypassed: decision.bypassed },
        ...(outcome.verification ? { verification: outcome.verification } : {})
    }), recorder.secrets);
    // A refusal uploads nothing; a dry run leaves no record that could be mistaken for a release.
    const upload = outcome.result === 'refused' || outcome.result === 'dry_run'
        ? undefined
        : await uploadRecord(report.artifacts, {
            name: `${options.artifactName}-publish`,
            stateDir,
            files: [REHEARSAL_FILE, EVENTS_FILE, FACTS_FILE, RECEIPT_FILE, CARGO_LOG],
            ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {})
        }, ctx.logger);
    // The crates are out either way: a record that could not be uploaded is a warning.
    if (upload?.kind === 'failed') {
        ctx.logger.warning(`artifact: uploading ${options.artifactName}-publish failed: ${upload.cause}`);
    }
    const artifactId = upload?.kind === 'uploaded' ? upload.id : undefined;
    const published = outcome.runs
        .filter(r => r.uploaded)
        .map(r => ({ name: r.crate.name, version: r.crate.version }));
    if (outcome.outcome === 'published' && published.length === 0)
        ctx.progress(`already published, nothing uploaded: every planned version is on '${target.name}'`);
    return {
        mode: 'publish',
        outcome: outcome.outcome,
        plan,
        digest,
        packages: outcome.records.map(reported),
        published,
        stateDir,
        receiptPath,
        eventsPath: recorder.eventsPath,
        ...(outcome.failure ? { failure: outcome.failure } : {}),
        cargoLog: run.cargoLogPath,
        registry: { name: target.name, url: plan.apiBase, embedded: false },
        gate: decision.decision === 'refuse'
            ? { decision: 'refuse', bypassed: false, message: decision.message }
            : { decision: 'proceed', bypassed: decision.bypassed, message: decision.message },
        ...(artifactId !== undefined ? { artifactId } : {}),
        startedAt,
        completedAt
    };
}

const run = promisify(execFile);
/**
 * The toolchain cargo uses in the workspace: run there, so a `rust-toolchain.toml` (rustup) or
 * `RUSTC` selects it as it does for cargo.
 */
async function currentToolchain(workspaceRoot, cargo, env) {
    const cargoVersion = await cargo(['-V'], { cwd: workspaceRoot, env });
    const merged = mergeEnv(env);
    const rustc = merged.RUSTC?.trim() || 'rustc';
    const rustcVersion = await run(rustc, ['-vV'], { cwd: workspaceRoot, env: merged }).then(r => r.stdout, (error) => `unavailable: ${error.message.split('\n')[0]}`);
    return { cargo: cargoVersion.stdout.trim(), rustc: rustcVersion.trim() };
}
/** What differs between the rehearsal's toolchain and this one, in one line; undefined if none. */
function toolchainDifference(rehearsed, current) {
    if (rehearsed.cargo !== current.cargo) {
        return `the rehearsal ran ${rehearsed.cargo || '(unknown cargo)'}, this run has ${current.cargo || '(unknown cargo)'}`;
    }
    const before = rehearsed.rustc.split('\n');
    const now = current.rustc.split('\n');
    for (let i = 0; i < Math.max(before.length, now.length); i++) {
        if (before[i] !== now[i]) {
            return `rustc -vV differs: the rehearsal had "${before[i] ?? ''}", this run has "${now[i] ?? ''}"`;
        }
    }
    return undefined;
}

/**
 * The sparse-index client every module uses to read a cargo registry's index: kellnr's, crates.io's
 * or the embedded registry's. It never serves stale data (no conditional requests, no cache), and
 * tells "crate unknown" (null) apart from "registry unhealthy" (IndexError).
 */
/** Path of a crate's index file below the index root: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd`. */
function indexFilePath(name) {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
        throw new Error(`not a crate name: ${JSON.stringify(name)}`);
    }
    const n = name.toLowerCase();
    if (n.length === 1)
        return `1/${n}`;
    if (n.length === 2)
        return `2/${n}`;
    if (n.length === 3)
        return `3/${n[0]}/${n}`;
    return `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`;
}
/** What a dependency says alike in an index line and in cargo's publish metadata. */
const dependencyFields = {
    features: array(string()).default([]),
    optional: boolean().default(false),
    default_features: boolean().default(true),
    target: string().nullable().optional(),
    kind: string().nullable().optional(),
    /** Index URL of the dependency's registry; absent = the registry it is listed in. */
    registry: string().nullable().optional()
};
const indexDepSchema = looseObject({
    name: string(),
    req: string(),
    ...dependencyFields,
    package: string().nullable().optional()
});
const indexEntrySchema = looseObject({
    name: string(),
    vers: string(),
    deps: array(indexDepSchema).default([]),
    cksum: string(),
    features: record(string(), array(string())).default({}),
    features2: record(string(), array(string())).optional(),
    yanked: boolean().default(false),
    links: string().nullable().optional(),
    rust_version: string().nullable().optional(),
    v: number().optional(),
    pubtime: string().optional()
});
const registryConfigSchema = looseObject({
    dl: string(),
    api: string().optional(),
    'auth-required': boolean().optional()
});
/** A registry answered something other than a usable index response. `status` 0 = no HTTP answer. */
class IndexError extends Error {
    url;
    status;
    constructor(url, status, message, options) {
        super(message, options);
        this.name = 'IndexError';
        this.url = url;
        this.status = status;
    }
}
/** `sparse+http://h/api/v1/crates` or `http://h/api/v1/crates/` → `http://h/api/v1/crates/`. */
function indexBaseUrl(indexUrl) {
    const bare = indexUrl.trim().replace(/^sparse\+/, '');
    return bare.endsWith('/') ? bare : `${bare}/`;
}
/**
 * Parses an index file: one JSON object per line. A malformed line is skipped (registries append,
 * and one bad line must not hide the others), but a body with no parseable line at all is not an
 * index file.
 */
function parseIndexFile(text) {
    const lines = text.split('\n').filter(l => l.trim() !== '');
    const entries = [];
    for (const line of lines) {
        let json;
        try {
            json = JSON.parse(line);
        }
        catch {
            continue;
        }
        const parsed = indexEntrySchema.safeParse(json);
        if (parsed.success)
            entries.push(parsed.data);
    }
    if (lines.length > 0 && entries.length === 0)
        return null;
    return entries;
}
function looksLikeHtml(text) {
    return /^\s*</.test(text);
}
async function get(url, opts) {
    const doFetch = opts.fetch ?? fetch;
    const headers = { 'cache-control': 'no-cache' };
    if (opts.token)
        headers.authorization = opts.token;
    try {
        return await doFetch(url, { headers, signal: opts.signal });
    }
    catch (error) {
        if (opts.signal?.aborted)
            throw error;
        const reason = error instanceof Error ? (error.cause ?? error).toString() : String(error);
        throw new IndexError(url, 0, `GET ${url} failed: ${reason}`, { cause: error });
    }
}
/** The body of a 200 answer; any other status is an IndexError that quotes the start of the body. */
async function okText(url, res) {
    const text = await res.text();
    if (res.status !== 200) {
        throw new IndexError(url, res.status, `GET ${url} answered ${res.status}: ${text.slice(0, 200)}`);
    }
    return text;
}
/** The crate's index entries; null when the registry says it does not know the crate. */
async function fetchIndexEntries(indexUrl, name, opts = {}) {
    const url = indexBaseUrl(indexUrl) + indexFilePath(name);
    const res = await get(url, opts);
    if (res.status === 404 || res.status === 410 || res.status === 451) {
        // Not awaited: cancelling a body that is a branch of a tee waits for the other branch.
        res.body?.cancel().catch(() => undefined);
        return null;
    }
    const text = await okText(url, res);
    const entries = looksLikeHtml(text) ? null : parseIndexFile(text);
    if (entries === null) {
        throw new IndexError(url, res.status, `GET ${url} answered 200 with something that is not a sparse index file: ${text.slice(0, 120)}`);
    }
    const wanted = name.toLowerCase();
    return entries.filter(e => e.name.toLowerCase() === wanted);
}
/** The registry's config.json; a 200 that is not one (a web UI page, say) is an error. */
async function fetchRegistryConfig(indexUrl, opts = {}) {
    const url = `${indexBaseUrl(indexUrl)}config.json`;
    const text = await okText(url, await get(url, opts));
    let json;
    try {
        json = JSON.parse(text);
    }
    catch {
        json = undefined;
    }
    const parsed = registryConfigSchema.safeParse(json);
    if (!parsed.success) {
        throw new IndexError(url, 200, `${url} is not a cargo registry: config.json is not a registry configuration (${text.slice(0, 120)})`);
    }
    return parsed.data;
}
/**
 * Polls the index until `name@version` is listed, or the timeout passes on the injected clock.
 * The first poll is immediate (a registry that indexes before answering the upload needs no wait),
 * then the pause doubles from firstDelayMs to maxDelayMs; the last poll happens at the deadline.
 * Fetch errors are treated as "not visible yet".
 */
async function waitForVersion(indexUrl, name, version, opts) {
    const { clock, timeoutMs } = opts;
    const maxDelay = opts.maxDelayMs ?? 2000;
    let delay = Math.min(opts.firstDelayMs ?? 100, maxDelay);
    const start = clock.now();
    let attempts = 0;
    for (;;) {
        attempts += 1;
        const entries = await fetchIndexEntries(indexUrl, name, {
            token: opts.token,
            fetch: opts.fetch
        }).catch(() => null);
        const entry = entries?.find(e => e.vers === version);
        if (entry && opts.cksum !== undefined && entry.cksum !== opts.cksum) {
            opts.onPoll?.(attempts, false);
            return {
                visible: false,
                attempts,
                durationMs: clock.now() - start,
                entry,
                cksumMismatch: true
            };
        }
        opts.onPoll?.(attempts, entry !== undefined);
        if (entry)
            return { visible: true, attempts, durationMs: clock.now() - start, entry };
        const elapsed = clock.now() - start;
        if (elapsed >= timeoutMs)
            return { visible: false, attempts, durationMs: elapsed };
        await (opts.pause ?? clock.sleep)(Math.min(delay, timeoutMs - elapsed));
        delay = Math.min(delay * 2, maxDelay);
    }
}

/**
 * A registry host that does not resolve. Retrying it for a minute helps nobody: without a network
 * or with a mistyped host, every retry fails the same way, so callers fail at once, naming the
 * host. Pure.
 */
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
/** The host name a fetch failed to resolve, found anywhere in the error's cause chain. */
function unresolvedHost(error) {
    for (let e = error, depth = 0; e && depth < 5; depth++) {
        const err = e;
        if (typeof err.code === 'string' && DNS_CODES.has(err.code)) {
            return typeof err.hostname === 'string' ? err.hostname : 'the registry host';
        }
        e = err.cause;
    }
    return undefined;
}
/** The failure of a run stopped by a host that does not resolve; nothing was sent anywhere. */
function unresolvedFailure(host, registry) {
    return {
        class: 'retryable',
        message: `cannot resolve ${host}, the host of '${registry}' (DNS): nothing was uploaded`,
        hint: `check the network (is this machine offline?) and the registry URL; rerun once ${host} resolves`
    };
}

/**
 * The API base that enters the plan_id: `https://crates.io` for crates.io, else the `api` field
 * of the target registry's index config.json (trailing slash removed).
 */
async function resolveApiBase(targetRegistry, targetRegistryUrl, deps) {
    const url = targetRegistryUrl.trim();
    if (url === '') {
        if (targetRegistry === CRATES_IO.name)
            return CRATES_IO.api;
        const envName = registryEnvVar(targetRegistry, 'INDEX');
        const fromEnv = (deps.env ?? process.env)[envName]?.trim();
        if (!fromEnv) {
            throw new UserError(`no index URL is known for target registry '${targetRegistry}'`, `set target-registry-url to its base or sparse+ index URL (or set ${envName})`, 2);
        }
        if (!fromEnv.startsWith('sparse+')) {
            throw new UserError(`${envName} is not a sparse index URL: ${fromEnv}`, 'only sparse registries are supported; set target-registry-url to a sparse+ index URL', 2);
        }
        return readApi(fromEnv, deps.fetch);
    }
    return readApi(url, deps.fetch);
}
async function readApi(urlOrIndex, fetchFn) {
    const indexUrl = indexUrlFor(urlOrIndex);
    const hint = 'check target-registry-url: it must be a registry base URL or a sparse+ index URL';
    let api;
    try {
        const config = await fetchRegistryConfig(indexUrl, {
            fetch: fetchFn,
            signal: AbortSignal.timeout(30_000)
        });
        api = config.api;
    }
    catch (error) {
        const host = unresolvedHost(error);
        const reason = host
            ? `cannot resolve ${host} (DNS; is this machine offline?)`
            : error instanceof Error
                ? error.message
                : String(error);
        throw new UserError(`could not read ${configJsonUrlFor(indexUrl)}: ${reason}`, hint, 1);
    }
    if (!api) {
        throw new UserError(`${configJsonUrlFor(indexUrl)} has no "api" field, so the registry accepts no publishes`, hint, 1);
    }
    return api.replace(/\/+$/, '');
}

/**
 * Reading cargo's output for a person: the error blocks (rustc's `error[E…]` with its `-->`
 * location, cargo's `error:` with its `Caused by:` chain) rather than the last lines, which after
 * a failed build are mostly "could not compile" and packaging chatter. Pure.
 */
const ERROR_START = /^error(?:\[[A-Z]*\d+\])?:/;
/** Lines that end a block: another diagnostic, cargo's status lines, rustc's closing remarks. */
const BLOCK_END = /^(?:error|warning)(?:\[[A-Z]*\d+\])?:|^\s{0,12}[A-Z][a-z]+(?:ed|ing) [^\s]+ v\d|^\s{0,12}(?:Finished|Updating|Locking|Blocking|Waiting|Running)\b|^For more information about (?:this|an) error|^Some errors have detailed explanations/;
/** At most this many lines of error blocks are kept; the first blocks carry the cause. */
const MAX_EVIDENCE_LINES = 80;
/** Every `error…:` block of cargo's output, each with the lines that belong to it, in order. */
function errorBlocks(output) {
    const lines = output.split(/\r?\n/);
    const blocks = [];
    for (let i = 0; i < lines.length; i++) {
        if (!ERROR_START.test(lines[i]))
            continue;
        let end = i + 1;
        while (end < lines.length && !BLOCK_END.test(lines[end]))
            end++;
        const block = lines.slice(i, end);
        while (block.length > 1 && block.at(-1).trim() === '')
            block.pop();
        blocks.push(block.join('\n'));
        i = end - 1;
    }
    return blocks;
}
/**
 * What to show and keep of a failed cargo command: its error blocks (cut to a bounded size, the
 * first ones kept), or its last lines when it printed no error block (killed, or a plain panic).
 */
function cargoEvidence(output, fallbackLines = 40) {
    const blocks = errorBlocks(output);
    if (blocks.length === 0) {
        return output.replace(/\s+$/, '').split('\n').slice(-fallbackLines).join('\n');
    }
    const lines = blocks.join('\n\n').split('\n');
    if (lines.length <= MAX_EVIDENCE_LINES)
        return lines.join('\n');
    const dropped = lines.length - MAX_EVIDENCE_LINES;
    return [...lines.slice(0, MAX_EVIDENCE_LINES), `… (${dropped} more lines in the cargo log)`].join('\n');
}
/**
 * cargo's first error as one line, with where it is: rustc's `-->` location, or for a manifest
 * cargo could not parse, `path:line:column` and what TOML said there.
 */
function firstCargoError(output) {
    const block = errorBlocks(output)[0];
    if (block === undefined)
        return undefined;
    const lines = block.split('\n');
    const head = lines[0].replace(/^error(?:\[([A-Z]*\d+)\])?:\s*/, (_, code) => code ? `${code}: ` : '');
    const location = lines.map(l => /^\s*-->\s+(\S+)/.exec(l)?.[1]).find(Boolean);
    if (location)
        return `${head} (${location})`;
    const manifest = /failed to parse manifest at `([^`]+)`/.exec(block);
    const toml = block.match(/TOML parse error at line (\d+), column (\d+)/);
    if (manifest && toml) {
        const said = lines
            .slice(lines.findIndex(l => l.includes('TOML parse error')) + 1)
            .map(l => l.trim())
            .filter(l => l !== '' && !/^\d*\s*\|/.test(l));
        return `${manifest[1]}:${toml[1]}:${toml[2]}: ${said[0] ?? 'invalid TOML'}`;
    }
    const caused = lines.findIndex(l => l.trim() === 'Caused by:');
    const cause = caused === -1 ? undefined : lines.slice(caused + 1).find(l => l.trim() !== '');
    return cause ? `${head}: ${cause.trim()}` : head;
}
/**
 * Text about a scratch copy, told in the user's terms: every path below `copy` becomes the same
 * path below `checkout`, so a message names the file the user can open.
 */
function inCheckout(text, copy, checkout) {
    if (!copy)
        return text;
    return text.split(copy).join(checkout);
}
/**
 * rustc names files relative to where it ran: the workspace root in a workspace build, but the
 * packaged copy of the crate in `cargo package`'s verification build. A relative location that is
 * not a file below `root` but is one below `crateDir` is rewritten relative to `root`, so the
 * message points at the file in the checkout (`g-app/src/lib.rs:3:12`, not `src/lib.rs:3:12`).
 */
function anchorLocation(message, crateDir, root, isFile) {
    return message.replace(/\(([^()\s/][^()\s]*):(\d+):(\d+)\)$/, (whole, file, l, c) => {
        if (isFile(join(root, file)) || !isFile(join(crateDir, file)))
            return whole;
        return `(${relative(root, join(crateDir, file)).split(sep).join('/')}:${l}:${c})`;
    });
}

/**
 * cargo's first error as one line, with its location when it gave one (see firstCargoError);
 * else the first line it printed.
 */
function cargoErrorLine(stderr) {
    return (firstCargoError(stderr) ??
        stderr
            .split(/\r?\n/)
            .find(line => line.trim() !== '')
            ?.trim() ??
        'cargo failed');
}

/** The part of `cargo metadata --format-version 1 --no-deps` the plan reads. */
const dependencySchema = object({
    name: string(),
    rename: string().nullish(),
    req: string(),
    kind: _enum(['dev', 'build']).nullish(),
    optional: boolean().default(false),
    target: string().nullish(),
    /** null for crates.io, else the registry's index URL. */
    registry: string().nullish(),
    /** Absolute directory of a path dependency. */
    path: string().nullish()
});
const targetSchema = object({
    kind: array(string()),
    name: string()
});
const packageSchema = object({
    name: string(),
    version: string(),
    id: string(),
    manifest_path: string(),
    /** null = publishable anywhere, [] = `publish = false`, else the allowed registry names. */
    publish: array(string()).nullish(),
    dependencies: array(dependencySchema),
    targets: array(targetSchema),
    readme: string().nullish(),
    license_file: string().nullish(),
    description: string().nullish(),
    license: string().nullish(),
    keywords: array(string()).nullish(),
    categories: array(string()).nullish()
});
const metadataSchema = object({
    packages: array(packageSchema),
    workspace_members: array(string()),
    workspace_root: string()
});
/** Validates already-parsed `cargo metadata` JSON. */
function parseMetadata(json) {
    const parsed = metadataSchema.safeParse(json);
    if (!parsed.success) {
        throw new Error(`unexpected cargo metadata output: ${prettifyError(parsed.error)}`);
    }
    return parsed.data;
}
/**
 * Runs `cargo metadata --no-deps` for a manifest. cargo runs from the manifest's folder so the
 * workspace's own `.cargo/config.toml` applies, as it would for the user.
 */
async function loadMetadata(manifestPath, cargo = runCargo, env) {
    const manifest = resolve(manifestPath);
    const result = await cargo(['metadata', '--format-version', '1', '--no-deps', '--manifest-path', manifest], 
    // A missing folder would fail the spawn itself; let cargo report the missing manifest instead.
    { cwd: existsSync(dirname(manifest)) ? dirname(manifest) : undefined, env });
    if (result.exitCode !== 0) {
        throw new UserError(`cargo metadata failed for ${manifest}: ${cargoErrorLine(result.stderr)}`, 'set manifest-path to the Cargo.toml of the workspace (or package) to release, and check that `cargo metadata --no-deps` succeeds there', 2);
    }
    let json;
    try {
        json = JSON.parse(result.stdout);
    }
    catch {
        throw new Error(`cargo metadata printed something that is not JSON: ${result.stdout.slice(0, 200)}`);
    }
    return parseMetadata(json);
}

/**
 * Cargo's version requirement matching (the rules of the `semver` crate cargo uses), enough to
 * tell whether a registry already holds a version a dependency requirement accepts.
 */
const NUMBER = /^(0|[1-9]\d*)$/;
const IDENT = /^[0-9A-Za-z-]+$/;
function parseVersion(text) {
    const match = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(text.trim());
    if (!match)
        return undefined;
    const [, major, minor, patch, pre] = match;
    if (![major, minor, patch].every(n => NUMBER.test(n ?? '')))
        return undefined;
    const preIds = parsePre(pre);
    if (preIds === undefined)
        return undefined;
    return { major: Number(major), minor: Number(minor), patch: Number(patch), pre: preIds };
}
/** True when `version` satisfies the cargo requirement `req` (e.g. `^1.2`, `>=1, <2`, `1.*`). */
function matchesReq(req, version) {
    const v = parseVersion(version);
    if (!v)
        return false;
    const comparators = parseReq(req);
    if (!comparators.every(c => matchesComparator(c, v)))
        return false;
    if (v.pre.length === 0)
        return true;
    // A pre-release only matches when some comparator names the same x.y.z with a pre-release.
    return comparators.some(c => c.major === v.major && c.minor === v.minor && c.patch === v.patch && c.pre.length > 0);
}
/** Parses a requirement; throws on text cargo would reject. */
function parseReq(req) {
    const text = req.trim();
    if (text === '*')
        return [];
    if (text === '')
        throw new Error(`invalid version requirement '${req}'`);
    const comparators = text.split(',').map(part => parseComparator(part, req));
    // cargo accepts a bare wildcard only as the whole requirement.
    if (comparators.length > 1 && comparators.some(c => c.op === '*')) {
        throw new Error(`invalid version requirement '${req}'`);
    }
    return comparators;
}
function parseComparator(part, req) {
    const invalid = () => new Error(`invalid version requirement '${req}'`);
    const match = /^\s*(=|>=|<=|>|<|~|\^)?\s*([^\s]+)\s*$/.exec(part);
    if (!match)
        throw invalid();
    const explicitOp = match[1];
    const [core, ...buildParts] = (match[2] ?? '').split('+');
    if (buildParts.length > 1 || core === undefined)
        throw invalid();
    const dash = core.indexOf('-');
    const numbers = (dash === -1 ? core : core.slice(0, dash)).split('.');
    const pre = parsePre(dash === -1 ? undefined : core.slice(dash + 1));
    if (pre === undefined || numbers.length > 3)
        throw invalid();
    const parts = [];
    let wildcard = false;
    for (const n of numbers) {
        if (n === '*' || n === 'x' || n === 'X') {
            wildcard = true;
            parts.push(undefined);
        }
        else if (NUMBER.test(n) && !wildcard) {
            parts.push(Number(n));
        }
        else {
            throw invalid();
        }
    }
    const [major, minor, patch] = parts;
    if (wildcard && pre.length > 0)
        throw invalid();
    if (major === undefined) {
        if (explicitOp !== undefined)
            throw invalid();
        return { op: '*', major: 0, minor: undefined, patch: undefined, pre: [] };
    }
    if (pre.length > 0 && patch === undefined)
        throw invalid();
    const op = explicitOp ?? (wildcard ? '=' : '^');
    return { op, major, minor, patch, pre };
}
function parsePre(pre) {
    if (pre === undefined)
        return [];
    const ids = pre.split('.');
    if (ids.some(id => !IDENT.test(id) || (/^\d+$/.test(id) && !NUMBER.test(id))))
        return undefined;
    return ids;
}
function matchesComparator(c, v) {
    switch (c.op) {
        case '*':
            return true;
        case '=':
            return matchesExact(c, v);
        case '>':
            return matchesGreater(c, v);
        case '>=':
            return matchesExact(c, v) || matchesGreater(c, v);
        case '<':
            return matchesLess(c, v);
        case '<=':
            return matchesExact(c, v) || matchesLess(c, v);
        case '~':
            return matchesTilde(c, v);
        case '^':
            return matchesCaret(c, v);
    }
}
function matchesExact(c, v) {
    if (v.major !== c.major)
        return false;
    if (c.minor !== undefined && v.minor !== c.minor)
        return false;
    if (c.patch !== undefined && v.patch !== c.patch)
        return false;
    return comparePre(v.pre, c.pre) === 0;
}
function matchesGreater(c, v) {
    if (v.major !== c.major)
        return v.major > c.major;
    if (c.minor === undefined)
        return false;
    if (v.minor !== c.minor)
        return v.minor > c.minor;
    if (c.patch === undefined)
        return false;
    if (v.patch !== c.patch)
        return v.patch > c.patch;
    return comparePre(v.pre, c.pre) > 0;
}
function matchesLess(c, v) {
    if (v.major !== c.major)
        return v.major < c.major;
    if (c.minor === undefined)
        return false;
    if (v.minor !== c.minor)
        return v.minor < c.minor;
    if (c.patch === undefined)
        return false;
    if (v.patch !== c.patch)
        return v.patch < c.patch;
    return comparePre(v.pre, c.pre) < 0;
}
function matchesTilde(c, v) {
    if (v.major !== c.major)
        return false;
    if (c.minor !== undefined && v.minor !== c.minor)
        return false;
    if (c.patch !== undefined && v.patch !== c.patch)
        return v.patch > c.patch;
    return comparePre(v.pre, c.pre) >= 0;
}
function matchesCaret(c, v) {
    if (v.major !== c.major)
        return false;
    if (c.minor === undefined)
        return true;
    if (c.patch === undefined)
        return c.major > 0 ? v.minor >= c.minor : v.minor === c.minor;
    if (c.major > 0) {
        if (v.minor !== c.minor)
            return v.minor > c.minor;
        if (v.patch !== c.patch)
            return v.patch > c.patch;
    }
    else if (c.minor > 0) {
        if (v.minor !== c.minor)
            return false;
        if (v.patch !== c.patch)
            return v.patch > c.patch;
    }
    else if (v.minor !== c.minor || v.patch !== c.patch) {
        return false;
    }
    return comparePre(v.pre, c.pre) >= 0;
}
/** SemVer precedence of pre-release lists; a release (empty list) ranks above any pre-release. */
function comparePre(a, b) {
    if (a.length === 0 || b.length === 0)
        return b.length - a.length;
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const x = a[i];
        const y = b[i];
        if (x === y)
            continue;
        const xNum = /^\d+$/.test(x);
        const yNum = /^\d+$/.test(y);
        if (xNum && yNum)
            return x.length !== y.length ? x.length - y.length : x < y ? -1 : 1;
        if (xNum !== yNum)
            return xNum ? -1 : 1;
        return x < y ? -1 : 1;
    }
    return a.length - b.length;
}
/** The version as crates.io compares it for duplicates: build metadata does not count. */
function withoutBuild(version) {
    const plus = version.indexOf('+');
    return plus === -1 ? version : version.slice(0, plus);
}
function isSemver(version) {
    return parseVersion(version) !== undefined;
}
/** SemVer precedence (build metadata ignored); an unparsable version sorts first. */
function compareVersions(a, b) {
    const va = parseVersion(a);
    const vb = parseVersion(b);
    if (!va || !vb)
        return va ? 1 : vb ? -1 : 0;
    return (Math.sign(va.major - vb.major) ||
        Math.sign(va.minor - vb.minor) ||
        Math.sign(va.patch - vb.patch) ||
        Math.sign(comparePre(va.pre, vb.pre)));
}

/** Target kinds another crate can link against; a cdylib or staticlib alone is not one. */
const LIB_KINDS = new Set(['lib', 'rlib', 'dylib', 'proc-macro']);
/** Orders by UTF-16 code units (crate names are ASCII, so byte-wise), never by locale. */
function byteCompare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
/**
 * The publish plan of a workspace (docs/formats.md "The plan"), from `cargo metadata --no-deps`.
 *
 * Only dependencies that reach a workspace member through `path` are edges. A path dependency on
 * a crate outside the workspace (an excluded folder, a sibling checkout) is not an edge: cargo
 * publishes it as a registry dependency by its version requirement, exactly like an external
 * crate, so it must already be on the registry; a member named without `path` is the same.
 *
 * A versioned dev-dependency on a member that is not published to the target registry cannot
 * order the plan either: it is listed in `droppedDevEdges`, like one that closes a cycle, since
 * both must resolve from versions the live registry already has.
 */
function buildPlan(metadata, request) {
    const memberIds = new Set(metadata.workspace_members);
    const members = metadata.packages
        .filter(p => memberIds.has(p.id))
        .sort((a, b) => byteCompare(a.name, b.name));
    const byName = new Map(members.map(m => [m.name, m]));
    const skipReasons = new Map();
    for (const m of members) {
        const reason = skipReason(m, request.targetRegistry);
        if (reason !== undefined)
            skipReasons.set(m.name, reason);
    }
    const edges = memberEdges(members);
    const component = stronglyConnected(members.map(m => m.name), name => edges.filter(e => e.from === name).map(e => e.to));
    const closesCycle = (e) => e.kind === 'soft' && component.get(e.from) === component.get(e.to);
    const ordering = edges.filter(e => !closesCycle(e));
    const roots = selectRoots(request, members, skipReasons);
    const { inPlan, unorderable } = closeSelection(roots, ordering, skipReasons);
    checkVersionedPathDeps(inPlan, ordering, byName);
    const dropped = [...unorderable, ...edges.filter(e => closesCycle(e) && inPlan.has(e.from))]
        .map(({ from, to, req }) => ({ from, to, req }))
        .sort((a, b) => byteCompare(a.from, b.from) || byteCompare(a.to, b.to));
    const depsOf = new Map();
    for (const name of inPlan) {
        const deps = ordering.filter(e => e.from === name && inPlan.has(e.to)).map(e => e.to);
        depsOf.set(name, [...new Set(deps)].sort(byteCompare));
    }
    const order = kahnOrder([...inPlan], depsOf);
    // shipper's order hashes the plan_id: hard edges only. They are a subset of the ordering
    // edges, so this cannot meet a cycle the line above did not.
    const hardDepsOf = new Map();
    for (const name of inPlan) {
        const deps = edges.filter(e => e.kind === 'hard' && e.from === name && inPlan.has(e.to));
        hardDepsOf.set(name, [...new Set(deps.map(e => e.to))].sort(byteCompare));
    }
    const shipperOrder = kahnOrder([...inPlan], hardDepsOf);
    const devOnlySelection = devOnlySelected(request, roots, inPlan, edges);
    const levelOf = new Map();
    const packages = order.map(name => {
        const pkg = byName.get(name);
        const dependencies = depsOf.get(name) ?? [];
        const level = Math.max(-1, ...dependencies.map(d => levelOf.get(d) ?? 0)) + 1;
        levelOf.set(name, level);
        return {
            name,
            version: pkg.version,
            level,
            manifestPath: pkg.manifest_path,
            dependencies,
            bins: pkg.targets.filter(t => t.kind.includes('bin')).map(t => t.name),
            hasLib: pkg.targets.some(t => t.kind.some(k => LIB_KINDS.has(k)))
        };
    });
    const levels = [];
    for (const p of packages)
        (levels[p.level] ??= []).push(p.name);
    const skipped = members
        .filter(m => skipReasons.has(m.name))
        .map(m => ({ name: m.name, version: m.version, reason: skipReasons.get(m.name) }));
    return {
        registry: request.targetRegistry,
        workspaceRoot: metadata.workspace_root,
        shipperOrder,
        devOnlySelection,
        packages,
        levels,
        skipped,
        droppedDevEdges: dropped
    };
}
function skipReason(pkg, targetRegistry) {
    if (pkg.publish === null || pkg.publish === undefined)
        return undefined;
    if (pkg.publish.length === 0)
        return 'publish = false';
    if (pkg.publish.includes(targetRegistry))
        return undefined;
    return `publish = ${JSON.stringify(pkg.publish)} does not include '${targetRegistry}'`;
}
function manifestDir(manifestPath) {
    return manifestPath.replace(/[\\/][^\\/]*$/, '');
}
function memberEdges(members) {
    const byDir = new Map(members.map(m => [manifestDir(m.manifest_path), m]));
    const edges = new Map();
    for (const m of members) {
        for (const dep of m.dependencies) {
            if (!dep.path)
                continue;
            const target = byDir.get(dep.path.replace(/[\\/]+$/, ''));
            if (!target || target.name !== dep.name)
                continue;
            const key = `${m.name}\n${target.name}`;
            if (dep.kind === 'dev') {
                // cargo strips a path-only dev-dependency on publish, and a crate's tests may use itself.
                if (dep.req === '*' || target.name === m.name || edges.has(key))
                    continue;
                edges.set(key, { from: m.name, to: target.name, kind: 'soft', req: dep.req });
            }
            else {
                edges.set(key, { from: m.name, to: target.name, kind: 'hard', req: dep.req });
            }
        }
    }
    return [...edges.values()];
}
function selectRoots(request, members, skipReasons) {
    const publishable = members.map(m => m.name).filter(n => !skipReasons.has(n));
    if (request.packages.length === 0)
        return publishable;
    const known = new Set(members.map(m => m.name));
    for (const name of request.packages) {
        if (!known.has(name)) {
            throw new UserError(`package '${name}' is not a member of this workspace`, `valid names: ${publishable.join(', ') || '(none)'}`, 2);
        }
        const reason = skipReasons.get(name);
        if (reason !== undefined) {
            throw new UserError(`package '${name}' cannot be published to '${request.targetRegistry}' (${reason})`, `select publishable crates only: ${publishable.join(', ') || '(none)'}`, 2);
        }
    }
    return [...new Set(request.packages)];
}
/** The selection closed over ordering edges; soft edges to unpublished members are set aside. */
function closeSelection(roots, ordering, skipReasons) {
    const inPlan = new Set();
    const unorderable = [];
    const queue = [...roots];
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        if (inPlan.has(name))
            continue;
        inPlan.add(name);
        for (const edge of ordering.filter(e => e.from === name)) {
            const reason = skipReasons.get(edge.to);
            if (reason === undefined) {
                queue.push(edge.to);
            }
            else if (edge.kind === 'soft') {
                unorderable.push(edge);
            }
            else {
                throw new UserError(`${name} depends on ${edge.to}, which is not published (${reason})`, `make ${edge.to} publishable too, or remove the dependency of ${name} on it`, 2);
            }
        }
    }
    return { inPlan, unorderable };
}
/** Planned crates a selection reaches through soft edges only, where shipper's closure stops. */
function devOnlySelected(request, roots, inPlan, edges) {
    if (request.packages.length === 0)
        return [];
    const byHard = new Set();
    const queue = [...roots];
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        if (byHard.has(name))
            continue;
        byHard.add(name);
        for (const e of edges)
            if (e.kind === 'hard' && e.from === name)
                queue.push(e.to);
    }
    return [...inPlan]
        .filter(name => !byHard.has(name))
        .sort(byteCompare)
        .map(name => ({
        name,
        dependents: [
            ...new Set(edges
                .filter(e => e.kind === 'soft' && e.to === name && inPlan.has(e.from))
                .map(e => e.from))
        ].sort(byteCompare)
    }));
}
/**
 * cargo refuses to package a crate whose normal or build dependency on a sibling has only a path
 * (`req` is then `*`), or a version requirement the sibling's version does not meet. Caught here, before any crate is packaged, so the crate that needs the fix
 * is the one blamed, and the fix names both crates and the manifest to edit.
 */
function checkVersionedPathDeps(inPlan, ordering, byName) {
    for (const edge of ordering) {
        if (edge.kind !== 'hard' || !inPlan.has(edge.from))
            continue;
        const from = byName.get(edge.from);
        const to = byName.get(edge.to);
        if (edge.req !== '*') {
            if (satisfies(edge.req, to.version))
                continue;
            throw new UserError(`${edge.from} requires ${edge.to} ${edge.req}, but the workspace's ${edge.to} is ${to.version}, so cargo cannot package ${edge.from}`, `in ${from.manifest_path}, make the ${edge.to} requirement match ${to.version} (or bump ${edge.to})`, 2);
        }
        throw new UserError(`${edge.from} depends on ${edge.to} by path without a version requirement, so cargo cannot publish ${edge.from}`, `in ${from.manifest_path}, give the ${edge.to} dependency a version beside its path, e.g. \`${edge.to} = { path = "…", version = "${to.version}" }\``, 2);
    }
}
/** A requirement this module cannot read is cargo's to judge: it is not refused here. */
function satisfies(req, version) {
    try {
        return matchesReq(req, version);
    }
    catch {
        return true;
    }
}
/** Kahn's algorithm taking the byte-wise smallest ready crate first. */
function kahnOrder(names, depsOf) {
    const waitingOn = new Map(names.map(n => [n, (depsOf.get(n) ?? []).length]));
    const dependents = new Map();
    for (const n of names) {
        for (const d of depsOf.get(n) ?? [])
            dependents.set(d, [...(dependents.get(d) ?? []), n]);
    }
    const ready = names.filter(n => waitingOn.get(n) === 0);
    const order = [];
    while (ready.length > 0) {
        ready.sort(byteCompare);
        const next = ready.shift();
        order.push(next);
        for (const d of dependents.get(next) ?? []) {
            const left = (waitingOn.get(d) ?? 0) - 1;
            waitingOn.set(d, left);
            if (left === 0)
                ready.push(d);
        }
    }
    if (order.length < names.length)
        throw cycleError(names, order, depsOf);
    return order;
}
function cycleError(names, order, depsOf) {
    const placed = new Set(order);
    const left = names.filter(n => !placed.has(n)).sort(byteCompare);
    const component = stronglyConnected(left, n => (depsOf.get(n) ?? []).filter(d => !placed.has(d)));
    const sizes = new Map();
    for (const c of component.values())
        sizes.set(c, (sizes.get(c) ?? 0) + 1);
    // Crates merely waiting behind a cycle are not part of it.
    const inCycle = left.filter(n => (sizes.get(component.get(n)) ?? 0) > 1 || (depsOf.get(n) ?? []).includes(n));
    return new UserError(`dependency cycle between workspace crates: ${inCycle.join(', ')}`, 'cargo cannot publish crates that depend on each other through normal or build dependencies; break the cycle (a dev-dependency without a version is fine)', 2);
}
/** Tarjan's algorithm: maps every node to the index of its strongly connected component. */
function stronglyConnected(nodes, next) {
    const index = new Map();
    const low = new Map();
    const onStack = new Set();
    const stack = [];
    const component = new Map();
    let counter = 0;
    let components = 0;
    const known = new Set(nodes);
    const visit = (v) => {
        index.set(v, counter);
        low.set(v, counter);
        counter++;
        stack.push(v);
        onStack.add(v);
        for (const w of next(v)) {
            if (!known.has(w))
                continue;
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v), low.get(w)));
            }
            else if (onStack.has(w)) {
                low.set(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v) === index.get(v)) {
            let w;
            do {
                w = stack.pop();
                onStack.delete(w);
                component.set(w, components);
            } while (w !== v);
            components++;
        }
    };
    for (const n of nodes)
        if (!index.has(n))
            visit(n);
    return component;
}

/**
 * shipper's plan_id: SHA-256 (lowercase hex) of the live registry's API base, a newline, then
 * `name@version` and a newline for each planned crate, in the order given (shipper's order:
 * see planIdOf).
 */
function computePlanId(apiBase, crates) {
    const text = `${apiBase}\n${crates.map(c => `${c.name}@${c.version}\n`).join('')}`;
    return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * What a publish from this checkout would see: inside git, the tracked files plus the untracked
 * ones that are not ignored (cargo packages those too); outside git, or when git ignores the whole
 * workspace, everything except `.git` and cargo target dirs.
 */
async function listWorkspaceFiles(root, git = runGit) {
    try {
        const stdout = await git(['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root });
        const files = stdout.split('\0').filter(f => f !== '');
        // A workspace git ignores (a generated or vendored tree) is still the one being released.
        if (files.includes('Cargo.toml'))
            return { files: [...new Set(files)], via: 'git' };
    }
    catch {
        // not inside a git work tree, or no git at all
    }
    return { files: walk(root, ''), via: 'walk' };
}
function walk(root, rel) {
    const out = [];
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
            if (entry.name === '.git' || isTargetDir(root, child))
                continue;
            out.push(...walk(root, child));
        }
        else {
            out.push(child);
        }
    }
    return out;
}
/** cargo tags its target dirs with CACHEDIR.TAG; a root `target/` is one even before a build. */
function isTargetDir(root, rel) {
    if (rel === 'target')
        return true;
    return rel.endsWith('/target') && existsSync(join(root, rel, 'CACHEDIR.TAG'));
}
/** Copies the listed files, keeping symlinks as links; submodule entries copy as whole trees. */
function copyWorkspace$1(root, dest, files) {
    let copied = 0;
    for (const file of files) {
        const from = join(root, file);
        let stat;
        try {
            stat = lstatSync(from);
        }
        catch {
            continue; // tracked but deleted in the working tree: a publish would not see it either
        }
        if (stat.isDirectory()) {
            copied += copyWorkspace$1(from, join(dest, file), walk(from, ''));
            continue;
        }
        const to = join(dest, file);
        mkdirSync(dirname(to), { recursive: true });
        if (stat.isSymbolicLink())
            symlinkSync(readlinkSync(from), to);
        else
            copyFileSync(from, to);
        copied++;
    }
    return copied;
}
/**
 * A copy of the checkout that cargo packages exactly as it packages the checkout: the same files,
 * modes and, inside git, the same view of git. The copy is a git repository whose HEAD is the
 * checkout's commit (objects borrowed through `alternates`, nothing written to the checkout's
 * repository) and whose index is that commit's tree, so cargo lists tracked plus untracked,
 * not-ignored files as in the checkout, sees the same dirty files, and records the same commit
 * and `path_in_vcs` in `.cargo_vcs_info.json`. The state dir is never copied.
 */
async function copyCheckout(root, dest, request = {}) {
    const runner = request.git ?? runGit;
    const listed = await listWorkspaceFiles(root, runner);
    const outsideState = (rel) => !isInside(request.stateDir, join(root, rel));
    const files = new Set(listed.files.filter(outsideState));
    for (const path of request.alsoCopy ?? []) {
        const rel = relative(root, path);
        if (rel && !rel.startsWith('..') && !isAbsolute(rel) && outsideState(rel)) {
            files.add(rel.split(sep).join('/'));
        }
    }
    if (listed.via === 'walk') {
        return { workspaceRoot: dest, copied: copyWorkspace$1(root, dest, [...files]), via: 'walk' };
    }
    // GIT_DIR and friends (set inside git hooks) would point every command at the checkout's repo.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^GIT_(DIR|WORK_TREE|INDEX_FILE|COMMON_DIR)$/.test(k)));
    const git = (cwd, ...args) => runner(args, { cwd, env }).then(stdout => stdout.trim());
    const top = await git(root, 'rev-parse', '--show-toplevel');
    const prefix = relative(top, root);
    const workspaceRoot = prefix ? join(dest, prefix) : dest;
    const copied = copyWorkspace$1(root, workspaceRoot, [...files]) + copyRepoConfigs(top, prefix, dest);
    const commonDir = resolve(root, await git(root, 'rev-parse', '--git-common-dir'));
    await git(dest, 'init', '-q');
    writeFileSync(join(dest, '.git', 'objects', 'info', 'alternates'), `${join(commonDir, 'objects')}\n`);
    for (const name of ['shallow', join('info', 'exclude')]) {
        if (existsSync(join(commonDir, name)))
            copyFileSync(join(commonDir, name), join(dest, '.git', name));
    }
    const head = await git(root, 'rev-parse', '--verify', '-q', 'HEAD').catch(() => '');
    // Without a commit yet, every file is untracked in both, which cargo lists alike.
    if (head) {
        await git(dest, 'update-ref', 'HEAD', head);
        await git(dest, 'read-tree', 'HEAD');
    }
    return { workspaceRoot, copied, via: 'git' };
}
/**
 * cargo reads `.cargo/config.toml` from every folder above the workspace too: those between the
 * repository's root and the workspace (a workspace in a subfolder of a monorepo) belong to the
 * checkout, so the copy holds them at the same place.
 */
function copyRepoConfigs(top, prefix, dest) {
    let copied = 0;
    const parts = prefix ? prefix.split(sep) : [];
    for (let depth = 0; depth < parts.length; depth++) {
        const rel = join(...parts.slice(0, depth), '.cargo');
        for (const name of ['config.toml', 'config']) {
            const from = join(top, rel, name);
            if (!existsSync(from) || !lstatSync(from).isFile())
                continue;
            mkdirSync(join(dest, rel), { recursive: true });
            copyFileSync(from, join(dest, rel, name));
            copied++;
        }
    }
    return copied;
}
function isInside(dir, path) {
    if (dir === undefined)
        return false;
    const rel = relative(resolve(dir), path);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, keeping results in item order.
 * Items never started (after a stop or a throw) are `undefined` in the result. A throw stops new
 * starts like `stopWhen` does and is rethrown once every started call has settled, so no work is
 * left running behind the caller's back.
 */
async function mapLimit(items, limit, fn, options = {}) {
    const results = new Array(items.length).fill(undefined);
    let next = 0;
    let stopped = false;
    let thrown;
    const worker = async () => {
        while (!stopped && next < items.length) {
            const index = next++;
            try {
                const result = await fn(items[index], index);
                results[index] = result;
                if (options.stopWhen?.(result))
                    stopped = true;
            }
            catch (error) {
                stopped = true;
                thrown ??= { error };
            }
        }
    };
    const workers = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
    await Promise.all(Array.from({ length: workers }, worker));
    if (thrown)
        throw thrown.error;
    return results;
}

/** Stands for what a member manifest inherits from the root manifest; no packaged file has it. */
const WORKSPACE_ENTRY = '<workspace>';
/** Stands for what steers dependency resolution: root `[patch]`/`[replace]`, config `[patch]`/`[source]`. */
const RESOLUTION_ENTRY = '<resolution>';
/** Files cargo writes into a `.crate` itself; they have no source in the checkout. */
const GENERATED_FILES = new Set([
    '.cargo_vcs_info.json',
    'Cargo.toml',
    'Cargo.toml.orig',
    'Cargo.lock'
]);
const DEPENDENCY_TABLES = [
    'dependencies',
    'dev-dependencies',
    'dev_dependencies',
    'build-dependencies',
    'build_dependencies'
];
/**
 * A digest of exactly what `cargo package` would put in each planned crate, in plan order.
 *
 * - The generated `Cargo.toml` is not hashed: the original manifest (`Cargo.toml.orig`) stands
 *   for it, plus a `<workspace>` entry holding the canonical JSON of the root manifest's values
 *   the crate inherits (`x.workspace = true` in `[package]`, dependency tables and `[lints]`). So
 *   editing an inherited value changes the digest of the crates inheriting it, and a comment in a
 *   virtual root manifest changes nothing.
 * - `Cargo.lock`, which cargo 1.95 packages with every crate, is the workspace lock file as it is
 *   on disk; with none, the lock cargo resolves now (resolveLock), which the copies cargo
 *   packages in then hold.
 * - A `<resolution>` entry holds what steers resolution besides the manifests (resolutionInputs).
 * - A readme or license file outside the crate folder is hashed from where it lives. Every other
 *   listed file must be readable: one that is not fails the digest rather than going unbound.
 * - An executable file's entry carries its mode, as cargo's tar header does.
 * - Files in the state dir are left out: they are never packaged (the copies cargo packages from
 *   do not hold them).
 *
 * The lists come from `cargo package --list --exclude-lockfile`: with an existing Cargo.lock, a
 * plain `--list` re-resolves the workspace (reaching the registry when the lock is stale) and
 * rewrites the lock file; with `--exclude-lockfile` it resolves nothing. One cargo lists every
 * planned crate (packagedFileLists); a crate whose list cannot be told apart is listed alone.
 */
async function computeContentDigest(plan, deps = {}) {
    const cargo = deps.cargo ?? runCargo;
    const rootManifestPath = join(plan.workspaceRoot, 'Cargo.toml');
    const rootManifest = readToml$1(await readFile(rootManifestPath, 'utf8'), rootManifestPath);
    const workspace = asTable(rootManifest.workspace);
    const resolution = await resolutionInputs(rootManifest, plan.workspaceRoot, deps.env ?? {});
    const lockPath = join(plan.workspaceRoot, 'Cargo.lock');
    const present = await isFile$1(lockPath);
    const lockText = present
        ? await readFile(lockPath, 'utf8')
        : await resolveLock(plan.workspaceRoot, cargo, deps);
    const lock = sha256(lockText);
    const sources = await Promise.all(plan.packages.map(crate => crateSources(crate, plan.workspaceRoot, workspace)));
    const listed = await packagedFileLists(sources, plan.workspaceRoot, cargo, deps.env);
    const lists = await mapLimit(sources, 4, async (crate, i) => {
        const kept = listed[i].filter(path => !inStateDir(crate.crate, path, deps.stateDir));
        const entries = await crateEntries(crate, kept, workspace);
        // A lock git ignores is still the one cargo packages: its source makes the copies hold it.
        entries.push({ path: 'Cargo.lock', sha256: lock, ...(present ? { source: lockPath } : {}) });
        if (resolution !== undefined) {
            entries.push({ path: RESOLUTION_ENTRY, sha256: sha256(canonicalJson(resolution)) });
        }
        return entries;
    });
    const entries = {};
    const perCrate = {};
    plan.packages.forEach((c, i) => {
        entries[c.name] = lists[i];
        perCrate[c.name] = crateDigest(c, lists[i]);
    });
    const overall = plan.packages.map(c => `${c.name}\t${perCrate[c.name]}\n`).join('');
    return {
        digest: sha256(overall),
        perCrate,
        entries,
        lockFile: present,
        lockSha256: lock,
        ...(present ? {} : { resolvedLock: lockText })
    };
}
/**
 * The files one crate's digest is made of, as they are on disk (the lock and the resolution
 * entries aside): what a `.crate` of it must hold.
 */
async function packagedEntries(crate, workspaceRoot, deps = {}) {
    const rootManifestPath = join(workspaceRoot, 'Cargo.toml');
    const workspace = asTable(readToml$1(await readFile(rootManifestPath, 'utf8'), rootManifestPath).workspace);
    const listed = await packagedFileList(crate, workspaceRoot, deps.cargo ?? runCargo, deps.env);
    const kept = listed.filter(path => !inStateDir(crate, path, deps.stateDir));
    return crateEntries(await crateSources(crate, workspaceRoot, workspace), kept, workspace);
}
/**
 * The lock cargo would package for a workspace that commits none: resolved now, in a throwaway
 * copy (the checkout is never written). Packaging then uses exactly this lock (`--locked`), so a
 * release made upstream between the rehearsal and the publish changes the digest instead of
 * what ships.
 */
async function resolveLock(workspaceRoot, cargo, deps) {
    const scratch = await mkdtemp(join(tmpdir(), 'shipper-lock-'));
    try {
        const copy = await copyCheckout(workspaceRoot, join(scratch, 'ws'), {
            ...(deps.stateDir !== undefined ? { stateDir: deps.stateDir } : {}),
            ...(deps.git ? { git: deps.git } : {})
        });
        const manifest = join(copy.workspaceRoot, 'Cargo.toml');
        const result = await cargo(['generate-lockfile', '--manifest-path', manifest], {
            cwd: copy.workspaceRoot,
            env: { ...deps.env, CARGO_TARGET_DIR: join(scratch, 'target') }
        });
        if (result.exitCode !== 0) {
            throw new UserError(`the workspace has no Cargo.lock and cargo could not resolve one: ${cargoErrorLine(result.stderr)}`, `commit a Cargo.lock (run \`cargo generate-lockfile\` in ${workspaceRoot}), or fix what cargo reports`, 2);
        }
        return await readFile(join(copy.workspaceRoot, 'Cargo.lock'), 'utf8');
    }
    finally {
        await rm(scratch, { recursive: true, force: true });
    }
}
/**
 * sha256 over `name@version\n` then `path\tsha256\n` per entry (`path\tsha256\t755\n` for an
 * executable file), entries sorted by path.
 */
function crateDigest(crate, entries) {
    const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const lines = sorted
        .map(e => `${e.path}\t${e.sha256}${e.mode === '755' ? '\t755' : ''}\n`)
        .join('');
    return sha256(`${crate.name}@${crate.version}\n${lines}`);
}
/** Whether a path cargo lists for a crate lies in the state dir. */
function inStateDir(crate, listed, stateDir) {
    if (stateDir === undefined)
        return false;
    const rel = relative(resolve(stateDir), join(dirname(crate.manifestPath), listed));
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
/**
 * What decides how dependencies resolve beyond the manifests: the root manifest's `[patch]` and
 * `[replace]`, and `[patch]`/`[source]` of the `.cargo/config.toml` files cargo reads from the
 * workspace root and every directory above it. They change the lock packaged with each crate.
 */
async function resolutionInputs(rootManifest, workspaceRoot, env) {
    const cargoHome = resolve(env.CARGO_HOME ?? process.env.CARGO_HOME ?? join(homedir(), '.cargo'));
    const out = {};
    if (rootManifest.patch !== undefined)
        out.patch = rootManifest.patch;
    if (rootManifest.replace !== undefined)
        out.replace = rootManifest.replace;
    const configs = [];
    for (let dir = resolve(workspaceRoot);; dir = dirname(dir)) {
        // CARGO_HOME's config belongs to the machine, not the workspace: a rehearsal on a laptop and
        // a publish in CI would never agree on it.
        const names = join(dir, '.cargo') === cargoHome ? [] : ['config.toml', 'config'];
        for (const name of names) {
            const path = join(dir, '.cargo', name);
            if (!(await isFile$1(path)))
                continue;
            const config = readToml$1(await readFile(path, 'utf8'), path);
            const steering = {};
            if (config.patch !== undefined)
                steering.patch = config.patch;
            if (config.source !== undefined)
                steering.source = config.source;
            if (Object.keys(steering).length > 0) {
                // Where above the workspace a checkout lies is no part of its content.
                const rel = relative(workspaceRoot, path).split(sep).join('/');
                configs.push({ file: rel.startsWith('..') ? '(above the workspace)' : rel, ...steering });
            }
        }
        if (dirname(dir) === dir)
            break;
    }
    if (configs.length > 0)
        out.config = configs;
    return Object.keys(out).length > 0 ? out : undefined;
}
/**
 * The packaged file list of each crate, in the order given. One `cargo package --list` lists them
 * all: on a 2-core runner, a process per crate competes with the compile it runs beside. cargo
 * prints the lists one after another with nothing between them, in an order of its own (its
 * dependency order today; `--message-format json`, which names each list's package, is unstable
 * in cargo 1.95): splitFileLists cuts them apart and assignFileLists finds whose is whose from the
 * files on disk. Whatever that cannot settle is listed one crate at a time, which
 * is also where a failing cargo gets its per-crate error.
 */
async function packagedFileLists(crates, workspaceRoot, cargo, env) {
    const together = crates.length > 1 ? await listedTogether(crates, workspaceRoot, cargo, env) : [];
    const lists = await mapLimit(crates, 4, async ({ crate }, i) => together[i] ?? packagedFileList(crate, workspaceRoot, cargo, env));
    return lists;
}
/**
 * The lists of one cargo run for all `crates`, each at its crate's index; a crate left out
 * (`undefined`) needs a run of its own, and an empty result means none of them can be trusted.
 */
async function listedTogether(crates, workspaceRoot, cargo, env) {
    const args = packageListArgs(workspaceRoot, crates.map(({ crate }) => crate));
    const result = await cargo(args, { cwd: workspaceRoot, env });
    if (result.exitCode !== 0)
        return [];
    const lists = splitFileLists(listedPaths(result.stdout));
    if (lists === undefined)
        return [];
    const owners = assignFileLists(crates, lists, couldList);
    return owners === undefined ? [] : owners.map(i => (i === undefined ? undefined : lists[i]));
}
function packageListArgs(workspaceRoot, crates) {
    const args = ['package', '--list', '--allow-dirty', '--offline', '--exclude-lockfile'];
    args.push('--manifest-path', join(workspaceRoot, 'Cargo.toml'));
    for (const crate of crates)
        args.push('-p', `${crate.name}@${crate.version}`);
    return args;
}
async function packagedFileList(crate, workspaceRoot, cargo, env) {
    const result = await cargo(packageListArgs(workspaceRoot, [crate]), { cwd: workspaceRoot, env });
    if (result.exitCode !== 0) {
        throw new UserError(`cargo package --list failed for ${crate.name}: ${cargoErrorLine(result.stderr)}`, `run \`cargo package --list -p ${crate.name}\` in ${workspaceRoot} to see the full error`, 2);
    }
    return listedPaths(result.stdout);
}
/** The paths `cargo package --list` prints, `/`-separated on every platform. */
function listedPaths(stdout) {
    // A file name may end in a space: only the line terminator is stripped.
    const terminator = process.platform === 'win32' ? /\r?\n/ : /\n/;
    return stdout
        .split(terminator)
        .filter(line => line !== '')
        .map(line => (process.platform === 'win32' ? line.replace(/\\/g, '/') : line));
}
/**
 * Cuts the output of `cargo package --list` for several packages into their lists. cargo sorts
 * each list as Rust paths (comparePackagePaths) and a path appears once in it, so within a list
 * every line is greater than the one before. Every list holds `Cargo.toml` and `Cargo.toml.orig`:
 * a list's first line is at most `Cargo.toml`, the previous list's last at least
 * `Cargo.toml.orig`, which is greater. So a new list starts exactly where a line is not greater
 * than the one before. `undefined` when a list lacks either manifest (cargo warns of a manifest
 * named other than `Cargo.toml`): the cut may then be wrong.
 */
function splitFileLists(paths) {
    const lists = [];
    let previous;
    for (const path of paths) {
        if (previous === undefined || comparePackagePaths(previous, path) >= 0)
            lists.push([]);
        lists[lists.length - 1].push(path);
        previous = path;
    }
    const whole = lists.every(list => list.includes('Cargo.toml') && list.includes('Cargo.toml.orig'));
    return whole ? lists : undefined;
}
/**
 * Rust's order of relative paths, which cargo sorts a package's files in: component by component,
 * each compared by its UTF-8 bytes. So `a/b` comes before `a.b` and `a-b`, which byte order puts
 * first, and a string comparison in JavaScript (UTF-16 code units) misplaces characters above
 * U+FFFF.
 */
function comparePackagePaths(a, b) {
    const left = a.split('/');
    const right = b.split('/');
    for (let i = 0; i < Math.min(left.length, right.length); i++) {
        const order = Buffer.compare(Buffer.from(left[i], 'utf8'), Buffer.from(right[i], 'utf8'));
        if (order !== 0)
            return order;
    }
    return left.length - right.length;
}
/**
 * Which list belongs to which crate, without trusting the order cargo printed them in: the index
 * of each crate's list, or `undefined` for a crate it leaves open. `couldList` tells whether a
 * list could be a crate's; a crate's own list always could, as its files are on disk. Lists with
 * the same paths are interchangeable, so each distinct content has as many copies as cargo
 * printed it. Two rules settle crates until neither changes anything:
 * - a crate only one remaining content could be gets it; a content whose copies are all given is
 *   out of the running for the other crates (so a crate whose folder holds every file of another
 *   crate's list is left with its own once that crate took theirs);
 * - a content exactly as many open crates could be as it has copies left goes to those crates.
 * The whole answer is `undefined` when the lists cannot be the crates' own: not one per crate, a
 * crate no remaining content could be, or a content with more copies left than crates for them.
 */
function assignFileLists(crates, lists, couldList) {
    if (lists.length !== crates.length)
        return undefined;
    const contents = new Map();
    for (const [i, list] of lists.entries()) {
        const key = JSON.stringify(list);
        const content = contents.get(key);
        if (content)
            content.left++;
        else
            contents.set(key, { at: i, left: 1 });
    }
    const all = [...contents.values()];
    const open = crates.map(crate => new Set(all.filter(k => couldList(crate, lists[k.at]))));
    const owners = crates.map(() => undefined);
    let changed = true;
    while (changed) {
        changed = false;
        for (const [c, could] of open.entries()) {
            if (owners[c] !== undefined)
                continue;
            if (could.size === 0)
                return undefined;
            if (could.size > 1)
                continue;
            const content = [...could][0];
            owners[c] = content.at;
            changed = true;
            content.left--;
            if (content.left > 0)
                continue;
            for (const [other, rest] of open.entries()) {
                if (owners[other] === undefined)
                    rest.delete(content);
            }
        }
        for (const content of all) {
            const could = open.filter((rest, c) => owners[c] === undefined && rest.has(content));
            if (could.length < content.left)
                return undefined;
            if (could.length > content.left)
                continue;
            for (const rest of could.filter(r => r.size > 1)) {
                rest.clear();
                rest.add(content);
                changed = true;
            }
        }
    }
    return owners;
}
/** Whether `list` could be what cargo lists for a crate: every file it names is the crate's. */
function couldList(crate, list) {
    return list.every(path => GENERATED_FILES.has(path) || crate.sourceOf(path) !== undefined);
}
async function crateSources(crate, workspaceRoot, workspace) {
    const crateDir = dirname(crate.manifestPath);
    const manifestBytes = await readFile(crate.manifestPath);
    const manifest = readToml$1(manifestBytes.toString('utf8'), crate.manifestPath);
    const outside = filesOutsideCrate(manifest, workspace, crateDir, workspaceRoot);
    const sourceOf = (path) => [join(crateDir, path), outside.get(path)].find((candidate) => candidate !== undefined && existsSync(candidate));
    return { crate, manifestBytes, manifest, sourceOf };
}
async function crateEntries(sources, listed, workspace) {
    const { crate, manifestBytes, manifest } = sources;
    const entries = [];
    for (const path of listed) {
        if (path === 'Cargo.toml.orig') {
            entries.push({ path, sha256: sha256(manifestBytes), source: crate.manifestPath });
            continue;
        }
        if (GENERATED_FILES.has(path))
            continue;
        const source = sources.sourceOf(path) ?? join(dirname(crate.manifestPath), path);
        entries.push(await fileEntry(crate, path, source));
    }
    const inherited = inheritedFromWorkspace(manifest, workspace);
    if (inherited !== undefined) {
        entries.push({ path: WORKSPACE_ENTRY, sha256: sha256(canonicalJson(inherited)) });
    }
    return entries;
}
/**
 * A listed file that cannot be read fails the digest: skipping it would leave a packaged file
 * unbound.
 */
async function fileEntry(crate, path, source) {
    try {
        const info = await stat(source);
        const bytes = await readFile(source);
        const mode = info.mode & 0o111 ? '755' : '644';
        return { path, sha256: sha256(bytes), ...(mode === '755' ? { mode } : {}), source };
    }
    catch (error) {
        const reason = error.code ?? String(error);
        throw new UserError(`cannot read ${JSON.stringify(path)}, which cargo packages in ${crate.name} (${reason})`, `make the file readable, or exclude it from the package (\`exclude\` in ${crate.manifestPath})`, 2);
    }
}
/** cargo packages a readme or license file from outside the crate under its file name. */
function filesOutsideCrate(manifest, workspace, crateDir, workspaceRoot) {
    const pkg = asTable(manifest.package);
    const workspacePkg = asTable(workspace.package);
    const out = new Map();
    for (const key of ['readme', 'license-file']) {
        const own = pkg[key];
        const inherits = inheritsFromWorkspace(own);
        const value = inherits ? workspacePkg[key] : own;
        if (typeof value === 'string') {
            out.set(basename(value), resolve(inherits ? workspaceRoot : crateDir, value));
        }
    }
    return out;
}
function inheritedFromWorkspace(manifest, workspace) {
    const workspacePkg = asTable(workspace.package);
    const workspaceDeps = asTable(workspace.dependencies);
    const pkg = {};
    for (const [key, value] of Object.entries(asTable(manifest.package))) {
        if (inheritsFromWorkspace(value))
            pkg[key] = workspacePkg[key] ?? null;
    }
    const platformTables = Object.values(asTable(manifest.target)).map(asTable);
    const dependencies = {};
    for (const owner of [manifest, ...platformTables]) {
        for (const table of DEPENDENCY_TABLES) {
            for (const [key, value] of Object.entries(asTable(owner[table]))) {
                if (inheritsFromWorkspace(value))
                    dependencies[key] = workspaceDeps[key] ?? null;
            }
        }
    }
    const inherited = {};
    if (Object.keys(pkg).length > 0)
        inherited.package = pkg;
    if (Object.keys(dependencies).length > 0)
        inherited.dependencies = dependencies;
    if (inheritsFromWorkspace(manifest.lints))
        inherited.lints = workspace.lints ?? null;
    return Object.keys(inherited).length > 0 ? inherited : undefined;
}
function inheritsFromWorkspace(value) {
    return asTable(value).workspace === true;
}
function asTable(value) {
    return value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        !(value instanceof Date)
        ? value
        : {};
}
/** JSON with object keys sorted at every depth, so TOML layout and comments do not matter. */
function canonicalJson(value) {
    const sortKeys = (v) => {
        if (Array.isArray(v))
            return v.map(sortKeys);
        if (v === null || typeof v !== 'object' || v instanceof Date)
            return v;
        const out = {};
        for (const key of Object.keys(v).sort())
            out[key] = sortKeys(v[key]);
        return out;
    };
    return JSON.stringify(sortKeys(value));
}
function readToml$1(text, path) {
    try {
        return parse$1(text);
    }
    catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        throw new UserError(`${path} is not valid TOML: ${reason}`, 'fix the manifest', 2);
    }
}
async function isFile$1(path) {
    try {
        return (await stat(path)).isFile();
    }
    catch {
        return false;
    }
}
function sha256(data) {
    return createHash('sha256').update(data).digest('hex');
}

/**
 * A dropped dev-dependency edge must resolve from versions the live registry already has. Fails
 * early (exit 1) when the index is readable and holds no matching version; an unreadable index
 * gives a warning instead, returned for the caller to log.
 */
async function checkDroppedDevEdges(plan, versionsOf) {
    const warnings = [];
    for (const edge of plan.droppedDevEdges) {
        const versions = await versionsOf(edge.to);
        if (versions === null) {
            warnings.push(`could not read ${edge.to} from the ${plan.registry} index: the dev-dependency of ${edge.from} on ${edge.to} ${edge.req} must resolve from a version already published there`);
        }
        else if (!versions.some(v => matchesReq(edge.req, v))) {
            const known = versions.length > 0 ? `it has ${versions.join(', ')}` : 'it has none';
            throw new UserError(`${edge.from} dev-depends on ${edge.to} ${edge.req}, which must resolve from versions already on ${plan.registry}, and none matches (${known})`, `drop the version from the dev-dependency of ${edge.from} on ${edge.to} (keep only its path) so cargo strips it when publishing`, 1);
        }
    }
    return warnings;
}
/** Every crate a phase reads from the live index: the planned ones and the dropped edges' targets. */
function liveIndexNames(plan) {
    return [...new Set([...plan.packages.map(c => c.name), ...plan.droppedDevEdges.map(e => e.to)])];
}

/** The full plan of a workspace: metadata, order, API base and plan_id. */
async function computePlan(inputs, deps = {}) {
    const metadata = await loadMetadata(inputs.manifestPath, deps.cargo, deps.env);
    const draft = buildPlan(metadata, {
        packages: inputs.packages,
        targetRegistry: inputs.targetRegistry
    });
    const apiBase = await resolveApiBase(inputs.targetRegistry, inputs.targetRegistryUrl, {
        fetch: deps.fetch ?? globalThis.fetch,
        env: deps.env === undefined ? process.env : { ...process.env, ...deps.env }
    });
    return { ...draft, apiBase, planId: planIdOf(apiBase, draft) };
}
/** shipper's plan_id of a plan: its crates hashed in shipper's order, not the publish order. */
function planIdOf(apiBase, draft) {
    const byName = new Map(draft.packages.map(p => [p.name, p]));
    return computePlanId(apiBase, draft.shipperOrder.map(name => byName.get(name)));
}
/** Rehearsing or publishing nothing is a mistake in the input, not a success. */
function assertPlanNotEmpty(plan) {
    if (plan.packages.length > 0)
        return;
    const skipped = plan.skipped.map(s => `${s.name} (${s.reason})`).join(', ');
    throw new UserError(`no publishable crate in the plan for '${plan.registry}'${skipped ? `: skipped ${skipped}` : ''}`, 'check the `publish` field of the crates (and `target-registry`), or the `packages` input', 2);
}

const BLOCK$1 = 512;
/**
 * The files of a `.crate` (a gzipped tar with one top folder, as cargo writes it: ustar or GNU
 * headers, GNU long names, pax `path` records). Only regular files are returned.
 */
async function readCrateFiles(path) {
    return crateFiles(await readFile(path));
}
/** The files of a `.crate` held in memory (see readCrateFiles). */
function crateFiles(crate) {
    const tar = gunzipSync(crate);
    const files = [];
    let longName;
    for (let at = 0; at + BLOCK$1 <= tar.length;) {
        const header = tar.subarray(at, at + BLOCK$1);
        if (header.every(b => b === 0))
            break;
        const size = octal$1(header.subarray(124, 136));
        const type = String.fromCharCode(header[156]);
        const body = tar.subarray(at + BLOCK$1, at + BLOCK$1 + size);
        at += BLOCK$1 + Math.ceil(size / BLOCK$1) * BLOCK$1;
        if (type === 'L') {
            longName = cString(body);
            continue;
        }
        if (type === 'x') {
            longName = paxPath$1(body.toString('utf8')) ?? longName;
            continue;
        }
        const prefix = cString(header.subarray(345, 500));
        const short = cString(header.subarray(0, 100));
        const name = longName ?? (prefix && isUstar(header) ? `${prefix}/${short}` : short);
        longName = undefined;
        if (type !== '0' && type !== '\0')
            continue;
        files.push({
            path: name.slice(name.indexOf('/') + 1),
            sha256: createHash('sha256').update(body).digest('hex'),
            mode: (octal$1(header.subarray(100, 108)) & 0o777).toString(8)
        });
    }
    return files;
}
function octal$1(field) {
    const text = cString(field).trim();
    return text ? parseInt(text, 8) : 0;
}
function cString(field) {
    const end = field.indexOf(0);
    return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}
function isUstar(header) {
    return header.subarray(257, 263).toString('latin1') === 'ustar\0';
}
/** A pax extended header's `path` record (`LEN path=VALUE\n`). */
function paxPath$1(text) {
    for (const record of text.split('\n')) {
        const match = /^\d+ path=(.*)$/s.exec(record);
        if (match)
            return match[1];
    }
    return undefined;
}

/** Written by cargo into every `.crate`: no file of the checkout stands for them. */
const CARGO_WRITES = new Set(['.cargo_vcs_info.json', 'Cargo.toml', 'Cargo.lock']);
/**
 * The first difference between a `.crate`'s files and the digest's entries for that crate:
 * a file packaged but not digested, digested but not packaged, other bytes or another mode.
 * `Cargo.toml.orig` is compared unless `manifestRewritten` (the rehearsal's copy rewrites it).
 */
function compareCrateFiles(crate, files, entries, manifestRewritten = false) {
    const skip = (path) => CARGO_WRITES.has(path) ||
        path.startsWith('<') ||
        (manifestRewritten && path === 'Cargo.toml.orig');
    const digested = new Map(entries.filter(e => !skip(e.path)).map(e => [e.path, e]));
    const differ = (file, problem) => ({ crate, file, problem });
    for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
        if (skip(file.path))
            continue;
        const entry = digested.get(file.path);
        digested.delete(file.path);
        if (!entry)
            return differ(file.path, 'is in the package but not in the content digest');
        if (entry.sha256 !== file.sha256) {
            return differ(file.path, 'has other bytes in the package than in the content digest');
        }
        const mode = entry.mode ?? '644';
        if (file.mode !== mode) {
            return differ(file.path, `has mode ${file.mode} in the package, ${mode} in the content digest`);
        }
    }
    const missing = [...digested.keys()].sort()[0];
    return missing === undefined
        ? undefined
        : differ(missing, 'is in the content digest but not in the package');
}
/** Where `cargo package` leaves a crate's archive. */
function packagedCratePath(targetDir, crate) {
    return join(targetDir, 'package', `${crate.name}-${crate.version}.crate`);
}
/**
 * Checks every packaged `.crate` of `crates` against the digest; the first difference, if any.
 * A digest without entries (computed elsewhere) cannot be checked and is an error.
 */
async function checkPackagedCrates(crates, targetDir, digest, rewritten = () => false) {
    for (const crate of crates) {
        const entries = digest.entries?.[crate.name];
        if (!entries)
            throw new Error(`the content digest has no entries for ${crate.name}`);
        const files = await readCrateFiles(packagedCratePath(targetDir, crate));
        const difference = compareCrateFiles(crate, files, entries, rewritten(crate));
        if (difference)
            return difference;
    }
    return undefined;
}
function describeDifference(d) {
    return `${d.crate.name}@${d.crate.version}: ${JSON.stringify(d.file)} ${d.problem}`;
}
/**
 * The first entry two digests of one crate disagree on (path, bytes or mode); `ignore` leaves
 * synthetic entries out that depend on where the files lie rather than on what they hold.
 */
function entryDifference(expected, actual, ignore = new Set()) {
    const want = new Map(expected.filter(e => !ignore.has(e.path)).map(e => [e.path, e]));
    const have = new Map(actual.filter(e => !ignore.has(e.path)).map(e => [e.path, e]));
    for (const path of [...new Set([...want.keys(), ...have.keys()])].sort()) {
        const a = want.get(path);
        const b = have.get(path);
        if (!a)
            return { file: path, problem: 'appeared after the gate checked the sources' };
        if (!b)
            return { file: path, problem: 'disappeared after the gate checked the sources' };
        if (a.sha256 !== b.sha256)
            return { file: path, problem: 'changed after the gate checked it' };
        if ((a.mode ?? '644') !== (b.mode ?? '644')) {
            return { file: path, problem: 'changed mode after the gate checked it' };
        }
    }
    return undefined;
}

/**
 * The copy cargo packages in, in either mode: the checkout as cargo sees it, plus every file the
 * digest says cargo packages from the checkout, and never the state dir.
 */
async function copyForCargo(plan, digest, dest, stateDir, git) {
    const sources = Object.values(digest.entries ?? {}).flatMap(entries => entries.flatMap(e => (e.source ? [e.source] : [])));
    const copy = await copyCheckout(plan.workspaceRoot, dest, { stateDir, alsoCopy: sources, git });
    if (digest.resolvedLock !== undefined) {
        writeFileSync(join(copy.workspaceRoot, 'Cargo.lock'), digest.resolvedLock);
        // In the checkout cargo writes this lock after its dirty check; here it must not count as an
        // uncommitted file either.
        if (copy.via === 'git') {
            const rel = relative(dest, join(copy.workspaceRoot, 'Cargo.lock')).split(sep).join('/');
            appendFileSync(join(dest, '.git', 'info', 'exclude'), `\n/${rel}\n`);
        }
    }
    // `--locked` lets cargo create a missing lock: the copy must hold the very lock the digest bound.
    const bound = Object.values(digest.entries ?? {})
        .flat()
        .find(e => e.path === 'Cargo.lock')?.sha256;
    const lockPath = join(copy.workspaceRoot, 'Cargo.lock');
    const held = existsSync(lockPath)
        ? createHash('sha256').update(readFileSync(lockPath)).digest('hex')
        : undefined;
    if (bound !== undefined && held !== bound) {
        throw new Error(`the copy of ${plan.workspaceRoot} does not hold the Cargo.lock the digest bound`);
    }
    return copy;
}

/** sha256 and length of a file as it is now. */
async function fileEvidence(path) {
    const bytes = await readFile(path);
    return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
}
/**
 * sha256 of a file's first `bytes` bytes; undefined when it is shorter. events.jsonl is
 * append-only: a publish appends its own events after the rehearsal's, which stay as they were.
 */
async function prefixSha256(path, bytes) {
    const handle = await open(path, 'r');
    try {
        const hash = createHash('sha256');
        const buffer = Buffer.alloc(Math.min(bytes, 1024 * 1024));
        let read = 0;
        while (read < bytes) {
            const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, bytes - read), read);
            if (bytesRead === 0)
                return undefined;
            hash.update(buffer.subarray(0, bytesRead));
            read += bytesRead;
        }
        return hash.digest('hex');
    }
    finally {
        await handle.close();
    }
}

/**
 * Two copies of the checkout (bind/copy.ts): cargo's verification build, which runs build
 * scripts and proc macros, works in one; uploads are packaged from the other, in which no code
 * ever runs. So nothing a build does can change what is uploaded or touch the checkout, and the
 * state dir, which the copies never hold, is never packaged.
 */
class PublishCopies {
    workspaceRoot;
    scratch;
    verify;
    upload;
    digest;
    git;
    constructor(workspaceRoot, scratch, verify, upload, digest, git) {
        this.workspaceRoot = workspaceRoot;
        this.scratch = scratch;
        this.verify = verify;
        this.upload = upload;
        this.digest = digest;
        this.git = git;
    }
    /** Both copies hold a lock (the checkout's, or the one the digest resolved): cargo keeps it. */
    locked = true;
    static async create(plan, digest, manifestPath, stateDir, env, git) {
        const scratch = await mkdtemp(join(tmpdir(), 'shipper-publish-'));
        const manifestRel = relative(plan.workspaceRoot, resolve(manifestPath));
        const make = async (name, targetDir) => {
            const copy = await copyForCargo(plan, digest, join(scratch, name), stateDir, git);
            return {
                root: copy.workspaceRoot,
                manifestPath: join(copy.workspaceRoot, manifestRel),
                targetDir
            };
        };
        try {
            const given = env.CARGO_TARGET_DIR ?? process.env.CARGO_TARGET_DIR;
            const verify = await make('verify', given ? resolve(given) : join(scratch, 'verify-target'));
            const upload = await make('upload', join(scratch, 'upload-target'));
            return new PublishCopies(plan.workspaceRoot, scratch, verify, upload, digest, git);
        }
        catch (error) {
            await rm(scratch, { recursive: true, force: true });
            throw error;
        }
    }
    /**
     * Checks that the upload copy still holds what the gate accepted: its digest of `crates` (every
     * file cargo lists, the manifests, the lock) equals the accepted one, and the `.crate`s cargo
     * packages from it without building (no code runs) hold exactly the digest's files. Returns
     * the first difference as one line. The upload path calls it before every upload; the publish
     * calls it once for all crates before the first.
     */
    async check(crates, run) {
        const inCopy = crates.map(c => ({
            ...c,
            manifestPath: join(this.upload.root, relative(this.workspaceRoot, c.manifestPath))
        }));
        const now = await computeContentDigest({ packages: inCopy, workspaceRoot: this.upload.root }, { cargo: run.cargo, git: this.git, env: run.env });
        for (const crate of crates) {
            const changed = entryDifference(this.digest.entries?.[crate.name] ?? [], now.entries?.[crate.name] ?? [], 
            // Read from where the copy lies, not from where the checkout does.
            new Set([RESOLUTION_ENTRY]));
            if (changed) {
                return `${crate.name}@${crate.version}: ${JSON.stringify(changed.file)} ${changed.problem}`;
            }
        }
        const args = [
            'package',
            ...crates.flatMap(c => ['-p', c.name]),
            '--no-verify',
            '--manifest-path',
            this.upload.manifestPath,
            ...run.registryArgs,
            '--locked',
            ...(run.allowDirty ? ['--allow-dirty'] : [])
        ];
        const result = await run.cargo(args, {
            cwd: this.upload.root,
            env: { ...run.env, CARGO_TARGET_DIR: this.upload.targetDir }
        });
        if (result.exitCode !== 0) {
            return `packaging ${crates.map(c => c.name).join(', ')} to check it failed: ${cargoErrorLine(result.stderr)}`;
        }
        const difference = await checkPackagedCrates(crates, this.upload.targetDir, this.digest);
        return difference && `${describeDifference(difference)}: not what the gate checked`;
    }
    async dispose() {
        await rm(this.scratch, { recursive: true, force: true });
    }
}
/** What the gate needs to know about the event log beyond its events (gate.ts checkProofFiles). */
async function proofEvidence(receipt, read, eventsFile) {
    if (!read || read.missing)
        return { duplicateKeyLines: [] };
    const out = {
        duplicateKeyLines: read.duplicateKeyLines,
        ...(read.oversized !== undefined
            ? { oversized: { bytes: read.oversized, cap: MAX_EVENTS_BYTES } }
            : {})
    };
    if (receipt.kind !== 'ok' || receipt.receipt.events_sha256 === undefined)
        return out;
    const bytes = receipt.receipt.events_bytes ?? 0;
    return {
        ...out,
        matchesReceipt: (await prefixSha256(eventsFile, bytes)) === receipt.receipt.events_sha256
    };
}

/** How a user selects this target when rehearsing: action inputs and the command-line flags. */
function targetFlags(options) {
    if (options.targetRegistry === 'crates-io' && !options.targetRegistryUrl) {
        return '`target-registry: crates-io` (the default; no --target-registry flag)';
    }
    const url = options.targetRegistryUrl;
    const inputs = [`target-registry: ${options.targetRegistry}`];
    const flags = [`--target-registry ${options.targetRegistry}`];
    if (url) {
        inputs.push(`target-registry-url: ${url}`);
        flags.push(`--target-registry-url ${url}`);
    }
    return `inputs \`${inputs.join('`, `')}\` (command line: \`${flags.join(' ')}\`)`;
}
/** A refusal naming both targets when the receipt was made for another live registry. */
function targetMismatch(receipt, target, how) {
    const rehearsed = receipt.target;
    if (!target || !rehearsed)
        return undefined;
    if (rehearsed.name === target.name && rehearsed.api_base === target.apiBase)
        return undefined;
    return {
        decision: 'refuse',
        reason: 'stale_plan',
        message: `rehearsal receipt is stale: it was made for another live registry, '${rehearsed.name}' (${rehearsed.api_base}), ` +
            `but this publish goes to '${target.name}' (${target.apiBase}), so its plan_id ` +
            `${receipt.plan_id} is not this plan's`,
        hint: `rehearse for '${target.name}' with ${target.flags}: ${how}`
    };
}

/**
 * Reduces the facts file to the last rehearsal's facts: those not older than its
 * `rehearsal_started` event (a state dir keeps the records of earlier runs too). Pure.
 */
function gateFacts(events, facts) {
    const starts = events.filter(e => e.event_type.type === 'rehearsal_started');
    const since = starts.length > 0 ? Date.parse(starts[starts.length - 1].timestamp) : -Infinity;
    const recent = facts.filter(f => Date.parse(f.timestamp) >= since);
    const bypass = recent.filter(f => f.event_type.type === 'rehearsal_bypassed').pop();
    return {
        ...(bypass ? { bypassedAt: bypass.timestamp } : {}),
        skipped: recent.flatMap(f => f.event_type.type === 'rehearsal_package_skipped'
            ? [`${f.event_type.name}@${f.event_type.version}`]
            : [])
    };
}
/**
 * The publish gate: docs/formats.md's steps, in order, as a pure function of what was read. The first
 * step that applies decides, so a receipt that is both stale and failed is refused as stale.
 */
function decideGate(input) {
    const how = oneLine$1(input.howToRehearse);
    if (input.skipRehearsal) {
        return {
            decision: 'proceed',
            bypassed: true,
            message: `skip-rehearsal is set: publishing is proceeding WITHOUT a rehearsal for plan_id ` +
                `${input.planId}; the event log will show no rehearsal for it, and ${FACTS_FILE} records the bypass`
        };
    }
    if (input.unavailable !== undefined) {
        return refuse('no_receipt', `the rehearsal proof (${input.receiptPath}) could not be fetched: ${oneLine$1(input.unavailable)}`, `nothing was published; re-run this job once the artifact service answers (a passed rehearsal need not be repeated), or if its artifact is gone: ${how}`);
    }
    const read = input.receipt;
    if (read.kind === 'missing') {
        const bypassed = input.facts?.bypassedAt;
        return refuse('no_receipt', `no rehearsal receipt at ${input.receiptPath}` +
            (bypassed
                ? `: the rehearsal recorded beside it was bypassed with skip-rehearsal at ${bypassed}, so nothing was rehearsed`
                : ''), `produce one by rehearsing this plan first: ${how}`);
    }
    if (read.kind === 'invalid') {
        return refuse('invalid_receipt', `rehearsal receipt at ${input.receiptPath} is invalid: ${oneLine$1(read.problem)}`, `rehearse again to write a fresh receipt: ${how}`);
    }
    const receipt = read.receipt;
    if (receipt.plan_id !== input.planId) {
        const otherTarget = targetMismatch(receipt, input.target, how);
        if (otherTarget)
            return otherTarget;
        return refuse('stale_plan', `rehearsal receipt is stale: it was made for plan_id ${receipt.plan_id}, ` +
            `but the current plan_id is ${input.planId}`, `the crates, versions, order or target registry changed since that rehearsal; ` +
            `rehearse the current plan: ${how}`);
    }
    if (!receipt.passed) {
        return refuse('failed_rehearsal', `the rehearsal of plan_id ${receipt.plan_id} did not pass: "${oneLine$1(receipt.summary)}"`, `fix that failure, then rehearse again: ${how}`);
    }
    if (input.bind === 'content') {
        const refusal = checkContent(input, receipt, how) ?? checkToolchain(input, receipt, how);
        if (refusal)
            return refusal;
    }
    const proofRefusal = checkProofFiles(input, receipt, how);
    if (proofRefusal)
        return proofRefusal;
    const badLines = input.events?.badLines ?? [];
    if (input.events) {
        const complete = input.events.complete ?? null;
        const where = `the events.jsonl beside ${input.receiptPath}`;
        const eventsHint = `the receipt and the event log must come from the same rehearsal; download both from ` +
            `one rehearsal artifact, or rehearse again: ${how}`;
        if (!complete) {
            return refuse('inconsistent', `${where} has no rehearsal_complete event to confirm the receipt${skipped(badLines)}`, eventsHint);
        }
        if (complete.passed !== receipt.passed || complete.plan_id !== receipt.plan_id) {
            return refuse('inconsistent', `the receipt says passed=${receipt.passed} for plan_id ${receipt.plan_id}, but the last ` +
                `rehearsal_complete event in ${where} says passed=${complete.passed} for plan_id ` +
                `${complete.plan_id}${skipped(badLines)}`, eventsHint);
        }
    }
    // Beyond docs/formats.md: a receipt edited by hand gives itself away, with or without its events.
    const contradiction = selfContradiction(receipt);
    if (contradiction) {
        return refuse('inconsistent', `the receipt at ${input.receiptPath} says passed=true but ${contradiction}`, `a passing receipt must account for every crate; rehearse again: ${how}`);
    }
    const unrecorded = unrecordedSkips(receipt, input.facts);
    if (unrecorded.length > 0) {
        return refuse('inconsistent', `the receipt at ${input.receiptPath} says ${unrecorded.join(', ')} ${unrecorded.length === 1 ? 'was' : 'were'} ` +
            `already in the rehearsal registry, but the ${FACTS_FILE} beside it records no such skip`, `download every file of one rehearsal artifact, or rehearse again: ${how}`);
    }
    // A receipt that binds content or names its log is never judged without that log, whatever
    // its `tool` says: stripping the log (and `tool`) must not get past the comparison above.
    if (!input.events &&
        (receipt.tool?.name === TOOL.name ||
            receipt.content_digest !== undefined ||
            receipt.events_sha256 !== undefined)) {
        return refuse('inconsistent', `the events.jsonl that ${TOOL.name} writes beside every receipt is missing next to ${input.receiptPath}`, `download both files from one rehearsal artifact, or rehearse again: ${how}`);
    }
    const crates = receipt.packages?.map(p => `${p.name}@${p.version}`);
    const what = crates
        ? `${crates.length} package${crates.length === 1 ? '' : 's'} (${crates.join(', ')})`
        : `${receipt.packages_published} package${receipt.packages_published === 1 ? '' : 's'}`;
    const content = input.bind === 'content' ? `; content digest ${input.contentDigest} matches` : '';
    return {
        decision: 'proceed',
        bypassed: false,
        message: `rehearsal accepted: ${what} rehearsed against '${receipt.registry}' for plan_id ` +
            `${receipt.plan_id}, completed ${receipt.completed_at}${content}${skipped(badLines)}`
    };
}
/** A passing receipt whose own counts or per-crate statuses say otherwise: edited by hand. */
function selfContradiction(receipt) {
    if (receipt.packages_published !== receipt.packages_attempted) {
        return `packages_published is ${receipt.packages_published} of packages_attempted ${receipt.packages_attempted}`;
    }
    const bad = receipt.packages?.filter(p => p.status !== 'published' && p.status !== 'skipped');
    if (bad && bad.length > 0) {
        return `its packages say ${bad.map(p => `${p.name}@${p.version} ${p.status}`).join(', ')}`;
    }
    return undefined;
}
/**
 * Crates this action's receipt calls skipped that its facts file does not confirm. A skip counts
 * as rehearsed (the registry had these exact bytes), so it must be on record like an upload.
 */
function unrecordedSkips(receipt, facts) {
    if (receipt.tool?.name !== TOOL.name)
        return [];
    const recorded = new Set(facts?.skipped ?? []);
    return (receipt.packages ?? [])
        .filter(p => p.status === 'skipped')
        .map(p => `${p.name}@${p.version}`)
        .filter(key => !recorded.has(key));
}
function checkContent(input, receipt, how) {
    if (receipt.content_digest === undefined) {
        // A plan-only receipt (shipper writes no content digest) cannot prove which sources passed.
        return refuse('stale_content', `rehearsal receipt at ${input.receiptPath} records no content_digest, so bind: content ` +
            `cannot check which sources were rehearsed`, `set bind: plan to accept a plan-only receipt (e.g. one written by shipper), or rehearse ` +
            `with this action to record a content digest: ${how}`);
    }
    if (receipt.content_digest === input.contentDigest)
        return null;
    return refuse('stale_content', `sources changed since the rehearsal: content digest ${receipt.content_digest} was ` +
        `rehearsed, ${input.contentDigest} is current; ${describeLockChange(receipt, input.lockSha256)}${describeCrateChanges(receipt, input.perCrateDigest)}`, input.lockCommitted === false
        ? `this workspace commits no Cargo.lock, so a dependency released since the rehearsal changes the lock cargo resolves: commit Cargo.lock, then rehearse again: ${how}`
        : `rehearse the current sources: ${how}`);
}
/**
 * Cargo.lock is packaged with every crate: when it is what changed, every crate reads as changed,
 * and the refusal must say that the lock is the cause.
 */
function describeLockChange(receipt, current) {
    const rehearsed = receipt.cargo_lock_sha256;
    if (typeof rehearsed !== 'string' || rehearsed === (current ?? ''))
        return '';
    if (current === undefined)
        return 'Cargo.lock was removed since the rehearsal (every crate packages it); ';
    return 'Cargo.lock changed since the rehearsal (every crate packages it, so every crate below reads as changed); ';
}
function checkToolchain(input, receipt, how) {
    if (!input.toolchain)
        return null;
    if (!receipt.toolchain) {
        return refuse('stale_content', `rehearsal receipt at ${input.receiptPath} records no toolchain, so bind: content cannot check that the rehearsal built with this one`, `rehearse with this version of the action, which records it: ${how}`);
    }
    const difference = toolchainDifference(receipt.toolchain, input.toolchain);
    if (!difference)
        return null;
    return refuse('stale_content', `the toolchain changed since the rehearsal: ${oneLine$1(difference)}`, `publish with the toolchain the rehearsal used (pin it in rust-toolchain.toml or the workflow's toolchain step), or rehearse again with this one: ${how}`);
}
/** The event log must be the one the receipt was written with, whole and unambiguous. */
function checkProofFiles(input, receipt, how) {
    const events = input.events;
    if (!events)
        return null;
    const where = `the events.jsonl beside ${input.receiptPath}`;
    const hint = `download the receipt and the event log from one rehearsal artifact, or rehearse again: ${how}`;
    if (events.oversized) {
        return refuse('inconsistent', `${where} is ${events.oversized.bytes} bytes, over the ${events.oversized.cap}-byte limit for an event log; it was not read`, hint);
    }
    const duplicates = events.duplicateKeyLines ?? [];
    if (duplicates.length > 0) {
        return refuse('inconsistent', `${where} has a key twice in one object on line${duplicates.length === 1 ? '' : 's'} ${duplicates.join(', ')}`, hint);
    }
    if (receipt.content_digest !== undefined && receipt.events_sha256 === undefined) {
        return refuse('inconsistent', `rehearsal receipt at ${input.receiptPath} records a content_digest but no events_sha256, so nothing ties it to ${where}`, `rehearse with this version of the action, which records it: ${how}`);
    }
    if (receipt.events_sha256 !== undefined && events.matchesReceipt !== true) {
        return refuse('inconsistent', `${where} is not the log the receipt was written with (its first ${receipt.events_bytes ?? 0} bytes do not hash to the receipt's events_sha256)`, hint);
    }
    return null;
}
/** Which crates' sources differ, from the receipt's per-crate digests. */
function describeCrateChanges(receipt, current) {
    if (!receipt.packages)
        return 'the receipt lists no per-crate digests to say which crates changed';
    const rehearsed = new Map(receipt.packages.map(p => [p.name, p.digest]));
    const changed = [];
    const added = [];
    for (const [name, digest] of Object.entries(current)) {
        const before = rehearsed.get(name);
        if (before === undefined)
            added.push(name);
        else if (before !== digest)
            changed.push(name);
    }
    const removed = [...rehearsed.keys()].filter(name => !(name in current));
    const parts = [];
    if (changed.length)
        parts.push(`changed: ${changed.sort().join(', ')}`);
    if (added.length)
        parts.push(`not rehearsed: ${added.sort().join(', ')}`);
    if (removed.length)
        parts.push(`no longer planned: ${removed.sort().join(', ')}`);
    return parts.length
        ? parts.join('; ')
        : 'every per-crate digest matches, so the crates are combined differently (order or digest format)';
}
function refuse(reason, message, hint) {
    return { decision: 'refuse', reason, message, hint };
}
function skipped(badLines) {
    if (badLines.length === 0)
        return '';
    const plural = badLines.length === 1 ? 'line' : 'lines';
    return ` (events.jsonl: unreadable ${plural} ${badLines.join(', ')} skipped)`;
}
/** Messages are one line: text quoted from files may not break that. */
function oneLine$1(text) {
    return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function describeRun(runId, env) {
    const repo = env.GITHUB_REPOSITORY ? ` of ${env.GITHUB_REPOSITORY}` : '';
    if (runId !== undefined)
        return `run ${runId}${repo}`;
    return env.GITHUB_RUN_ID ? `the current run (${env.GITHUB_RUN_ID}${repo})` : 'the current run';
}
/**
 * Gets the rehearsal proof into the state dir. Inside an Actions job it is downloaded from the
 * artifact service, from this run or from `rehearsal-run-id` of the same repository; the files
 * it replaces are removed first, so a stale local copy can never stand in for a missing artifact.
 * Without the service (command line, local runs) the state dir is used as it is.
 */
async function obtainProof(request, store) {
    if (!store) {
        return {
            receiptPath: rehearsalPath(request.stateDir),
            howToRehearse: `run \`shipper-rehearse rehearse --manifest-path ${request.manifestPath}\` with the same --state-dir`,
            missing: false
        };
    }
    const run = describeRun(request.rehearsalRunId, request.env);
    const howToRehearse = request.rehearsalRunId === undefined
        ? `run this action with \`mode: rehearse\` earlier in this workflow run (it uploads artifact '${request.artifactName}'), or set \`rehearsal-run-id\` to the run that rehearsed this commit`
        : `check that run ${request.rehearsalRunId} rehearsed this commit with \`artifact-name: ${request.artifactName}\` and that its artifact has not expired, or rehearse again`;
    await rm(join(request.stateDir, REHEARSAL_FILE), { force: true });
    await rm(join(request.stateDir, EVENTS_FILE), { force: true });
    await rm(join(request.stateDir, FACTS_FILE), { force: true });
    const from = {
        ...(request.rehearsalRunId !== undefined ? { runId: request.rehearsalRunId } : {}),
        ...(request.githubToken ? { token: request.githubToken } : {})
    };
    let downloaded;
    try {
        downloaded = await store.download(request.artifactName, from, request.stateDir);
    }
    catch (error) {
        if (error instanceof UserError)
            throw error;
        return {
            receiptPath: `artifact '${request.artifactName}' of ${run}`,
            howToRehearse,
            missing: true,
            unavailable: error instanceof Error ? error.message : String(error)
        };
    }
    if (downloaded.kind === 'missing') {
        return {
            receiptPath: `artifact '${request.artifactName}' of ${run}`,
            howToRehearse,
            missing: true
        };
    }
    return {
        receiptPath: `${rehearsalPath(request.stateDir)} (artifact '${request.artifactName}' of ${run})`,
        howToRehearse,
        missing: false,
        artifact: { id: downloaded.id, name: request.artifactName, run }
    };
}

/**
 * The gate: plan and content digest, the rehearsal proof (proof.ts) and what it says (the receipt,
 * its event log and facts), then the decision (gate.ts). Touches nothing but the proof files.
 */
/** Plans, fetches the proof and evaluates the gate; touches nothing but the proof files. */
async function gateOnly(options, ctx, deps = {}) {
    const target = liveTarget(options);
    // Manifests of a private-registry workspace name the live registry: cargo must know it.
    const cargoEnv = { ...ctx.env, ...target.cargoEnv(undefined) };
    const plan = deps.plan ??
        (await computePlan({
            manifestPath: options.manifestPath,
            packages: options.packages,
            targetRegistry: options.targetRegistry,
            targetRegistryUrl: options.targetRegistryUrl
        }, { cargo: ctx.cargo, fetch: ctx.fetch, env: cargoEnv }));
    assertPlanNotEmpty(plan);
    const digest = await computeContentDigest(plan, {
        cargo: ctx.cargo,
        git: ctx.git,
        env: cargoEnv,
        stateDir: resolveStateDir(options, plan.workspaceRoot)
    });
    const stateDir = await prepareStateDir(options, plan.workspaceRoot);
    const env = mergeEnv(ctx.env);
    const { artifacts } = deps;
    const proof = await obtainProof({
        artifactName: options.artifactName,
        rehearsalRunId: options.rehearsalRunId,
        githubToken: options.githubToken,
        stateDir,
        manifestPath: options.manifestPath,
        env
    }, 
    // The bypass needs no proof: nothing is downloaded for it.
    options.skipRehearsal ? undefined : artifacts);
    const receipt = proof.missing
        ? { kind: 'missing' }
        : await readRehearsal(stateDir);
    const eventsFile = join(stateDir, EVENTS_FILE);
    const read = proof.missing ? undefined : await readEvents(eventsFile);
    const evidence = await proofEvidence(receipt, read, eventsFile);
    const toolchain = options.bind === 'content'
        ? await currentToolchain(plan.workspaceRoot, ctx.cargo, cargoEnv)
        : undefined;
    const facts = proof.missing ? undefined : await readFacts(join(stateDir, FACTS_FILE));
    const decision = decideGate({
        skipRehearsal: options.skipRehearsal,
        bind: options.bind,
        planId: plan.planId,
        contentDigest: digest.digest,
        perCrateDigest: digest.perCrate,
        ...(digest.lockSha256 ? { lockSha256: digest.lockSha256 } : {}),
        receipt,
        receiptPath: proof.receiptPath,
        ...(read && !read.missing
            ? {
                events: {
                    complete: lastRehearsalComplete(read.events),
                    badLines: read.badLines,
                    ...evidence
                }
            }
            : {}),
        ...(toolchain ? { toolchain } : {}),
        lockCommitted: digest.lockFile !== false,
        ...(read && facts ? { facts: gateFacts(read.events, facts.events) } : {}),
        howToRehearse: proof.howToRehearse,
        ...(proof.unavailable !== undefined ? { unavailable: proof.unavailable } : {}),
        target: { name: plan.registry, apiBase: plan.apiBase, flags: targetFlags(options) }
    });
    return { decision, plan, digest, stateDir, proof, target, artifacts };
}

/**
 * Which crates may be uploaded now, as cargo's own `PublishPlan` decides it: a crate is ready once
 * every in-plan dependency is confirmed visible in the index, not once its whole level is, so a
 * slow crate holds back only the crates that depend on it. After the first failure nothing new
 * becomes ready; crates already in flight may still be confirmed. Pure: no I/O, no clock.
 */
class Schedule {
    order;
    waitingOn = new Map();
    failed = false;
    /** `confirmed`: crates visible before anything starts (e.g. versions already in the index). */
    constructor(crates, confirmed = []) {
        this.order = crates.map(c => c.name);
        const inPlan = new Set(this.order);
        for (const c of crates) {
            this.waitingOn.set(c.name, new Set(c.dependencies.filter(d => inPlan.has(d))));
        }
        for (const name of confirmed)
            this.confirm(name);
    }
    /** Up to `limit` ready crates in plan order, now in flight. */
    takeReady(limit = Infinity) {
        if (this.failed)
            return [];
        const taken = [];
        for (const name of this.order) {
            if (taken.length >= limit)
                break;
            if (this.waitingOn.get(name)?.size === 0)
                taken.push(name);
        }
        // Taken crates are in flight: no longer waiting, not yet confirmed.
        for (const name of taken)
            this.waitingOn.delete(name);
        return taken;
    }
    /** The crate is visible: its dependents no longer wait for it. */
    markConfirmed(name) {
        this.confirm(name);
    }
    /** A crate in flight failed: it and everything not yet started stay unconfirmed. */
    markFailed() {
        this.failed = true;
    }
    confirm(name) {
        this.waitingOn.delete(name);
        for (const deps of this.waitingOn.values())
            deps.delete(name);
    }
}
/**
 * Runs a plan on a `Schedule` with bounded concurrency, one task per crate (publish mode: each
 * crate retried and reconciled on its own). A throw from a task stops new starts like a failure
 * does and is rethrown once every started task has settled, so no work is left running.
 */
async function drive(crates, schedule, options) {
    const byName = new Map(crates.map(c => [c.name, c]));
    const limit = Math.max(1, Math.floor(options.maxConcurrency) || 1);
    // A task holds its slot until its crate is settled; `alive` also waits for its return.
    let busy = 0;
    const alive = new Set();
    let thrown;
    let wake = () => undefined;
    const start = (crate) => {
        let settled = false;
        busy++;
        const settle = (confirmed) => {
            if (settled)
                return;
            settled = true;
            if (confirmed)
                schedule.markConfirmed(crate.name);
            else
                schedule.markFailed();
            busy--;
            wake();
        };
        const run = options
            .task(crate, settle)
            .catch((error) => {
            thrown ??= { error };
        })
            .finally(() => {
            settle(false);
            alive.delete(run);
            wake();
        });
        alive.add(run);
    };
    for (;;) {
        const free = limit - busy;
        const ready = free > 0 && !thrown ? schedule.takeReady(free) : [];
        if (ready.length > 0) {
            for (const name of ready)
                start(byName.get(name));
            continue;
        }
        if (alive.size === 0)
            break;
        await new Promise(resolve => (wake = resolve));
    }
    if (thrown)
        throw thrown.error;
}

/** The registry already has the version: cargo's own pre-check, crates.io's and kellnr's answers. */
const ALREADY_EXISTS = /\balready (?:exists|uploaded)\b/i;
/**
 * HTTP statuses as cargo 1.95 prints them: a JSON error body, a non-JSON body dump from the API,
 * and an index or download fetch. The last one printed is the innermost cause.
 */
const STATUS_PATTERNS = [
    /the remote server responded with an error \(status (\d{3})\b/g,
    /failed to get a 200 OK response, got (\d{3})\b/g,
    /failed to get successful HTTP response from `[^`]*`(?: \([^)]*\))?, got (\d{3})\b/g
];
const AUTH = [
    [/no token found for `[^`]*`/, 'no token configured for the registry'],
    [/token rejected for `[^`]*`/, 'the registry rejected the token'],
    [/please run `cargo login/, 'the registry needs a login token']
];
/**
 * cargo's refusals that no retry can change, each with its fix. They come before the network
 * rules: their text may quote anything, and they never need a second attempt.
 */
const KNOWN_REFUSALS = [
    [
        /files? in the working directory contains? changes that were not yet committed/,
        'the git working tree has uncommitted changes',
        'commit or stash them (cargo lists them above), or set allow-dirty to publish them as they are'
    ],
    [
        /no index found for registry:? `?([^`\s]+)|registry index was not found in any configuration|registry `[^`]*` not found|could not find registry `/,
        'a registry named in a manifest or a flag is not configured',
        'configure it with CARGO_REGISTRIES_<NAME>_INDEX (or [registries.<name>] in .cargo/config.toml), or fix the registry name'
    ],
    [
        /failed to (?:parse|load) manifest|TOML parse error|duplicate key|missing field `|unknown field `/,
        'a manifest is invalid',
        'fix the manifest at the file and line cargo names'
    ]
];
/**
 * Failures that prove cargo got past the network (it compiled, or read a manifest or an index),
 * so a network-looking phrase elsewhere in the output does not make them transient.
 */
const DEFINITE_PERMANENT = [
    [/could not compile `/, 'the crate does not compile (verification build failed)'],
    [/failed to (?:parse|load|verify) manifest/, 'the manifest is invalid'],
    [/all dependencies must have a version requirement/, 'a dependency has no version requirement'],
    [/no matching package named `[^`]*` found/, 'a dependency is not in the registry index'],
    [
        /failed to select a version for the requirement/,
        'no dependency version satisfies a requirement'
    ],
    [/missing or empty metadata fields/, 'the registry requires metadata the manifest lacks'],
    [/invalid character `[^`]*` in package name/, 'the package name is invalid'],
    [/-->\s+\S*Cargo\.toml:\d+:\d+/, 'the manifest is invalid']
];
/** curl error codes cargo prints as `[N] ...`, and the phrases of a dropped or slow connection. */
const NETWORK = [
    [/\[(?:6|7|16|18|28|35|52|55|56|92)\] /, 'network error talking to the registry'],
    [/could(?: not|n't) (?:resolve host|connect to server)/i, 'cannot reach the registry'],
    [/\bdns error\b|failed to lookup address/i, 'cannot resolve the registry host (DNS)'],
    [
        /connection (?:refused|reset|closed|aborted)|broken pipe/i,
        'the connection to the registry failed'
    ],
    [/\btimed out\b|timeout was reached/i, 'the request to the registry timed out'],
    [/failed to send request|error sending request/i, 'the request to the registry was not sent'],
    [/empty reply from server|server returned nothing/i, 'the registry closed the connection'],
    [/failure when receiving data|failed sending data/i, 'the connection to the registry broke'],
    [/\b(?:SSL|TLS)\b/, 'TLS error talking to the registry']
];
/** Rejections that come after the network checks: they may be caused by a network failure. */
const LATE_PERMANENT = [
    [/failed to verify package tarball/, 'the packaged crate failed verification'],
    [/invalid (?:keyword|category|crate name|license)/i, 'the registry rejected a manifest field'],
    [/expected at most \d+ keywords/i, 'too many keywords'],
    [/is not a valid (?:keyword|category)/i, 'the registry rejected a manifest field'],
    [/the remote server responded with an error: /, 'the registry rejected the upload']
];
const KILLED = /\bkilled\b|\bsignal:? \d+|SIG(?:KILL|TERM|INT)/i;
/**
 * Classifies a failed cargo command from what it printed. Pure: `opts.now` anchors HTTP dates;
 * without it, a date-only Retry-After yields no `retryAfterMs`.
 */
function classifyCargoFailure(stderr, opts) {
    if (stderr.trim() === '') {
        return { class: 'ambiguous', reason: 'cargo printed no error (killed, or its output was lost)' };
    }
    if (ALREADY_EXISTS.test(stderr)) {
        return {
            class: 'permanent',
            reason: 'the version already exists in the registry',
            alreadyExists: true
        };
    }
    const status = lastStatus(stderr);
    if (status !== undefined)
        return classifyStatus(status, stderr, opts?.now);
    return (firstRule(AUTH, 'permanent', stderr) ??
        knownRefusal(stderr) ??
        firstRule(DEFINITE_PERMANENT, 'permanent', stderr) ??
        firstRule(NETWORK, 'retryable', stderr) ??
        firstRule(LATE_PERMANENT, 'permanent', stderr) ??
        (KILLED.test(stderr)
            ? { class: 'ambiguous', reason: 'cargo was killed' }
            : { class: 'ambiguous', reason: 'no known failure in cargo output' }));
}
function knownRefusal(text) {
    const hit = KNOWN_REFUSALS.find(([pattern]) => pattern.test(text));
    return hit ? { class: 'permanent', reason: hit[1], fix: hit[2] } : undefined;
}
function firstRule(rules, cls, text) {
    const hit = rules.find(([pattern]) => pattern.test(text));
    return hit ? { class: cls, reason: hit[1] } : undefined;
}
function lastStatus(text) {
    let best;
    for (const pattern of STATUS_PATTERNS) {
        for (const match of text.matchAll(pattern)) {
            if (!best || match.index > best.index)
                best = { index: match.index, status: Number(match[1]) };
        }
    }
    return best?.status;
}
function classifyStatus(status, text, now) {
    if (status === 429) {
        const retryAfterMs = parseRetryAfter(text, now);
        const result = {
            class: 'retryable',
            reason: 'rate limited by the registry (HTTP 429)'
        };
        if (retryAfterMs !== undefined)
            result.retryAfterMs = retryAfterMs;
        if (/too many new crates|new crates? (?:in|per)\b/i.test(text))
            result.newCrateRateLimit = true;
        return result;
    }
    if (status === 408)
        return { class: 'retryable', reason: 'the registry timed out (HTTP 408)' };
    if (status >= 500)
        return { class: 'retryable', reason: `registry server error (HTTP ${status})` };
    if (status === 401 || status === 403) {
        return { class: 'permanent', reason: `the registry refused the credentials (HTTP ${status})` };
    }
    if (status >= 400)
        return { class: 'permanent', reason: `the registry rejected the request (HTTP ${status})` };
    return { class: 'ambiguous', reason: `unexpected HTTP ${status} from the registry` };
}
/**
 * crates.io puts an HTTP-date in its 429 detail ("Please try again after <date>"); other servers
 * send a Retry-After header, which cargo prints in the non-JSON body dump (seconds or a date).
 */
function parseRetryAfter(text, now) {
    const detail = /try again after ([A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT)/i.exec(text);
    if (detail)
        return untilDate(detail[1], now);
    const header = /^\s*retry-after:\s*(.+?)\s*$/im.exec(text);
    if (!header)
        return undefined;
    const value = header[1];
    if (/^\d+$/.test(value))
        return Number(value) * 1000;
    return untilDate(value, now);
}
function untilDate(date, now) {
    const at = Date.parse(date);
    if (Number.isNaN(at) || now === undefined)
        return undefined;
    return Math.max(0, at - now);
}

/** crates.io lets a new crate through once per 10 minutes after its burst. */
const NEW_CRATE_RATE_LIMIT_MS = 10 * 60 * 1000;
/**
 * Exponential backoff with EQUAL jitter: half of `min(maxMs, baseMs * 2^(attempt-1))` is fixed,
 * the other half random. Full jitter could pick a near-zero wait, which for a registry that just
 * failed or throttled us only burns an attempt; equal jitter still spreads concurrent uploads.
 * The result is raised to what the registry asked for, and to 10 minutes when a brand-new crate
 * is rate limited, because crates.io will not take another new crate sooner.
 */
function retryDelayMs(input) {
    const { attempt, baseMs = 2000, maxMs = 120000, random } = input;
    if (!Number.isInteger(attempt) || attempt < 1) {
        throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
    }
    const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
    const r = Math.min(Math.max(random(), 0), 1);
    let delay = ceiling / 2 + (ceiling / 2) * r;
    if (input.retryAfterMs !== undefined)
        delay = Math.max(delay, input.retryAfterMs);
    const newCrateLimited = input.newCrateRateLimit === true || (input.isNewCrate === true && input.rateLimited === true);
    if (newCrateLimited)
        delay = Math.max(delay, NEW_CRATE_RATE_LIMIT_MS);
    return Math.round(delay);
}

function errorText(error) {
    return error instanceof Error ? error.message : String(error);
}
function present$1(entries, version) {
    return entries?.find(e => e.vers === version);
}
/**
 * Publishes the plan on the shared schedule: a crate starts once every in-plan dependency is in the
 * live index, and at most `maxConcurrency` uploads are in flight. Each crate is a small state
 * machine: look at the index, upload, wait for readiness; after a failure, look at the index again
 * before anything else, so a version is never uploaded twice. A failure that is not retried stops
 * the plan: nothing new starts, in-flight crates finish.
 */
async function executePlan(crates, settings, deps) {
    const runs = new Map(crates.map(crate => [
        crate.name,
        { ...pendingStatus(crate), crate, uploaded: false, attempts: 0 }
    ]));
    let stoppedBy;
    await drive(crates, new Schedule(crates), {
        maxConcurrency: settings.maxConcurrency,
        task: async (crate, settle) => {
            const run = runs.get(crate.name);
            await publishOne(run, settings, deps);
            if (run.status === 'failed')
                stoppedBy ??= run;
            settle(run.status !== 'failed');
        }
    });
    return { runs: crates.map(c => runs.get(c.name)), ...(stoppedBy ? { stoppedBy } : {}) };
}
async function publishOne(run, settings, deps) {
    const { crate } = run;
    const { live, clock } = deps;
    const key = packageKey(crate.name, crate.version);
    const emit = (e) => deps.events.append(e, key);
    const started = clock.now();
    const finish = (status, extra = {}) => {
        Object.assign(run, { status, durationMs: clock.now() - started }, extra);
    };
    const fail = async (cls, message, stderrTail) => {
        finish('failed', {
            failure: {
                class: cls,
                message: deps.scrub(message),
                ...(stderrTail ? { stderrTail: deps.scrub(stderrTail) } : {})
            }
        });
        await emit({ type: 'package_failed', class: cls, message });
        // The run's failure report tells what went wrong; saying it here too would say it twice.
        deps.progress(`${key}: failed (${cls}); the failure report says why`);
    };
    await emit({ type: 'package_started', name: crate.name, version: crate.version });
    let indexFailures = 0;
    // Whether an earlier attempt of this run may have stored the upload (its answer was lost or
    // unclear): only then is a version found in the index ours.
    let mayHaveStored = false;
    for (;;) {
        // Before every upload, and so after every failed one: is the version already there?
        let entries;
        try {
            entries = await live.entries(crate.name);
        }
        catch (error) {
            indexFailures += 1;
            const message = `the live index could not be read: ${errorText(error)}`;
            const verdict = {
                class: 'retryable'};
            if (indexFailures >= settings.maxAttempts)
                return fail('retryable', message);
            await scheduleRetry(run, indexFailures, settings, deps, emit, verdict, message, false);
            continue;
        }
        const found = present$1(entries, crate.version);
        if (found) {
            if (mayHaveStored) {
                finish('published', { uploaded: true, cksum: found.cksum });
                await emit({ type: 'package_published', duration_ms: run.durationMs });
                deps.progress(`${key}: found in the index after an unclear answer; not uploaded again`);
            }
            else {
                const reason = run.attempts === 0
                    ? 'already published'
                    : 'already published (it appeared in the index during this run, not uploaded by it)';
                finish('skipped', { reason, cksum: found.cksum });
                await emit({ type: 'package_skipped', reason });
                deps.progress(`${key}: ${reason}, skipped`);
            }
            return;
        }
        const isNewCrate = entries === null || entries.length === 0;
        const problem = await live.checkBeforeUpload?.(crate);
        if (problem !== undefined)
            return fail('permanent', problem);
        let token;
        try {
            token = await deps.token();
        }
        catch (error) {
            return fail('permanent', errorText(error));
        }
        run.attempts += 1;
        const result = await live.upload(crate, token);
        await emit({
            type: 'package_attempted',
            attempt: run.attempts,
            command: result.command,
            max_attempts: settings.maxAttempts
        });
        await emit({
            type: 'package_output',
            stdout_tail: tail(result.stdout, 20),
            stderr_tail: tail(result.stderr, 40)
        });
        if (result.exitCode === 0) {
            await emit({ type: 'package_uploaded' });
            run.uploaded = true;
            return awaitReadiness(run, settings, deps, emit, finish, fail, started);
        }
        const verdict = classifyCargoFailure(result.stderr, { now: clock.now() });
        const stderrTail = cargoEvidence(result.stderr);
        if (verdict.alreadyExists) {
            // The version exists although the index did not list it a moment ago: an earlier attempt
            // of ours landed, or someone else published it. The index, read with patience, decides.
            if (await reconcile(run, settings.reconcileWindowMs, deps, emit))
                continue;
            return fail('permanent', `${verdict.reason}, but the live index does not list ${key}`, stderrTail);
        }
        if (verdict.class === 'permanent') {
            const fix = verdict.fix ? ` (fix: ${verdict.fix})` : '';
            return fail('permanent', `${verdict.reason}${fix}`, stderrTail);
        }
        const rateLimited = /\b429\b/.test(verdict.reason);
        if (rateLimited) {
            await emit({
                type: 'rate_limit_observed',
                is_new_crate: isNewCrate,
                retry_after_ms: verdict.retryAfterMs ?? null,
                message: verdict.reason
            });
        }
        else {
            // A 5xx, a dropped connection or an unknown error may hide a stored upload.
            mayHaveStored = true;
        }
        const window = verdict.class === 'ambiguous' ? settings.reconcileWindowMs : 0;
        if (mayHaveStored && (await reconcile(run, window, deps, emit)))
            continue;
        if (run.attempts >= settings.maxAttempts) {
            const tries = `${run.attempts} attempt${run.attempts === 1 ? '' : 's'}`;
            return fail(verdict.class, `${verdict.reason} (gave up after ${tries})`, stderrTail);
        }
        await scheduleRetry(run, run.attempts, settings, deps, emit, verdict, verdict.reason, isNewCrate && rateLimited);
    }
}
/** Looks for the version in the index; true when it is there (the loop then records it). */
async function reconcile(run, windowMs, deps, emit) {
    await emit({ type: 'publish_reconciling', method: 'index' });
    const seen = await deps.live.waitVisible(run.crate.name, run.crate.version, windowMs, () => undefined);
    await emit({
        type: 'publish_reconciled',
        outcome: {
            outcome: seen.visible ? 'published' : 'not_published',
            attempts: seen.attempts,
            elapsed_ms: Math.round(seen.durationMs)
        }
    });
    return seen.visible;
}
async function scheduleRetry(run, attempt, settings, deps, emit, verdict, message, newCrateRateLimited) {
    const delay = retryDelayMs({
        attempt,
        baseMs: settings.retryBaseMs,
        maxMs: settings.retryMaxMs,
        random: deps.random,
        ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
        newCrateRateLimit: verdict.newCrateRateLimit === true || newCrateRateLimited
    });
    await emit({
        type: 'retry_scheduled',
        attempt,
        max_attempts: settings.maxAttempts,
        delay_ms: delay,
        next_attempt_at: new Date(deps.clock.now() + delay).toISOString(),
        reason: verdict.class,
        message
    });
    const key = packageKey(run.crate.name, run.crate.version);
    deps.progress(`${key}: ${deps.scrub(message)}; retrying in ${Math.ceil(delay / 1000)}s`);
    await deps.clock.sleep(delay);
}
async function awaitReadiness(run, settings, deps, emit, finish, fail, started) {
    const { crate } = run;
    await emit({ type: 'readiness_started', method: 'index' });
    const polls = [];
    const seen = await deps.live.waitVisible(crate.name, crate.version, settings.readinessTimeoutMs, (attempt, visible) => {
        polls.push(emit({ type: 'readiness_poll', attempt, visible }));
    });
    await Promise.all(polls);
    if (seen.visible) {
        await emit({
            type: 'readiness_complete',
            duration_ms: seen.durationMs,
            attempts: seen.attempts
        });
        finish('published', { ...(seen.entry ? { cksum: seen.entry.cksum } : {}) });
        await emit({ type: 'package_published', duration_ms: deps.clock.now() - started });
        deps.progress(`${packageKey(crate.name, crate.version)}: published`);
        return;
    }
    await emit({ type: 'readiness_timeout', max_wait_ms: settings.readinessTimeoutMs });
    await fail('retryable', `uploaded, but not visible in the live index after ${Math.round(settings.readinessTimeoutMs / 1000)}s; its dependents cannot be published until it is`);
}

function commonArgs(deps) {
    return [
        '--manifest-path',
        deps.manifestPath,
        ...deps.target.registryArgs,
        ...(deps.allowDirty ? ['--allow-dirty'] : []),
        ...(deps.locked ? ['--locked'] : [])
    ];
}
/** The real live registry: cargo for uploads, the sparse index for everything the executor reads. */
function liveRegistry(deps) {
    const token = deps.target.isCratesIo ? undefined : deps.indexToken;
    const readOptions = { fetch: deps.fetch, ...(token ? { token } : {}) };
    return {
        entries: name => fetchIndexEntries(deps.target.indexUrl, name, readOptions),
        ...(deps.beforeUpload ? { checkBeforeUpload: deps.beforeUpload } : {}),
        async upload(crate, uploadToken) {
            const args = ['publish', '-p', crate.name, '--no-verify', ...commonArgs(deps)];
            const result = await deps.cargo(args, {
                cwd: deps.workspaceRoot,
                env: { ...deps.env, ...deps.target.cargoEnv(uploadToken) }
            });
            return { ...result, command: `cargo ${args.join(' ')}` };
        },
        waitVisible: (name, version, timeoutMs, onPoll) => waitForVersion(deps.target.indexUrl, name, version, {
            ...readOptions,
            timeoutMs,
            clock: deps.clock,
            onPoll
        })
    };
}
/**
 * Packages and verify-builds every crate about to be uploaded in one cargo invocation, before
 * anything is uploaded. cargo (>= 1.90) packages the selected members into a local overlay, so a
 * crate whose in-plan dependencies are not on the live registry yet still resolves them.
 */
async function verifyCrates(crates, deps) {
    const args = ['package', ...crates.flatMap(c => ['-p', c.name]), ...commonArgs(deps)];
    // The verification build runs build scripts: it gets the token only when the registry will
    // not serve its index without one.
    const result = await deps.cargo(args, {
        cwd: deps.workspaceRoot,
        env: { ...deps.env, ...deps.target.cargoEnv(deps.authRequired ? deps.indexToken : undefined) }
    });
    return { ...result, command: `cargo ${args.join(' ')}` };
}

const BLOCK = 512;
function text(block, start, length) {
    const raw = block.subarray(start, start + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
}
function octal(block, start, length) {
    const value = text(block, start, length).trim();
    return value === '' ? 0 : parseInt(value, 8);
}
/** The `path` record of a pax extended header, if any. */
function paxPath(data) {
    let at = 0;
    while (at < data.length) {
        const space = data.indexOf(0x20, at);
        if (space === -1)
            break;
        const length = parseInt(data.subarray(at, space).toString('utf8'), 10);
        if (!(length > 0))
            break;
        const record = data.subarray(space + 1, at + length - 1).toString('utf8');
        const eq = record.indexOf('=');
        if (record.slice(0, eq) === 'path')
            return record.slice(eq + 1);
        at += length;
    }
    return undefined;
}
/**
 * The sha256 of every regular file in a `.crate` (a gzipped tar whose entries all lie under
 * `<name>-<version>/`), keyed by the path below that folder. Long names come as GNU `L` entries
 * or pax headers, both of which cargo's tar writer may use.
 */
function crateFileHashes(crate) {
    const tar = gunzipSync(crate);
    const files = new Map();
    let longName;
    for (let at = 0; at + BLOCK <= tar.length;) {
        const header = tar.subarray(at, at + BLOCK);
        if (header.every(b => b === 0))
            break;
        const size = octal(header, 124, 12);
        const type = String.fromCharCode(header[156] ?? 0);
        const data = tar.subarray(at + BLOCK, at + BLOCK + size);
        at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
        if (type === 'L') {
            longName = text(data, 0, data.length);
            continue;
        }
        if (type === 'x') {
            longName = paxPath(data) ?? longName;
            continue;
        }
        const prefix = text(header, 345, 155);
        const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
        longName = undefined;
        if (type !== '0' && type !== '\0')
            continue;
        const path = name.slice(name.indexOf('/') + 1);
        files.set(path, createHash('sha256').update(data).digest('hex'));
    }
    return files;
}

const GENERATED = new Set(['Cargo.toml', 'Cargo.lock', '.cargo_vcs_info.json']);
const READ_TIMEOUT_MS = 60_000;
const MARKERS = /\{(crate|version|prefix|lowerprefix|sha256-checksum)\}/;
function message(error) {
    return error instanceof Error ? error.message : String(error);
}
function prefixOf(name) {
    if (name.length <= 2)
        return String(name.length);
    if (name.length === 3)
        return `3/${name[0]}`;
    return `${name.slice(0, 2)}/${name.slice(2, 4)}`;
}
/** cargo's rule for config.json's `dl`: a template with markers, else `<dl>/<crate>/<version>/download`. */
function downloadUrl(dl, name, version, cksum) {
    if (!MARKERS.test(dl))
        return `${dl.replace(/\/+$/, '')}/${name}/${version}/download`;
    return dl
        .replaceAll('{crate}', name)
        .replaceAll('{version}', version)
        .replaceAll('{prefix}', prefixOf(name))
        .replaceAll('{lowerprefix}', prefixOf(name).toLowerCase())
        .replaceAll('{sha256-checksum}', cksum);
}
/** Paths whose contents differ between the live archive and the local sources. Pure. */
function differingFiles(live, local) {
    const paths = new Set([...live.keys(), ...local.keys()]);
    return [...paths].filter(p => !GENERATED.has(p) && live.get(p) !== local.get(p)).sort();
}
/** For each planned crate, what the live registry holds of its planned version. */
async function compareLiveVersions(crates, deps) {
    // A live registry that hangs must not hang the run: the version is then "unknown".
    const signal = () => AbortSignal.timeout(READ_TIMEOUT_MS);
    const read = { fetch: deps.fetch, ...(deps.token ? { token: deps.token } : {}) };
    let dl;
    // A host that did not resolve will not resolve for the next crate either: asking again only
    // waits for the resolver (5 s a time where it drops bursts of queries, as offline ones do).
    let unresolved;
    const offline = (host) => ({
        kind: 'unknown',
        reason: `its live index could not be read: cannot resolve ${host} (DNS; is this machine offline?)`
    });
    const results = await mapLimit(crates, 4, async (crate) => {
        if (unresolved !== undefined)
            return offline(unresolved);
        let cksum;
        try {
            const entries = await fetchIndexEntries(deps.indexUrl, crate.name, {
                ...read,
                signal: signal()
            });
            const entry = entries?.find(e => e.vers === crate.version);
            if (!entry)
                return { kind: 'new' };
            cksum = entry.cksum;
        }
        catch (error) {
            const host = unresolvedHost(error);
            if (host === undefined) {
                return { kind: 'unknown', reason: `its live index could not be read: ${message(error)}` };
            }
            unresolved ??= host;
            return offline(host);
        }
        try {
            dl ??= fetchRegistryConfig(deps.indexUrl, { ...read, signal: signal() }).then(c => c.dl);
            const url = downloadUrl(await dl, crate.name, crate.version, cksum);
            const res = await deps.fetch(url, {
                headers: deps.token ? { Authorization: deps.token } : {},
                redirect: 'follow',
                signal: signal()
            });
            if (res.status !== 200) {
                await res.body?.cancel();
                throw new Error(`GET ${url} answered ${res.status}`);
            }
            const live = crateFileHashes(Buffer.from(await res.arrayBuffer()));
            const localEntries = await packagedEntries(crate, deps.workspaceRoot, {
                cargo: deps.cargo,
                env: deps.env,
                ...(deps.stateDir !== undefined ? { stateDir: deps.stateDir } : {})
            });
            const local = new Map(localEntries.map(e => [e.path, e.sha256]));
            const files = differingFiles(live, local).filter(p => !p.startsWith('<'));
            return files.length === 0 ? { kind: 'same' } : { kind: 'different', files };
        }
        catch (error) {
            return {
                kind: 'unknown',
                reason: `the published archive could not be compared: ${message(error)}`
            };
        }
    });
    return new Map(crates.map((c, i) => [c.name, results[i]]));
}
/** A line per crate whose planned version is live, saying what that means. */
function describeLiveVersion(crate, state, target) {
    const key = `${crate.name}@${crate.version}`;
    switch (state.kind) {
        case 'new':
            return undefined;
        case 'same':
            return `${key} is already on '${target}' with these exact sources: a partial release being resumed (it will not be uploaded again)`;
        case 'different':
            return `${key} is already on '${target}' with other contents (${state.files.slice(0, 5).join(', ')}${state.files.length > 5 ? ', …' : ''} differ): bump the version of ${crate.name}`;
        case 'unknown':
            return `${key}: whether '${target}' already has this version is unknown: ${state.reason}`;
    }
}

var require$$0 = [
	"0BSD",
	"3D-Slicer-1.0",
	"AAL",
	"ADSL",
	"AFL-1.1",
	"AFL-1.2",
	"AFL-2.0",
	"AFL-2.1",
	"AFL-3.0",
	"AGPL-1.0-only",
	"AGPL-1.0-or-later",
	"AGPL-3.0-only",
	"AGPL-3.0-or-later",
	"ALGLIB-Documentation",
	"AMD-newlib",
	"AMDPLPA",
	"AML",
	"AML-glslang",
	"AMPAS",
	"ANTLR-PD",
	"ANTLR-PD-fallback",
	"APAFML",
	"APL-1.0",
	"APSL-1.0",
	"APSL-1.1",
	"APSL-1.2",
	"APSL-2.0",
	"ASWF-Digital-Assets-1.0",
	"ASWF-Digital-Assets-1.1",
	"Abstyles",
	"AdaCore-doc",
	"Adobe-2006",
	"Adobe-Display-PostScript",
	"Adobe-Glyph",
	"Adobe-Utopia",
	"Advanced-Cryptics-Dictionary",
	"Afmparse",
	"Aladdin",
	"Apache-1.0",
	"Apache-1.1",
	"Apache-2.0",
	"App-s2p",
	"Arphic-1999",
	"Artistic-1.0",
	"Artistic-1.0-Perl",
	"Artistic-1.0-cl8",
	"Artistic-2.0",
	"Artistic-dist",
	"Aspell-RU",
	"BOLA-1.1",
	"BSD-1-Clause",
	"BSD-2-Clause",
	"BSD-2-Clause-Darwin",
	"BSD-2-Clause-Patent",
	"BSD-2-Clause-Views",
	"BSD-2-Clause-first-lines",
	"BSD-2-Clause-pkgconf-disclaimer",
	"BSD-2-Clause-pos-unchanged",
	"BSD-3-Clause",
	"BSD-3-Clause-Attribution",
	"BSD-3-Clause-Clear",
	"BSD-3-Clause-HP",
	"BSD-3-Clause-LBNL",
	"BSD-3-Clause-Modification",
	"BSD-3-Clause-No-Military-License",
	"BSD-3-Clause-No-Nuclear-License",
	"BSD-3-Clause-No-Nuclear-License-2014",
	"BSD-3-Clause-No-Nuclear-Warranty",
	"BSD-3-Clause-Open-MPI",
	"BSD-3-Clause-OpenWebUI",
	"BSD-3-Clause-Sun",
	"BSD-3-Clause-Tso",
	"BSD-3-Clause-acpica",
	"BSD-3-Clause-flex",
	"BSD-4-Clause",
	"BSD-4-Clause-Shortened",
	"BSD-4-Clause-UC",
	"BSD-4.3RENO",
	"BSD-4.3TAHOE",
	"BSD-Advertising-Acknowledgement",
	"BSD-Attribution-HPND-disclaimer",
	"BSD-Inferno-Nettverk",
	"BSD-Mark-Modifications",
	"BSD-Protection",
	"BSD-Source-Code",
	"BSD-Source-Code-no-disclaimer",
	"BSD-Source-alt-GPL",
	"BSD-Source-beginning-file",
	"BSD-Systemics",
	"BSD-Systemics-W3Works",
	"BSD-ask-to-endorse",
	"BSL-1.0",
	"BUSL-1.1",
	"Baekmuk",
	"Bahyph",
	"Barr",
	"Beerware",
	"BitTorrent-1.0",
	"BitTorrent-1.1",
	"Bitstream-Charter",
	"Bitstream-Vera",
	"BlueOak-1.0.0",
	"Boehm-GC",
	"Boehm-GC-without-fee",
	"Borceux",
	"Brian-Gladman-2-Clause",
	"Brian-Gladman-3-Clause",
	"Brian-Gladman-3-Clause-no-conversion",
	"Buddy",
	"Bugroff",
	"C-UDA-1.0",
	"CAL-1.0",
	"CAL-1.0-Combined-Work-Exception",
	"CAPEC-tou",
	"CATOSL-1.1",
	"CC-BY-1.0",
	"CC-BY-2.0",
	"CC-BY-2.5",
	"CC-BY-2.5-AU",
	"CC-BY-3.0",
	"CC-BY-3.0-AT",
	"CC-BY-3.0-AU",
	"CC-BY-3.0-DE",
	"CC-BY-3.0-IGO",
	"CC-BY-3.0-NL",
	"CC-BY-3.0-US",
	"CC-BY-4.0",
	"CC-BY-NC-1.0",
	"CC-BY-NC-2.0",
	"CC-BY-NC-2.5",
	"CC-BY-NC-3.0",
	"CC-BY-NC-3.0-DE",
	"CC-BY-NC-3.0-IGO",
	"CC-BY-NC-4.0",
	"CC-BY-NC-ND-1.0",
	"CC-BY-NC-ND-2.0",
	"CC-BY-NC-ND-2.5",
	"CC-BY-NC-ND-3.0",
	"CC-BY-NC-ND-3.0-DE",
	"CC-BY-NC-ND-3.0-IGO",
	"CC-BY-NC-ND-4.0",
	"CC-BY-NC-SA-1.0",
	"CC-BY-NC-SA-2.0",
	"CC-BY-NC-SA-2.0-DE",
	"CC-BY-NC-SA-2.0-FR",
	"CC-BY-NC-SA-2.0-UK",
	"CC-BY-NC-SA-2.5",
	"CC-BY-NC-SA-3.0",
	"CC-BY-NC-SA-3.0-DE",
	"CC-BY-NC-SA-3.0-IGO",
	"CC-BY-NC-SA-4.0",
	"CC-BY-ND-1.0",
	"CC-BY-ND-2.0",
	"CC-BY-ND-2.5",
	"CC-BY-ND-3.0",
	"CC-BY-ND-3.0-DE",
	"CC-BY-ND-4.0",
	"CC-BY-SA-1.0",
	"CC-BY-SA-2.0",
	"CC-BY-SA-2.0-UK",
	"CC-BY-SA-2.1-JP",
	"CC-BY-SA-2.5",
	"CC-BY-SA-3.0",
	"CC-BY-SA-3.0-AT",
	"CC-BY-SA-3.0-DE",
	"CC-BY-SA-3.0-IGO",
	"CC-BY-SA-4.0",
	"CC-PDDC",
	"CC-PDM-1.0",
	"CC-SA-1.0",
	"CC0-1.0",
	"CDDL-1.0",
	"CDDL-1.1",
	"CDL-1.0",
	"CDLA-Permissive-1.0",
	"CDLA-Permissive-2.0",
	"CDLA-Sharing-1.0",
	"CECILL-1.0",
	"CECILL-1.1",
	"CECILL-2.0",
	"CECILL-2.1",
	"CECILL-B",
	"CECILL-C",
	"CERN-OHL-1.1",
	"CERN-OHL-1.2",
	"CERN-OHL-P-2.0",
	"CERN-OHL-S-2.0",
	"CERN-OHL-W-2.0",
	"CFITSIO",
	"CMU-Mach",
	"CMU-Mach-nodoc",
	"CNRI-Jython",
	"CNRI-Python",
	"CNRI-Python-GPL-Compatible",
	"COIL-1.0",
	"CPAL-1.0",
	"CPL-1.0",
	"CPOL-1.02",
	"CUA-OPL-1.0",
	"Caldera",
	"Caldera-no-preamble",
	"Catharon",
	"ClArtistic",
	"Clips",
	"Community-Spec-1.0",
	"Condor-1.1",
	"Cornell-Lossless-JPEG",
	"Cronyx",
	"Crossword",
	"CryptoSwift",
	"CrystalStacker",
	"Cube",
	"D-FSL-1.0",
	"DEC-3-Clause",
	"DL-DE-BY-2.0",
	"DL-DE-ZERO-2.0",
	"DOC",
	"DRL-1.0",
	"DRL-1.1",
	"DSDP",
	"DocBook-DTD",
	"DocBook-Schema",
	"DocBook-Stylesheet",
	"DocBook-XML",
	"Dotseqn",
	"ECL-1.0",
	"ECL-2.0",
	"EFL-1.0",
	"EFL-2.0",
	"EPICS",
	"EPL-1.0",
	"EPL-2.0",
	"ESA-PL-permissive-2.4",
	"ESA-PL-strong-copyleft-2.4",
	"ESA-PL-weak-copyleft-2.4",
	"EUDatagrid",
	"EUPL-1.0",
	"EUPL-1.1",
	"EUPL-1.2",
	"Elastic-2.0",
	"Entessa",
	"ErlPL-1.1",
	"Eurosym",
	"FBM",
	"FDK-AAC",
	"FDK-MPEG-H",
	"FSFAP",
	"FSFAP-no-warranty-disclaimer",
	"FSFUL",
	"FSFULLR",
	"FSFULLRSD",
	"FSFULLRWD",
	"FSL-1.1-ALv2",
	"FSL-1.1-MIT",
	"FTL",
	"Fair",
	"Ferguson-Twofish",
	"Frameworx-1.0",
	"FreeBSD-DOC",
	"FreeImage",
	"Furuseth",
	"GCR-docs",
	"GD",
	"GFDL-1.1-invariants-only",
	"GFDL-1.1-invariants-or-later",
	"GFDL-1.1-no-invariants-only",
	"GFDL-1.1-no-invariants-or-later",
	"GFDL-1.1-only",
	"GFDL-1.1-or-later",
	"GFDL-1.2-invariants-only",
	"GFDL-1.2-invariants-or-later",
	"GFDL-1.2-no-invariants-only",
	"GFDL-1.2-no-invariants-or-later",
	"GFDL-1.2-only",
	"GFDL-1.2-or-later",
	"GFDL-1.3-invariants-only",
	"GFDL-1.3-invariants-or-later",
	"GFDL-1.3-no-invariants-only",
	"GFDL-1.3-no-invariants-or-later",
	"GFDL-1.3-only",
	"GFDL-1.3-or-later",
	"GL2PS",
	"GLWTPL",
	"GPL-1.0-only",
	"GPL-1.0-or-later",
	"GPL-2.0-only",
	"GPL-2.0-or-later",
	"GPL-3.0-only",
	"GPL-3.0-or-later",
	"Game-Programming-Gems",
	"Giftware",
	"Glide",
	"Glulxe",
	"Graphics-Gems",
	"Gutmann",
	"HDF5",
	"HIDAPI",
	"HP-1986",
	"HP-1989",
	"HPND",
	"HPND-DEC",
	"HPND-Fenneberg-Livingston",
	"HPND-INRIA-IMAG",
	"HPND-Intel",
	"HPND-Kevlin-Henney",
	"HPND-MIT-disclaimer",
	"HPND-Markus-Kuhn",
	"HPND-Netrek",
	"HPND-Pbmplus",
	"HPND-SMC",
	"HPND-UC",
	"HPND-UC-export-US",
	"HPND-doc",
	"HPND-doc-sell",
	"HPND-export-US",
	"HPND-export-US-acknowledgement",
	"HPND-export-US-modify",
	"HPND-export2-US",
	"HPND-merchantability-variant",
	"HPND-sell-MIT-disclaimer-xserver",
	"HPND-sell-regexpr",
	"HPND-sell-variant",
	"HPND-sell-variant-MIT-disclaimer",
	"HPND-sell-variant-MIT-disclaimer-rev",
	"HPND-sell-variant-critical-systems",
	"HTMLTIDY",
	"HaskellReport",
	"Hippocratic-2.1",
	"Hippocratic-3.0-core",
	"IBM-pibs",
	"ICU",
	"IEC-Code-Components-EULA",
	"IJG",
	"IJG-short",
	"IPA",
	"IPL-1.0",
	"ISC",
	"ISC-Veillard",
	"ISO-permission",
	"ImageMagick",
	"Imlib2",
	"Info-ZIP",
	"Informatica",
	"Inner-Net-2.0",
	"InnoSetup",
	"Intel",
	"Intel-ACPI",
	"Interbase-1.0",
	"JPL-image",
	"JPNIC",
	"JSON",
	"Jam",
	"JasPer-2.0",
	"Kastrup",
	"Kazlib",
	"Knuth-CTAN",
	"LAL-1.2",
	"LAL-1.3",
	"LGPL-2.0-only",
	"LGPL-2.0-or-later",
	"LGPL-2.1-only",
	"LGPL-2.1-or-later",
	"LGPL-3.0-only",
	"LGPL-3.0-or-later",
	"LGPLLR",
	"LOOP",
	"LPD-document",
	"LPL-1.0",
	"LPL-1.02",
	"LPPL-1.0",
	"LPPL-1.1",
	"LPPL-1.2",
	"LPPL-1.3a",
	"LPPL-1.3c",
	"LZMA-SDK-9.11-to-9.20",
	"LZMA-SDK-9.22",
	"Latex2e",
	"Latex2e-translated-notice",
	"Leptonica",
	"LiLiQ-P-1.1",
	"LiLiQ-R-1.1",
	"LiLiQ-Rplus-1.1",
	"Libpng",
	"Linux-OpenIB",
	"Linux-man-pages-1-para",
	"Linux-man-pages-copyleft",
	"Linux-man-pages-copyleft-2-para",
	"Linux-man-pages-copyleft-var",
	"Lucida-Bitmap-Fonts",
	"MIPS",
	"MIT",
	"MIT-0",
	"MIT-CMU",
	"MIT-Click",
	"MIT-Festival",
	"MIT-Khronos-old",
	"MIT-Modern-Variant",
	"MIT-STK",
	"MIT-Wu",
	"MIT-advertising",
	"MIT-enna",
	"MIT-feh",
	"MIT-open-group",
	"MIT-testregex",
	"MITNFA",
	"MMIXware",
	"MMPL-1.0.1",
	"MPEG-SSG",
	"MPL-1.0",
	"MPL-1.1",
	"MPL-2.0",
	"MPL-2.0-no-copyleft-exception",
	"MS-LPL",
	"MS-PL",
	"MS-RL",
	"MTLL",
	"MVT-1.1",
	"Mackerras-3-Clause",
	"Mackerras-3-Clause-acknowledgment",
	"MakeIndex",
	"Martin-Birgmeier",
	"McPhee-slideshow",
	"Minpack",
	"MirOS",
	"Motosoto",
	"MulanPSL-1.0",
	"MulanPSL-2.0",
	"Multics",
	"Mup",
	"NAIST-2003",
	"NASA-1.3",
	"NBPL-1.0",
	"NCBI-PD",
	"NCGL-UK-2.0",
	"NCL",
	"NCSA",
	"NGPL",
	"NICTA-1.0",
	"NIST-PD",
	"NIST-PD-TNT",
	"NIST-PD-fallback",
	"NIST-Software",
	"NLOD-1.0",
	"NLOD-2.0",
	"NLPL",
	"NOSL",
	"NPL-1.0",
	"NPL-1.1",
	"NPOSL-3.0",
	"NRL",
	"NTIA-PD",
	"NTP",
	"NTP-0",
	"Naumen",
	"NetCDF",
	"Newsletr",
	"Nokia",
	"Noweb",
	"O-UDA-1.0",
	"OAR",
	"OCCT-PL",
	"OCLC-2.0",
	"ODC-By-1.0",
	"ODbL-1.0",
	"OFFIS",
	"OFL-1.0",
	"OFL-1.0-RFN",
	"OFL-1.0-no-RFN",
	"OFL-1.1",
	"OFL-1.1-RFN",
	"OFL-1.1-no-RFN",
	"OGC-1.0",
	"OGDL-Taiwan-1.0",
	"OGL-Canada-2.0",
	"OGL-UK-1.0",
	"OGL-UK-2.0",
	"OGL-UK-3.0",
	"OGTSL",
	"OLDAP-1.1",
	"OLDAP-1.2",
	"OLDAP-1.3",
	"OLDAP-1.4",
	"OLDAP-2.0",
	"OLDAP-2.0.1",
	"OLDAP-2.1",
	"OLDAP-2.2",
	"OLDAP-2.2.1",
	"OLDAP-2.2.2",
	"OLDAP-2.3",
	"OLDAP-2.4",
	"OLDAP-2.5",
	"OLDAP-2.6",
	"OLDAP-2.7",
	"OLDAP-2.8",
	"OLFL-1.3",
	"OML",
	"OPL-1.0",
	"OPL-UK-3.0",
	"OPUBL-1.0",
	"OSC-1.0",
	"OSET-PL-2.1",
	"OSL-1.0",
	"OSL-1.1",
	"OSL-2.0",
	"OSL-2.1",
	"OSL-3.0",
	"OSSP",
	"OpenMDW-1.0",
	"OpenPBS-2.3",
	"OpenSSL",
	"OpenSSL-standalone",
	"OpenVision",
	"PADL",
	"PDDL-1.0",
	"PHP-3.0",
	"PHP-3.01",
	"PPL",
	"PSF-2.0",
	"ParaType-Free-Font-1.3",
	"Parity-6.0.0",
	"Parity-7.0.0",
	"Pixar",
	"Plexus",
	"PolyForm-Noncommercial-1.0.0",
	"PolyForm-Small-Business-1.0.0",
	"PostgreSQL",
	"Python-2.0",
	"Python-2.0.1",
	"QPL-1.0",
	"QPL-1.0-INRIA-2004",
	"Qhull",
	"RHeCos-1.1",
	"RPL-1.1",
	"RPL-1.5",
	"RPSL-1.0",
	"RSA-MD",
	"RSCPL",
	"Rdisc",
	"Ruby",
	"Ruby-pty",
	"SAX-PD",
	"SAX-PD-2.0",
	"SCEA",
	"SGI-B-1.0",
	"SGI-B-1.1",
	"SGI-B-2.0",
	"SGI-OpenGL",
	"SGMLUG-PM",
	"SGP4",
	"SHL-0.5",
	"SHL-0.51",
	"SISSL",
	"SISSL-1.2",
	"SL",
	"SMAIL-GPL",
	"SMLNJ",
	"SMPPL",
	"SNIA",
	"SOFA",
	"SPL-1.0",
	"SSH-OpenSSH",
	"SSH-short",
	"SSLeay-standalone",
	"SSPL-1.0",
	"SUL-1.0",
	"SWL",
	"Saxpath",
	"SchemeReport",
	"Sendmail",
	"Sendmail-8.23",
	"Sendmail-Open-Source-1.1",
	"SimPL-2.0",
	"Sleepycat",
	"Soundex",
	"Spencer-86",
	"Spencer-94",
	"Spencer-99",
	"SugarCRM-1.1.3",
	"Sun-PPP",
	"Sun-PPP-2000",
	"SunPro",
	"Symlinks",
	"TAPR-OHL-1.0",
	"TCL",
	"TCP-wrappers",
	"TGPPL-1.0",
	"TMate",
	"TORQUE-1.1",
	"TOSL",
	"TPDL",
	"TPL-1.0",
	"TTWL",
	"TTYP0",
	"TU-Berlin-1.0",
	"TU-Berlin-2.0",
	"TekHVC",
	"TermReadKey",
	"ThirdEye",
	"TrustedQSL",
	"UCAR",
	"UCL-1.0",
	"UMich-Merit",
	"UPL-1.0",
	"URT-RLE",
	"Ubuntu-font-1.0",
	"UnRAR",
	"Unicode-3.0",
	"Unicode-DFS-2015",
	"Unicode-DFS-2016",
	"Unicode-TOU",
	"UnixCrypt",
	"Unlicense",
	"Unlicense-libtelnet",
	"Unlicense-libwhirlpool",
	"VOSTROM",
	"VSL-1.0",
	"Vim",
	"Vixie-Cron",
	"W3C",
	"W3C-19980720",
	"W3C-20150513",
	"WTFNMFPL",
	"WTFPL",
	"Watcom-1.0",
	"Widget-Workshop",
	"WordNet",
	"Wsuipa",
	"X11",
	"X11-distribute-modifications-variant",
	"X11-no-permit-persons",
	"X11-swapped",
	"XFree86-1.1",
	"XSkat",
	"Xdebug-1.03",
	"Xerox",
	"Xfig",
	"Xnet",
	"YPL-1.0",
	"YPL-1.1",
	"ZPL-1.1",
	"ZPL-2.0",
	"ZPL-2.1",
	"Zed",
	"Zeeff",
	"Zend-2.0",
	"Zimbra-1.3",
	"Zimbra-1.4",
	"Zlib",
	"any-OSI",
	"any-OSI-perl-modules",
	"atc-game",
	"bcrypt-Solar-Designer",
	"blessing",
	"bzip2-1.0.6",
	"check-cvs",
	"checkmk",
	"copyleft-next-0.3.0",
	"copyleft-next-0.3.1",
	"curl",
	"cve-tou",
	"diffmark",
	"dtoa",
	"dvipdfm",
	"eGenix",
	"etalab-2.0",
	"fwlw",
	"gSOAP-1.3b",
	"generic-xts",
	"gnuplot",
	"gtkbook",
	"hdparm",
	"hyphen-bulgarian",
	"iMatix",
	"jove",
	"libpng-1.6.35",
	"libpng-2.0",
	"libselinux-1.0",
	"libtiff",
	"libutil-David-Nugent",
	"lsof",
	"magaz",
	"mailprio",
	"man2html",
	"metamail",
	"mpi-permissive",
	"mpich2",
	"mplus",
	"ngrep",
	"pkgconf",
	"pnmstitch",
	"psfrag",
	"psutils",
	"python-ldap",
	"radvd",
	"snprintf",
	"softSurfer",
	"ssh-keyscan",
	"swrule",
	"threeparttable",
	"ulem",
	"w3m",
	"wwl",
	"xinetd",
	"xkeyboard-config-Zinoviev",
	"xlock",
	"xpp",
	"xzoom",
	"zlib-acknowledgement"
];

var require$$1 = [
	"AGPL-1.0",
	"AGPL-3.0",
	"BSD-2-Clause-FreeBSD",
	"BSD-2-Clause-NetBSD",
	"GFDL-1.1",
	"GFDL-1.2",
	"GFDL-1.3",
	"GPL-1.0",
	"GPL-2.0",
	"GPL-2.0-with-GCC-exception",
	"GPL-2.0-with-autoconf-exception",
	"GPL-2.0-with-bison-exception",
	"GPL-2.0-with-classpath-exception",
	"GPL-2.0-with-font-exception",
	"GPL-3.0",
	"GPL-3.0-with-GCC-exception",
	"GPL-3.0-with-autoconf-exception",
	"LGPL-2.0",
	"LGPL-2.1",
	"LGPL-3.0",
	"Net-SNMP",
	"Nunit",
	"StandardML-NJ",
	"bzip2-1.0.5",
	"eCos-2.0",
	"wxWindows"
];

var require$$2 = [
	"389-exception",
	"Asterisk-exception",
	"Autoconf-exception-2.0",
	"Autoconf-exception-3.0",
	"Autoconf-exception-generic",
	"Autoconf-exception-generic-3.0",
	"Autoconf-exception-macro",
	"Bison-exception-1.24",
	"Bison-exception-2.2",
	"Bootloader-exception",
	"Classpath-exception-2.0",
	"CLISP-exception-2.0",
	"cryptsetup-OpenSSL-exception",
	"DigiRule-FOSS-exception",
	"eCos-exception-2.0",
	"Fawkes-Runtime-exception",
	"FLTK-exception",
	"fmt-exception",
	"Font-exception-2.0",
	"freertos-exception-2.0",
	"GCC-exception-2.0",
	"GCC-exception-2.0-note",
	"GCC-exception-3.1",
	"Gmsh-exception",
	"GNAT-exception",
	"GNOME-examples-exception",
	"GNU-compiler-exception",
	"gnu-javamail-exception",
	"GPL-3.0-interface-exception",
	"GPL-3.0-linking-exception",
	"GPL-3.0-linking-source-exception",
	"GPL-CC-1.0",
	"GStreamer-exception-2005",
	"GStreamer-exception-2008",
	"i2p-gpl-java-exception",
	"KiCad-libraries-exception",
	"LGPL-3.0-linking-exception",
	"libpri-OpenH323-exception",
	"Libtool-exception",
	"Linux-syscall-note",
	"LLGPL",
	"LLVM-exception",
	"LZMA-exception",
	"mif-exception",
	"OCaml-LGPL-linking-exception",
	"OCCT-exception-1.0",
	"OpenJDK-assembly-exception-1.0",
	"openvpn-openssl-exception",
	"PS-or-PDF-font-exception-20170817",
	"QPL-1.0-INRIA-2004-exception",
	"Qt-GPL-exception-1.0",
	"Qt-LGPL-exception-1.1",
	"Qwt-exception-1.0",
	"SANE-exception",
	"SHL-2.0",
	"SHL-2.1",
	"stunnel-exception",
	"SWI-exception",
	"Swift-exception",
	"Texinfo-exception",
	"u-boot-exception-2.0",
	"UBDL-exception",
	"Universal-FOSS-exception-1.0",
	"vsftpd-openssl-exception",
	"WxWindows-exception-3.1",
	"x11vnc-openssl-exception"
];

var scan;
var hasRequiredScan;

function requireScan () {
	if (hasRequiredScan) return scan;
	hasRequiredScan = 1;

	var licenses = []
	  .concat(require$$0)
	  .concat(require$$1);
	var exceptions = require$$2;

	scan = function (source) {
	  var index = 0;

	  function hasMore () {
	    return index < source.length
	  }

	  // `value` can be a regexp or a string.
	  // If it is recognized, the matching source string is returned and
	  // the index is incremented. Otherwise `undefined` is returned.
	  function read (value) {
	    if (value instanceof RegExp) {
	      var chars = source.slice(index);
	      var match = chars.match(value);
	      if (match) {
	        index += match[0].length;
	        return match[0]
	      }
	    } else {
	      if (source.indexOf(value, index) === index) {
	        index += value.length;
	        return value
	      }
	    }
	  }

	  function skipWhitespace () {
	    read(/[ ]*/);
	  }

	  function operator () {
	    var string;
	    var possibilities = [/^WITH/i, /^AND/i, /^OR/i, '(', ')', ':', '+'];
	    for (var i = 0; i < possibilities.length; i++) {
	      string = read(possibilities[i]);
	      if (string) {
	        break
	      }
	    }

	    if (string === '+' && index > 1 && source[index - 2] === ' ') {
	      throw new Error('Space before `+`')
	    }

	    return string && {
	      type: 'OPERATOR',
	      string: string.toUpperCase()
	    }
	  }

	  function idstring () {
	    return read(/[A-Za-z0-9-.]+/)
	  }

	  function expectIdstring () {
	    var string = idstring();
	    if (!string) {
	      throw new Error('Expected idstring at offset ' + index)
	    }
	    return string
	  }

	  function documentRef () {
	    if (read('DocumentRef-')) {
	      var string = expectIdstring();
	      return { type: 'DOCUMENTREF', string: string }
	    }
	  }

	  function licenseRef () {
	    if (read('LicenseRef-')) {
	      var string = expectIdstring();
	      return { type: 'LICENSEREF', string: string }
	    }
	  }

	  function identifier () {
	    var begin = index;
	    var string = idstring();

	    if (licenses.indexOf(string) !== -1) {
	      return {
	        type: 'LICENSE',
	        string: string
	      }
	    } else if (exceptions.indexOf(string) !== -1) {
	      return {
	        type: 'EXCEPTION',
	        string: string
	      }
	    }

	    index = begin;
	  }

	  // Tries to read the next token. Returns `undefined` if no token is
	  // recognized.
	  function parseToken () {
	    // Ordering matters
	    return (
	      operator() ||
	      documentRef() ||
	      licenseRef() ||
	      identifier()
	    )
	  }

	  var tokens = [];
	  while (hasMore()) {
	    skipWhitespace();
	    if (!hasMore()) {
	      break
	    }

	    var token = parseToken();
	    if (!token) {
	      throw new Error('Unexpected `' + source[index] +
	                      '` at offset ' + index)
	    }

	    tokens.push(token);
	  }
	  return tokens
	};
	return scan;
}

var parse;
var hasRequiredParse;

function requireParse () {
	if (hasRequiredParse) return parse;
	hasRequiredParse = 1;

	// The ABNF grammar in the spec is totally ambiguous.
	//
	// This parser follows the operator precedence defined in the
	// `Order of Precedence and Parentheses` section.

	parse = function (tokens) {
	  var index = 0;

	  function hasMore () {
	    return index < tokens.length
	  }

	  function token () {
	    return hasMore() ? tokens[index] : null
	  }

	  function next () {
	    if (!hasMore()) {
	      throw new Error()
	    }
	    index++;
	  }

	  function parseOperator (operator) {
	    var t = token();
	    if (t && t.type === 'OPERATOR' && operator === t.string) {
	      next();
	      return t.string
	    }
	  }

	  function parseWith () {
	    if (parseOperator('WITH')) {
	      var t = token();
	      if (t && t.type === 'EXCEPTION') {
	        next();
	        return t.string
	      }
	      throw new Error('Expected exception after `WITH`')
	    }
	  }

	  function parseLicenseRef () {
	    // TODO: Actually, everything is concatenated into one string
	    // for backward-compatibility but it could be better to return
	    // a nice structure.
	    var begin = index;
	    var string = '';
	    var t = token();
	    if (t.type === 'DOCUMENTREF') {
	      next();
	      string += 'DocumentRef-' + t.string + ':';
	      if (!parseOperator(':')) {
	        throw new Error('Expected `:` after `DocumentRef-...`')
	      }
	    }
	    t = token();
	    if (t === null) {
	      throw new Error('Unexpected end of input')
	    }
	    if (t.type === 'LICENSEREF') {
	      next();
	      string += 'LicenseRef-' + t.string;
	      var node = { license: string };
	      var exception = parseWith();
	      if (exception) {
	        node.exception = exception;
	      }
	      return node
	    }
	    index = begin;
	  }

	  function parseLicense () {
	    var t = token();
	    if (t && t.type === 'LICENSE') {
	      next();
	      var node = { license: t.string };
	      if (parseOperator('+')) {
	        node.plus = true;
	      }
	      var exception = parseWith();
	      if (exception) {
	        node.exception = exception;
	      }
	      return node
	    }
	  }

	  function parseParenthesizedExpression () {
	    var left = parseOperator('(');
	    if (!left) {
	      return
	    }

	    var expr = parseExpression();

	    if (!parseOperator(')')) {
	      throw new Error('Expected `)`')
	    }

	    return expr
	  }

	  function parseAtom () {
	    return (
	      parseParenthesizedExpression() ||
	      parseLicenseRef() ||
	      parseLicense()
	    )
	  }

	  function makeBinaryOpParser (operator, nextParser) {
	    return function parseBinaryOp () {
	      var left = nextParser();
	      if (!left) {
	        return
	      }

	      if (!parseOperator(operator)) {
	        return left
	      }

	      var right = parseBinaryOp();
	      if (!right) {
	        throw new Error('Expected expression')
	      }
	      return {
	        left: left,
	        conjunction: operator.toLowerCase(),
	        right: right
	      }
	    }
	  }

	  var parseAnd = makeBinaryOpParser('AND', parseAtom);
	  var parseExpression = makeBinaryOpParser('OR', parseAnd);

	  var node = parseExpression();
	  if (!node || hasMore()) {
	    throw new Error('Syntax error')
	  }
	  return node
	};
	return parse;
}

var spdxExpressionParse;
var hasRequiredSpdxExpressionParse;

function requireSpdxExpressionParse () {
	if (hasRequiredSpdxExpressionParse) return spdxExpressionParse;
	hasRequiredSpdxExpressionParse = 1;

	var scan = requireScan();
	var parse = requireParse();

	spdxExpressionParse = function (source) {
	  return parse(scan(source))
	};
	return spdxExpressionParse;
}

var spdxExpressionParseExports = requireSpdxExpressionParse();
var parseSpdx = /*@__PURE__*/getDefaultExportFromCjs(spdxExpressionParseExports);

/**
 * crates.io's category slugs, generated from src/boot/categories.toml of rust-lang/crates.io at
 * commit 57fa000662f5 (2026-08-21). Regenerate from that file when crates.io adds categories.
 */
const CRATES_IO_CATEGORIES = new Set([
    'accessibility',
    'aerospace',
    'aerospace::drones',
    'aerospace::protocols',
    'aerospace::simulation',
    'aerospace::space-protocols',
    'aerospace::unmanned-aerial-vehicles',
    'algorithms',
    'api-bindings',
    'artificial-intelligence',
    'asynchronous',
    'authentication',
    'automotive',
    'caching',
    'command-line-interface',
    'command-line-utilities',
    'compilers',
    'compression',
    'computer-vision',
    'concurrency',
    'config',
    'cryptography',
    'cryptography::cryptocurrencies',
    'data-structures',
    'database',
    'database-implementations',
    'date-and-time',
    'development-tools',
    'development-tools::build-utils',
    'development-tools::cargo-plugins',
    'development-tools::debugging',
    'development-tools::ffi',
    'development-tools::procedural-macro-helpers',
    'development-tools::profiling',
    'development-tools::testing',
    'email',
    'embedded',
    'emulators',
    'encoding',
    'external-ffi-bindings',
    'filesystem',
    'finance',
    'game-development',
    'game-engines',
    'games',
    'graphics',
    'gui',
    'hardware-support',
    'internationalization',
    'localization',
    'mathematics',
    'memory-management',
    'multimedia',
    'multimedia::audio',
    'multimedia::encoding',
    'multimedia::images',
    'multimedia::video',
    'network-programming',
    'no-std',
    'no-std::no-alloc',
    'os',
    'os::android-apis',
    'os::freebsd-apis',
    'os::linux-apis',
    'os::macos-apis',
    'os::unix-apis',
    'os::windows-apis',
    'parser-implementations',
    'parsing',
    'rendering',
    'rendering::data-formats',
    'rendering::engine',
    'rendering::graphics-api',
    'rust-patterns',
    'science',
    'science::bioinformatics',
    'science::bioinformatics::genomics',
    'science::bioinformatics::proteomics',
    'science::bioinformatics::sequence-analysis',
    'science::computational-biology',
    'science::computational-biology::structural-modeling',
    'science::computational-biology::systems-biology',
    'science::computational-chemistry',
    'science::computational-chemistry::cheminformatics',
    'science::computational-chemistry::electronic-structure',
    'science::computational-chemistry::molecular-simulation',
    'science::geo',
    'science::materials',
    'science::neuroscience',
    'science::quantum-computing',
    'science::robotics',
    'security',
    'simulation',
    'template-engine',
    'text-editors',
    'text-processing',
    'value-formatting',
    'virtualization',
    'visualization',
    'wasm',
    'web-programming',
    'web-programming::http-client',
    'web-programming::http-server',
    'web-programming::websocket'
]);

/**
 * crates.io's upload rules, pure: the one rule set both the action's own preflight (every planned
 * crate, whatever the rehearsal registry) and the embedded registry's strict mode apply.
 *
 * Facts, read from rust-lang/crates.io (publish controller, `crates_io_validation`, the
 * `reserved_crate_names` migrations, `licenses.rs`; main of 2026-08-21):
 * - `description` and (`license` or `license-file`) must be non-empty; a description is at most
 *   1000 bytes.
 * - `license` is parsed by the `spdx` crate with `/` accepted as OR, deprecated identifiers and
 *   GPL's postfix `+` accepted, identifiers case-sensitive, operators in any case, unknown
 *   identifiers refused. spdx-expression-parse (npm) has the same grammar and list.
 * - at most 5 keywords, each at most 20 bytes, starting with an ASCII letter or digit and then
 *   only ASCII letters, digits, `_`, `-`, `+`; at most 5 categories.
 * - an unknown category slug is refused: crates.io turned that warning into an error in June
 *   2024 (commit 26ead88f), so it is an error here too.
 * - crate names: at most 64 characters, an ASCII letter first, then ASCII letters, digits, `-`,
 *   `_`; a name equal to a reserved one up to case and `-`/`_` is refused for a new crate.
 * - the upload is at most 10 MiB.
 */
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const MAX_NAME_LENGTH = 64;
const MAX_DESCRIPTION_LENGTH = 1000;
const MAX_KEYWORDS = 5;
const MAX_KEYWORD_LENGTH = 20;
const MAX_CATEGORIES = 5;
/** crates.io's reserved crate names (its first migration, then Windows device names). */
const RESERVED_NAMES = [
    'alloc',
    'arena',
    'ast',
    'builtins',
    'collections',
    'compiler-builtins',
    'compiler-rt',
    'compiletest',
    'core',
    'coretest',
    'debug',
    'driver',
    'flate',
    'fmt_macros',
    'grammar',
    'graphviz',
    'macro',
    'macros',
    'proc_macro',
    'rbml',
    'rust-installer',
    'rustbook',
    'rustc',
    'rustc_back',
    'rustc_borrowck',
    'rustc_driver',
    'rustc_llvm',
    'rustc_resolve',
    'rustc_trans',
    'rustc_typeck',
    'rustdoc',
    'rustllvm',
    'rustuv',
    'serialize',
    'std',
    'syntax',
    'test',
    'unicode',
    'nul',
    'con',
    'prn',
    'aux',
    ...Array.from({ length: 10 }, (_, i) => `com${i}`),
    ...Array.from({ length: 10 }, (_, i) => `lpt${i}`)
];
/** crates.io's `canon_crate_name`: names equal up to case and `-`/`_` are the same crate. */
function canonicalName(name) {
    return name.toLowerCase().replace(/-/g, '_');
}
const RESERVED = new Set(RESERVED_NAMES.map(canonicalName));
function isReservedName(name) {
    return RESERVED.has(canonicalName(name));
}
/** crates.io's crate-name rule; `what` is "crate" or "dependency". */
function crateNameProblem(name, what) {
    const chars = [...name];
    if (chars.length > MAX_NAME_LENGTH) {
        return `the ${what} name \`${name}\` is too long (max ${MAX_NAME_LENGTH} characters)`;
    }
    const first = chars[0];
    if (first === undefined)
        return `${what} name cannot be empty`;
    if (/[0-9]/.test(first)) {
        return `the name \`${name}\` cannot be used as a ${what} name, the name cannot start with a digit`;
    }
    if (!/[A-Za-z]/.test(first)) {
        return `invalid character \`${first}\` in ${what} name: \`${name}\`, the first character must be an ASCII character`;
    }
    const wrong = chars.find(c => !/[A-Za-z0-9_-]/.test(c));
    if (wrong !== undefined) {
        return `invalid character \`${wrong}\` in ${what} name: \`${name}\`, characters must be an ASCII alphanumeric characters, \`-\`, or \`_\``;
    }
    return null;
}
/** crates.io's `Keyword::valid_name`. */
function isValidKeyword(keyword) {
    return /^[A-Za-z0-9][A-Za-z0-9_+-]*$/.test(keyword);
}
/** True when crates.io's SPDX parser accepts the expression (with `/` as the legacy OR). */
function isValidLicenseExpression(license) {
    try {
        parseSpdx(license.replace(/\s*\/\s*/g, ' OR '));
        return true;
    }
    catch {
        return false;
    }
}
function empty$1(s) {
    return s === undefined || s === null || s === '';
}
/** crates.io's wording for missing fields, as the embedded registry answers. */
function missingFieldsMessage(missing) {
    return `missing or empty metadata fields: ${missing.join(', ')}. Please see https://doc.rust-lang.org/cargo/reference/manifest.html for more information on configuring these fields`;
}
/**
 * Every problem crates.io would refuse the crate's manifest for, in crates.io's order (the
 * registry answers with the first; the preflight lists them all).
 */
function cratesIoProblems(fields) {
    const problems = [];
    const nameProblem = crateNameProblem(fields.name, 'crate');
    if (nameProblem) {
        problems.push({
            field: 'package.name',
            message: nameProblem,
            fix: 'rename the crate: ASCII letters, digits, `-` and `_`, a letter first, at most 64 characters'
        });
    }
    else if (isReservedName(fields.name)) {
        problems.push({
            field: 'package.name',
            message: 'cannot upload a crate with a reserved name',
            fix: `\`${fields.name}\` is reserved on crates.io (Rust's own crates and Windows device names): choose another name`
        });
    }
    if (empty$1(fields.description)) {
        problems.push({
            field: 'package.description',
            message: missingFieldsMessage(['description']),
            missing: 'description',
            fix: 'add `description = "..."` (one sentence on what the crate does) to [package]'
        });
    }
    else if (Buffer.byteLength(fields.description ?? '') > MAX_DESCRIPTION_LENGTH) {
        problems.push({
            field: 'package.description',
            message: `The \`description\` is too long. A maximum of ${MAX_DESCRIPTION_LENGTH} characters are currently allowed.`,
            fix: `shorten the description to ${MAX_DESCRIPTION_LENGTH} bytes or less`
        });
    }
    if (empty$1(fields.license) && empty$1(fields.licenseFile)) {
        problems.push({
            field: 'package.license',
            message: missingFieldsMessage(['license']),
            missing: 'license',
            fix: 'add an SPDX `license = "MIT OR Apache-2.0"` (or `license-file = "LICENSE"` for a license SPDX does not list) to [package]'
        });
    }
    else if (!empty$1(fields.license) && !isValidLicenseExpression(fields.license)) {
        problems.push({
            field: 'package.license',
            message: `unknown or invalid license expression \`${fields.license}\`; see http://spdx.org/licenses/ for their identifiers`,
            fix: 'write an SPDX expression of listed identifiers (e.g. `MIT OR Apache-2.0`, case-sensitive), or use `license-file` for a non-standard license'
        });
    }
    if (fields.keywords.length > MAX_KEYWORDS) {
        problems.push({
            field: 'package.keywords',
            message: `expected at most ${MAX_KEYWORDS} keywords per crate`,
            fix: `keep at most ${MAX_KEYWORDS} keywords (it has ${fields.keywords.length})`
        });
    }
    for (const keyword of fields.keywords) {
        if (Buffer.byteLength(keyword) > MAX_KEYWORD_LENGTH) {
            problems.push({
                field: 'package.keywords',
                message: `"${keyword}" is an invalid keyword (keywords must have less than 20 characters)`,
                fix: `shorten "${keyword}" to ${MAX_KEYWORD_LENGTH} characters or less`
            });
        }
        else if (!isValidKeyword(keyword)) {
            problems.push({
                field: 'package.keywords',
                message: `"${keyword}" is an invalid keyword`,
                fix: `make "${keyword}" start with an ASCII letter or digit and use only ASCII letters, digits, \`_\`, \`-\` and \`+\``
            });
        }
    }
    if (fields.categories.length > MAX_CATEGORIES) {
        problems.push({
            field: 'package.categories',
            message: `expected at most ${MAX_CATEGORIES} categories per crate`,
            fix: `keep at most ${MAX_CATEGORIES} categories (it has ${fields.categories.length})`
        });
    }
    const unknown = fields.categories.filter(c => !CRATES_IO_CATEGORIES.has(c));
    if (unknown.length > 0) {
        problems.push({
            field: 'package.categories',
            message: `The following category slugs are not currently supported on crates.io: ${unknown.join(', ')}`,
            fix: 'use slugs from https://crates.io/category_slugs (e.g. `command-line-utilities`, `development-tools::cargo-plugins`)'
        });
    }
    return problems;
}

/**
 * What the live registry will refuse in the planned crates' manifests, found from `cargo metadata`
 * before anything is packaged or uploaded, whatever registry the rehearsal runs against (kellnr
 * checks none of crates.io's rules). Every problem of every crate, in plan order. Pure but for
 * the file system, which the caller passes in (`fs`).
 *
 * - crates.io target: crates.io's rule set (src/crates-io-rules.ts, the one the embedded
 *   registry's strict mode applies), plus readme / license-file paths that must exist.
 * - any other target: readme / license-file paths, and every versioned in-workspace dependency
 *   must name the target registry: without `registry = "<target>"` cargo publishes it as a
 *   crates.io dependency, and packaging the dependent then looks for the sibling on crates.io.
 */
function sameIndex$1(a, b) {
    const norm = (u) => u.replace(/\/+$/, '').toLowerCase();
    return norm(a) === norm(b);
}
function manifestOf(pkg, workspaceRoot) {
    return relative(workspaceRoot, pkg.manifest_path) || pkg.manifest_path;
}
/** Every problem the target would refuse, for every planned crate. */
function manifestProblems(metadata, planned, target, fs) {
    const byName = new Map(metadata.packages.map(p => [p.name, p]));
    const members = new Set(metadata.packages
        .filter(p => metadata.workspace_members.includes(p.id))
        .map(p => resolve(dirname(p.manifest_path))));
    const problems = [];
    for (const crate of planned) {
        const pkg = byName.get(crate.name);
        if (!pkg)
            continue;
        const add = (field, message, fix) => problems.push({
            crate: crate.name,
            version: crate.version,
            manifestPath: pkg.manifest_path,
            field,
            message,
            fix
        });
        const manifest = manifestOf(pkg, metadata.workspace_root);
        if (target.isCratesIo) {
            for (const p of cratesIoProblems({
                name: pkg.name,
                description: pkg.description,
                license: pkg.license,
                licenseFile: pkg.license_file,
                keywords: pkg.keywords ?? [],
                categories: pkg.categories ?? []
            })) {
                add(p.field, p.message, `${p.fix} in ${manifest}`);
            }
        }
        for (const [key, value] of [
            ['readme', pkg.readme],
            ['license-file', pkg.license_file]
        ]) {
            if (!value)
                continue;
            const path = isAbsolute(value) ? value : join(dirname(pkg.manifest_path), value);
            if (!fs.exists(path)) {
                add(`package.${key}`, `${key} \`${value}\` does not exist`, `create ${relative(metadata.workspace_root, path)} or correct \`${key}\` in ${manifest}`);
            }
        }
        if (!target.isCratesIo) {
            for (const dep of pkg.dependencies) {
                // A dev-dependency without a version is stripped by cargo; it never reaches a registry.
                if (!dep.path || dep.req === '*' || !members.has(resolve(dep.path)))
                    continue;
                if (dep.registry && sameIndex$1(dep.registry, target.indexUrl))
                    continue;
                const key = dep.rename ?? dep.name;
                const table = dep.kind === 'dev'
                    ? 'dev-dependencies'
                    : dep.kind === 'build'
                        ? 'build-dependencies'
                        : 'dependencies';
                add(`${table}.${key}`, dep.registry
                    ? `the in-workspace dependency ${dep.name} names another registry (${dep.registry}), not '${target.name}'`
                    : `the in-workspace dependency ${dep.name} has no \`registry\` key: cargo would publish it as a crates.io dependency, and packaging ${crate.name} fails with "failed to get \`${dep.name}\` as a dependency of package \`${crate.name}\`"`, fs.inherited(pkg.manifest_path, table, key)
                    ? `add \`registry = "${target.name}"\` to ${key} in [workspace.dependencies] of the workspace's Cargo.toml (${manifest} inherits it from there)`
                    : `add \`registry = "${target.name}"\` to ${key} in [${table}] of ${manifest}`);
            }
        }
    }
    return problems;
}
/** Packaged crates over crates.io's upload limit (kellnr's is 10 MB decimal, crates.io's 10 MiB). */
function oversizeProblems(sizes) {
    return sizes
        .filter(s => s.bytes > MAX_UPLOAD_BYTES)
        .map(s => ({
        crate: s.name,
        version: s.version,
        field: 'package.include',
        message: `the packaged crate is ${s.bytes} bytes; crates.io accepts at most ${MAX_UPLOAD_BYTES} (10 MiB)`,
        fix: `leave large files out with \`include\` / \`exclude\` in [package] (\`cargo package --list -p ${s.name}\` shows what is packaged)`
    }));
}
/** One line naming crate, field, problem and fix. */
function describeProblem(p) {
    return `${p.crate}@${p.version}: ${p.field}: ${p.message} — fix: ${p.fix}`;
}
/**
 * cargo's error when a versioned in-workspace dependency without the target's `registry` key is
 * looked up on crates.io: permanent (no rerun helps), with the preflight's fix.
 */
function privateDependencyFailure(stderr, planned, target) {
    if (target.isCratesIo)
        return undefined;
    const match = /failed to get `([^`]+)` as a dependency of package `([^`\s]+)/.exec(stderr);
    const dep = match?.[1];
    const pkg = match?.[2];
    if (!dep || !pkg || !planned.some(c => c.name === dep))
        return undefined;
    return {
        message: `cargo looked for the in-workspace crate ${dep} (a dependency of ${pkg}) outside '${target.name}': failed to get \`${dep}\` as a dependency of package \`${pkg}\``,
        hint: `add \`registry = "${target.name}"\` to the ${dep} dependency in ${pkg}'s Cargo.toml (or to its entry in [workspace.dependencies]); nothing was uploaded`
    };
}

/**
 * The checks both modes run before any upload, so that a passing rehearsal predicts a successful
 * publish: the live registry's manifest rules (crates.io's, or a private target's registry keys)
 * and the planned versions it already has.
 */
/** A live version with other contents is a problem like any manifest problem: bump it. */
function liveVersionProblems(crates, live, target) {
    return crates.flatMap(crate => {
        const state = live.get(crate.name);
        if (state?.kind !== 'different')
            return [];
        return [
            {
                crate: crate.name,
                version: crate.version,
                field: 'package.version',
                message: `${crate.version} is already on '${target}' with other contents (${state.files.slice(0, 5).join(', ')}${state.files.length > 5 ? ', …' : ''})`,
                fix: `bump the version of ${crate.name}: a published version never changes`
            }
        ];
    });
}
const diskFiles = {
    exists: existsSync,
    inherited(manifestPath, table, key) {
        try {
            const manifest = parse$1(readFileSync(manifestPath, 'utf8'));
            const entry = manifest[table]?.[key];
            return entry?.workspace === true;
        }
        catch {
            return false;
        }
    }
};
/** The target's manifest rules for every planned crate (what `plan` shows); reads no index. */
async function manifestCheck(plan, options, deps) {
    const target = liveTarget(options, { ...process.env, ...deps.env });
    const env = { ...deps.env, ...target.cargoEnv(undefined) };
    const metadata = await loadMetadata(options.manifestPath, deps.cargo, env);
    return { target, env, problems: manifestProblems(metadata, plan.packages, target, diskFiles) };
}
/**
 * Reads the manifests and the live index; never throws for what the live registry says. Publish
 * mode runs the two steps apart: the manifests before its verification build, the live versions
 * after it (so a download the build needs is not spent on the comparison first).
 */
async function preflight(plan, options, deps, steps = {}) {
    const checked = await manifestCheck(plan, options, deps);
    const { target, env } = checked;
    const problems = steps.manifests === false ? [] : checked.problems;
    if (steps.live === false)
        return { target, problems, live: new Map(), resumed: [], unknown: [] };
    const liveToken = steps.liveToken;
    const live = await compareLiveVersions(plan.packages, {
        indexUrl: target.indexUrl,
        ...(liveToken && !target.isCratesIo ? { token: liveToken } : {}),
        fetch: deps.fetch,
        cargo: deps.cargo,
        env,
        workspaceRoot: plan.workspaceRoot,
        // The run's own records are never part of the local side (they are never packaged).
        stateDir: resolveStateDir(options, plan.workspaceRoot)
    });
    problems.push(...liveVersionProblems(plan.packages, live, target.name));
    const lines = (kind) => plan.packages.flatMap(c => {
        const state = live.get(c.name);
        const line = state?.kind === kind ? describeLiveVersion(c, state, target.name) : undefined;
        return line ? [line] : [];
    });
    return { target, problems, live, resumed: lines('same'), unknown: lines('unknown') };
}
/** The run's failure when the preflight found problems: all of them, in one message. */
function preflightFailure$1(problems, target) {
    const crates = new Set(problems.map(p => p.crate));
    return {
        class: 'permanent',
        message: `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${crates.size} crate${crates.size === 1 ? '' : 's'} that '${target}' would refuse, found before any upload: ${problems.map(describeProblem).join('; ')}`,
        hint: 'fix every problem listed (each names the crate, the field and the fix), then run again; nothing was uploaded'
    };
}
/**
 * Packaged crates over crates.io's upload limit (`cargo package` output in `targetDir`). Only
 * crates.io's limit is known; another target's is its own.
 */
async function oversizeCrates(plan, targetDir) {
    if (plan.registry !== CRATES_IO.name)
        return [];
    const sizes = await Promise.all(plan.packages.map(async (c) => ({
        name: c.name,
        version: c.version,
        bytes: (await stat(join(targetDir, 'package', `${c.name}-${c.version}.crate`))).size
    })));
    return oversizeProblems(sizes);
}

/**
 * What one phase knows of a registry's index: each crate's index file read once, so every check of
 * the phase (what is there already, the preview, the dropped dev-dependency edges) sees the same
 * answer without asking again.
 */
class IndexSnapshot {
    reads;
    constructor(reads) {
        this.reads = reads;
    }
    /** The crate's read; undefined when the snapshot did not ask for it. */
    read(name) {
        return this.reads.get(name);
    }
    /** The first of `names` (all crates read, by default) whose index file could not be read. */
    firstFailure(names = this.reads.keys()) {
        for (const name of names) {
            const read = this.reads.get(name);
            if (read && 'error' in read)
                return { name, error: read.error };
        }
        return undefined;
    }
    /** The crate's index entries; null when the registry does not know it, or it was not read. */
    entries(name) {
        const read = this.reads.get(name);
        return read && 'entries' in read ? read.entries : null;
    }
    /** Versions cargo may resolve (not yanked); null when unread or unreadable. */
    resolvableVersions(name) {
        const read = this.reads.get(name);
        if (!read || 'error' in read)
            return null;
        return (read.entries ?? []).filter(e => !e.yanked).map(e => e.vers);
    }
}
/** Reads the index file of each named crate once (duplicates asked once), bounded and retried. */
async function readIndexSnapshot(names, read, options = {}) {
    const unique = [...new Set(names)];
    const { retry } = options;
    const results = await mapLimit(unique, options.concurrency ?? 8, async (name) => {
        for (let attempt = 1;; attempt++) {
            try {
                return { entries: await read(name) };
            }
            catch (caught) {
                const error = caught instanceof Error ? caught : new Error(String(caught));
                if (!retry || attempt >= retry.maxAttempts || retry.final?.(error))
                    return { error };
                const delay = retry.delayMs(attempt);
                retry.onRetry?.(name, error, delay);
                await retry.clock.sleep(delay);
            }
        }
    });
    return new IndexSnapshot(new Map(unique.map((name, i) => [name, results[i]])));
}
/** A snapshot of a sparse index over HTTP, without retries (a preview or a warning may not wait). */
function readSparseSnapshot(indexUrl, names, options = {}) {
    const signal = AbortSignal.timeout(options.timeoutMs ?? 30_000);
    return readIndexSnapshot(names, name => fetchIndexEntries(indexUrl, name, {
        signal,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.token ? { token: options.token } : {})
    }));
}

/**
 * The checks publish mode makes after the gate and before the first upload. Each returns the
 * failure that stops the release (nothing uploaded), or nothing; none throws for control flow.
 */
/** An input error from a step becomes the run's failure; anything else still throws. */
async function inputCheck(step) {
    try {
        await step();
        return undefined;
    }
    catch (error) {
        if (!(error instanceof UserError))
            throw error;
        return { class: 'input', message: error.message, hint: error.hint };
    }
}
/**
 * What the live index holds of the plan (and of the dropped edges' targets), each crate read once.
 * A transient index error is retried like an upload's: one 5xx must not abort the release.
 */
async function firstLook(plan, live, target, options, ctx, scrub) {
    const snapshot = await readIndexSnapshot(liveIndexNames(plan), name => live.entries(name), {
        retry: {
            maxAttempts: options.maxAttempts,
            clock: ctx.clock,
            delayMs: attempt => retryDelayMs({
                attempt,
                baseMs: options.retryBaseMs,
                maxMs: options.retryMaxMs,
                random: ctx.random
            }),
            onRetry: (name, error, delay) => ctx.logger.warning(`reading ${name} from the live index failed (${scrub(error.message)}); retrying in ${Math.round(delay / 1000)}s`),
            final: error => unresolvedHost(error) !== undefined
        }
    });
    const unreadable = snapshot.firstFailure(plan.packages.map(c => c.name));
    if (!unreadable)
        return { ok: true, value: snapshot };
    const host = unresolvedHost(unreadable.error);
    if (host)
        return { ok: false, failure: unresolvedFailure(host, target.name) };
    return {
        ok: false,
        failure: {
            class: 'retryable',
            message: `could not read the live index of '${target.name}': ${scrub(unreadable.error.message)}`,
            hint: 'nothing was uploaded; rerun when the registry answers'
        }
    };
}
/** The dropped dev-dependency edges against the same reading; an unreadable target only warns. */
function checkDevEdges(plan, snapshot, ctx) {
    return inputCheck(async () => {
        const warnings = await checkDroppedDevEdges(plan, async (name) => snapshot.resolvableVersions(name));
        for (const warning of warnings)
            ctx.logger.warning(warning);
    });
}
/** Trusted publishing cannot create a crate: a first release needs a regular token. */
function checkNewCrates(remaining, snapshot, trustedPublishing, target) {
    const brandNew = remaining.filter(c => (snapshot.entries(c.name)?.length ?? 0) === 0);
    if (!trustedPublishing || brandNew.length === 0)
        return undefined;
    const names = brandNew.map(c => c.name).join(', ');
    const one = brandNew.length === 1;
    return {
        class: 'input',
        message: `trusted publishing cannot create new crates, and ${names} ${one ? 'is' : 'are'} not on '${target.name}' yet; nothing was uploaded`,
        hint: `publish the first version of ${names} with a regular token (\`token\` or ${target.tokenEnvVar}) and configure trusted publishing for ${one ? 'it' : 'them'}; later releases can use trusted publishing`
    };
}
/**
 * `verify: auto` skips cargo's verification build when the gate accepted a content-bound proof:
 * under `bind: content` the gate has checked that the rehearsal packaged these exact sources (and
 * the lock) with this toolchain, and the rehearsal compiled them. Anything less compiles. The
 * uploaded bytes are the same either way: they come from the upload copy, checked before each
 * upload. Pure.
 */
function chooseVerification(options, bypassed) {
    const mode = options.verify;
    if (mode === 'always') {
        return { mode, built: true, reason: 'verify: always compiles before uploading' };
    }
    if (options.bind !== 'content') {
        return {
            mode,
            built: true,
            reason: 'bind: plan proves no sources were compiled, so the build runs'
        };
    }
    if (bypassed) {
        return {
            mode,
            built: true,
            reason: 'the rehearsal was bypassed: nothing compiled these sources yet'
        };
    }
    return {
        mode,
        built: false,
        reason: 'the gate accepted a content-bound rehearsal of these exact sources made with this toolchain, which compiled them'
    };
}
/**
 * One verification build of everything left to upload, in the copy made for it (`verifyDeps`);
 * the command a user reruns names their own manifest (`manifestPath`), not the copy's.
 */
async function verifyRemaining(remaining, verifyDeps, context, ctx, scrub) {
    if (remaining.length === 0)
        return undefined;
    ctx.progress(`verifying ${remaining.length} crate${remaining.length === 1 ? '' : 's'} before any upload`);
    const verified = await verifyCrates([...remaining], verifyDeps);
    if (verified.exitCode === 0)
        return undefined;
    const privateDep = privateDependencyFailure(verified.stderr, context.plan.packages, context.target);
    if (privateDep)
        return { class: 'permanent', ...privateDep };
    // A registry that failed to serve a download is not a broken build.
    const transient = classifyCargoFailure(verified.stderr).class === 'retryable';
    return {
        class: transient ? 'retryable' : 'permanent',
        message: `verification failed before any upload: ${scrub(cargoErrorLine(verified.stderr))}`,
        hint: transient
            ? 'a registry did not answer while cargo fetched dependencies; nothing was uploaded, rerun when it does'
            : `fix the build, then rerun; \`${verified.command.replace(verifyDeps.manifestPath, context.manifestPath)}\` reproduces it`,
        stderrTail: scrub(cargoEvidence(verified.stderr))
    };
}

/** Which crates went out, which did not, and that a rerun is safe. */
function describeStop(stopped, runs, records, targetName) {
    const key = `${stopped.crate.name}@${stopped.crate.version}`;
    const error = stopped.failure ?? { class: 'permanent', message: 'failed' };
    const uploaded = runs.filter(r => r.uploaded).map(r => `${r.crate.name}@${r.crate.version}`);
    const notOut = records.filter(r => r.status === 'pending' ||
        (r.status === 'failed' && !runs.find(x => x.crate.name === r.name)?.uploaded));
    const parts = [
        `uploaded by this run: ${uploaded.length > 0 ? uploaded.join(', ') : 'none'}`,
        `already there: ${listOf(records, 'skipped')}`,
        `not published: ${notOut.length > 0 ? notOut.map(r => `${r.name}@${r.version}`).join(', ') : 'none'}`
    ];
    return {
        crate: {
            name: stopped.crate.name,
            version: stopped.crate.version,
            manifestPath: stopped.crate.manifestPath
        },
        class: error.class,
        message: `${key}: ${error.message}. ${parts.join('; ')}`,
        hint: `fix the cause and rerun the publish: versions already on '${targetName}' are skipped, so rerunning is safe`,
        ...(stopped.failure?.stderrTail ? { stderrTail: stopped.failure.stderrTail } : {})
    };
}
function listOf(records, status) {
    const names = records.filter(r => r.status === status).map(r => `${r.name}@${r.version}`);
    return names.length > 0 ? names.join(', ') : 'none';
}

/** crates.io's tokens live 30 minutes; minting again well before that keeps a long release going. */
const REMINT_AFTER_MS = 25 * 60 * 1000;
/** The audience crates.io expects is its host name (`crates.io`); other registries follow suit. */
function oidcAudience(apiBase) {
    return new URL(apiBase).hostname;
}
function chooseAuth(options, target, apiBase, env) {
    const fromInput = options.token.trim();
    const fromEnv = env[target.tokenEnvVar]?.trim() ?? '';
    const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL ?? '';
    const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? '';
    const haveOidc = Boolean(requestUrl && requestToken);
    const oidc = () => ({
        kind: 'oidc',
        requestUrl,
        requestToken,
        audience: oidcAudience(apiBase),
        evidence: { method: 'trusted_publishing', source: 'oidc', detail: apiBase }
    });
    const regular = () => {
        if (fromInput)
            return { kind: 'token', token: fromInput, evidence: { method: 'token', source: 'input' } };
        if (fromEnv) {
            return {
                kind: 'token',
                token: fromEnv,
                evidence: { method: 'token', source: 'env', detail: target.tokenEnvVar }
            };
        }
        return undefined;
    };
    if (options.trustedPublishing === 'true') {
        if (haveOidc)
            return oidc();
        return {
            kind: 'none',
            message: 'trusted-publishing is `true` but this job has no OIDC identity',
            hint: 'grant the job `permissions: id-token: write` (OIDC is only available inside GitHub Actions)',
            evidence: { method: 'none', source: 'none' }
        };
    }
    const token = regular();
    if (token)
        return token;
    if (options.trustedPublishing === 'auto' && haveOidc)
        return oidc();
    return {
        kind: 'none',
        message: `no token for the live registry '${target.name}'`,
        hint: options.trustedPublishing === 'false'
            ? `pass \`token\` or set ${target.tokenEnvVar}`
            : `pass \`token\`, set ${target.tokenEnvVar}, or grant \`id-token: write\` to use trusted publishing`,
        evidence: { method: 'none', source: 'none' }
    };
}
const oidcResponse = object({ value: string().min(1) });
const exchangeResponse = object({ token: string().min(1) });
function tokensEndpoint(apiBase) {
    return `${apiBase.replace(/\/+$/, '')}/api/v1/trusted_publishing/tokens`;
}
async function readBody$1(response) {
    try {
        return (await response.text()).slice(0, 500);
    }
    catch {
        return '';
    }
}
/** A static token (or none), registered as a secret. */
function staticCredentials(token, evidence, deps) {
    if (token) {
        deps.logger.secret(token);
        deps.onSecret(token);
    }
    return {
        evidence,
        trustedPublishing: false,
        current: async () => token,
        revoke: async () => undefined
    };
}
/**
 * Trusted publishing: the job's OIDC JWT (audience = the registry host) is exchanged at
 * `<api>/api/v1/trusted_publishing/tokens` for a 30-minute token, minted again after
 * REMINT_AFTER_MS on the injected clock, and every minted token is revoked at the end.
 */
function trustedCredentials(choice, apiBase, deps) {
    const minted = [];
    let currentToken;
    let minting;
    const endpoint = tokensEndpoint(apiBase);
    const learned = [];
    const secret = (value) => {
        learned.push(value);
        deps.logger.secret(value);
        deps.onSecret(value);
    };
    secret(choice.requestToken);
    const scrub = (text) => scrubSecrets(text, learned);
    const requestJwt = async () => {
        const url = new URL(choice.requestUrl);
        url.searchParams.set('audience', choice.audience);
        let response;
        try {
            response = await deps.fetch(url, {
                headers: { authorization: `bearer ${choice.requestToken}`, accept: 'application/json' }
            });
        }
        catch (error) {
            throw new UserError(`could not get an OIDC token from GitHub: ${error instanceof Error ? error.message : String(error)}`, 'rerun the job; trusted publishing needs the Actions OIDC service', 1);
        }
        const body = await readBody$1(response);
        const parsed = response.ok ? oidcResponse.safeParse(safeJson(body)) : undefined;
        if (!parsed?.success) {
            throw new UserError(`could not get an OIDC token (audience '${choice.audience}'): HTTP ${response.status} ${scrub(body)}`, 'grant the job `permissions: id-token: write`', 1);
        }
        secret(parsed.data.value);
        return parsed.data.value;
    };
    const mint = async () => {
        const jwt = await requestJwt();
        let response;
        try {
            response = await deps.fetch(endpoint, {
                method: 'POST',
                headers: {
                    'content-type': 'application/json',
                    'user-agent': `${TOOL.name}/${TOOL.version}`
                },
                body: JSON.stringify({ jwt })
            });
        }
        catch (error) {
            throw new UserError(`could not reach ${endpoint} to exchange the OIDC token: ${error instanceof Error ? error.message : String(error)}`, 'check that the live registry supports trusted publishing, or pass a regular `token`', 1);
        }
        const body = await readBody$1(response);
        const parsed = response.ok ? exchangeResponse.safeParse(safeJson(body)) : undefined;
        if (!parsed?.success) {
            throw new UserError(`the registry refused to exchange this job's OIDC token for a publish token: HTTP ${response.status} ${scrub(body)}`, 'configure trusted publishing for every crate of the plan on the registry (repository, workflow and environment must match), or pass a regular `token`', 1);
        }
        const token = parsed.data.token;
        secret(token);
        minted.push(token);
        currentToken = { token, mintedAt: deps.clock.now() };
        deps.logger.info(`trusted publishing: minted a short-lived token at ${endpoint}`);
        return token;
    };
    return {
        evidence: choice.evidence,
        trustedPublishing: true,
        async current() {
            const fresh = currentToken && deps.clock.now() - currentToken.mintedAt < REMINT_AFTER_MS;
            if (fresh && currentToken)
                return currentToken.token;
            // Concurrent uploads share one mint instead of each exchanging a JWT.
            minting ??= mint().finally(() => {
                minting = undefined;
            });
            return minting;
        },
        async revoke() {
            for (const token of minted.splice(0)) {
                try {
                    const response = await deps.fetch(endpoint, {
                        method: 'DELETE',
                        headers: {
                            authorization: `Bearer ${token}`,
                            'user-agent': `${TOOL.name}/${TOOL.version}`
                        }
                    });
                    await response.body?.cancel();
                    // An expired token is already unusable; only other answers deserve a warning.
                    if (!response.ok && response.status !== 401 && response.status !== 403) {
                        deps.logger.warning(`revoking a trusted publishing token answered HTTP ${response.status}`);
                    }
                }
                catch (error) {
                    deps.logger.warning(`could not revoke a trusted publishing token (it expires by itself within 30 minutes): ${error instanceof Error ? error.message : String(error)}`);
                }
            }
            currentToken = undefined;
        }
    };
}
function safeJson(text) {
    try {
        return JSON.parse(text);
    }
    catch {
        return undefined;
    }
}
/** The credentials an auth choice stands for: minted by trusted publishing, or static. */
function credentialsFor(choice, apiBase, deps) {
    return choice.kind === 'oidc'
        ? trustedCredentials(choice, apiBase, deps)
        : staticCredentials(choice.kind === 'token' ? choice.token : undefined, choice.evidence, deps);
}

/**
 * The live registry's manifest rules, and the planned versions it already has compared with
 * the local sources: a changed version that was not bumped is refused before any upload.
 */
async function checkLiveRules({ plan, options, ctx, targetName, scrub }, steps) {
    const report = await preflight(plan, options, ctx, steps);
    for (const line of report.resumed)
        ctx.progress(line);
    if (report.problems.length > 0) {
        for (const problem of report.problems) {
            ctx.logger.error(describeProblem(problem), { file: problem.manifestPath });
        }
        return preflightFailure$1(report.problems, targetName);
    }
    if (report.unknown.length === 0)
        return undefined;
    return {
        class: 'retryable',
        message: `nothing was uploaded: ${scrub(report.unknown.join('; '))}`,
        hint: `a version already on '${targetName}' must be compared with the local sources before the release goes on; rerun when the registry answers`
    };
}
/**
 * Before the first upload, the bytes of every upload are checked at once (cargo packages the
 * selection into a local overlay, so dependents resolve their unpublished siblings).
 */
async function checkUploadBytes(remaining, copies, checkRun, scrub) {
    if (remaining.length === 0)
        return undefined;
    const problem = await copies.check([...remaining], checkRun);
    if (!problem)
        return undefined;
    return {
        class: 'permanent',
        message: `what would be uploaded differs from what the gate checked: ${scrub(problem)}`,
        hint: 'nothing was uploaded; rehearse the current checkout again and publish that'
    };
}

function present(value) {
    return (value ?? '').trim() !== '';
}
/**
 * shipper's `auth_evidence_recorded` evidence, by shipper's own rule: which credentials the
 * environment offered (a registry token, the two halves of an OIDC context), never which one was
 * used or where it came from. Pure.
 */
function shipperAuthEvidence(registry, tokenDetected, env) {
    const url = present(env.ACTIONS_ID_TOKEN_REQUEST_URL);
    const token = present(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
    const mode = tokenDetected
        ? url && token
            ? 'cargo_token_with_oidc_context'
            : 'cargo_token'
        : url && token
            ? 'trusted_publishing_context'
            : url || token
                ? 'partial_oidc_context'
                : 'missing';
    return {
        schema_version: AUTH_EVIDENCE_SCHEMA,
        registry,
        auth_mode: mode,
        token_detected: tokenDetected,
        oidc_request_url_present: url,
        oidc_request_token_present: token
    };
}

/**
 * The gate let the release through: log and record that (loudly when it was bypassed), the plan,
 * how the run authenticates, and what it is about to publish.
 */
async function announceRelease({ options, ctx, plan, target, recorder }, decision, auth, digest) {
    if (decision.bypassed) {
        ctx.logger.warning(decision.message);
        await recorder.emit({ type: 'gate_bypassed', plan_id: plan.planId, reason: decision.message });
    }
    else {
        ctx.logger.info(decision.message);
        await recorder.emit({ type: 'gate_decision', decision: 'proceed', reason: decision.message });
    }
    await recorder.emit({
        type: 'plan_created',
        plan_id: plan.planId,
        package_count: plan.packages.length
    });
    const env = mergeEnv(ctx.env);
    const tokenDetected = Boolean(options.token.trim() || env[target.tokenEnvVar]?.trim());
    await recorder.emit({
        type: 'auth_evidence_recorded',
        evidence: shipperAuthEvidence(target.name, tokenDetected, env)
    });
    await recorder.emit({ type: 'auth_selected', ...auth.evidence });
    ctx.progress(`publishing plan ${plan.planId} (content ${digest.digest.slice(0, 12)}) to '${target.name}'${options.dryRun ? ' — dry run' : ''}`);
}

/**
 * Uploads come from a copy no code ever ran in, each checked against the accepted digest right
 * before it goes; the verification build runs in a second copy.
 */
async function liveRuns({ options, ctx, target }, copies, staticToken) {
    const checkRun = {
        cargo: ctx.cargo,
        env: { ...ctx.env, ...target.cargoEnv(undefined) },
        registryArgs: target.registryArgs,
        allowDirty: options.allowDirty
    };
    const upload = {
        target,
        manifestPath: copies.upload.manifestPath,
        workspaceRoot: copies.upload.root,
        allowDirty: options.allowDirty,
        locked: copies.locked,
        beforeUpload: crate => copies.check([crate], checkRun),
        cargo: ctx.cargo,
        fetch: ctx.fetch,
        clock: ctx.clock,
        env: { ...ctx.env, CARGO_TARGET_DIR: copies.upload.targetDir },
        indexToken: target.isCratesIo ? undefined : staticToken,
        authRequired: !target.isCratesIo &&
            (await fetchRegistryConfig(target.indexUrl, {
                fetch: ctx.fetch,
                ...(staticToken ? { token: staticToken } : {})
            }).then(config => config['auth-required'] === true, () => false))
    };
    const verify = {
        ...upload,
        manifestPath: copies.verify.manifestPath,
        workspaceRoot: copies.verify.root,
        env: { ...ctx.env, CARGO_TARGET_DIR: copies.verify.targetDir }
    };
    return { upload, verify, checkRun };
}

/** Looking for a version once more after an unclear upload answer: the index may lag storage. */
const RECONCILE_WINDOW_MS = 60_000;
function pendingRecord(crate) {
    return { ...pendingStatus(crate), attempts: 0 };
}
/** One publish run after the plan: recording as it goes. */
let Session$1 = class Session {
    options;
    ctx;
    plan;
    target;
    recorder;
    constructor(options, ctx, plan, target, recorder) {
        this.options = options;
        this.ctx = ctx;
        this.plan = plan;
        this.target = target;
        this.recorder = recorder;
    }
    emit(e, pkg = ALL_PACKAGES) {
        return this.recorder.emit(e, pkg);
    }
    scrub(text) {
        return this.recorder.scrub(text);
    }
    async refuse(decision) {
        const reason = decision.decision === 'refuse' ? decision.message : 'refused';
        const hint = decision.decision === 'refuse' ? decision.hint : '';
        await this.emit({ type: 'gate_decision', decision: 'refuse', reason });
        return {
            outcome: 'refused',
            result: 'refused',
            records: this.plan.packages.map(pendingRecord),
            runs: [],
            failure: { class: 'refused', message: `publish refused: ${reason}`, hint }
        };
    }
    async proceed(decision, auth, digest) {
        const { plan, options, ctx } = this;
        await announceRelease(this, decision, auth, digest);
        const tokenDeps = {
            fetch: ctx.fetch,
            clock: ctx.clock,
            logger: ctx.logger,
            onSecret: value => this.recorder.addSecret(value)
        };
        const credentials = credentialsFor(auth, plan.apiBase, tokenDeps);
        if (auth.kind === 'none')
            ctx.logger.warning(`${auth.message}: a real run would stop here (${auth.hint})`);
        const verification = chooseVerification(options, decision.bypassed);
        if (!verification.built) {
            ctx.progress(`verification build skipped (verify: auto): ${verification.reason}`);
        }
        const copies = await PublishCopies.create(plan, digest, options.manifestPath, resolveStateDir(options, plan.workspaceRoot), ctx.env, ctx.git);
        try {
            const token = auth.kind === 'token' ? auth.token : undefined;
            return { ...(await this.release(credentials, token, copies, verification)), verification };
        }
        finally {
            await credentials.revoke();
            await copies.dispose();
        }
    }
    async release(credentials, staticToken, copies, verification) {
        const { plan, options, ctx, target } = this;
        const runs = await liveRuns(this, copies, staticToken);
        const live = liveRegistry(runs.upload);
        const records = plan.packages.map(pendingRecord);
        const stop = (failure) => ({
            outcome: 'failed',
            result: executionResult(records, true),
            records,
            runs: [],
            failure
        });
        const look = await firstLook(plan, live, target, options, ctx, text => this.scrub(text));
        if (!look.ok)
            return stop(look.failure);
        const snapshot = look.value;
        const present = new Map(plan.packages.map(c => [c.name, snapshot.entries(c.name)?.find(e => e.vers === c.version)]));
        for (const record of records) {
            const entry = present.get(record.name);
            if (entry)
                Object.assign(record, {
                    status: 'skipped',
                    reason: 'already published',
                    cksum: entry.cksum
                });
        }
        const remaining = plan.packages.filter(c => !present.get(c.name));
        const scrub = (text) => this.scrub(text);
        const checks = { plan, options, ctx, targetName: target.name, scrub };
        const stopped = (await checkLiveRules(checks, { live: false })) ??
            (await checkDevEdges(plan, snapshot, ctx)) ??
            checkNewCrates(remaining, snapshot, credentials.trustedPublishing, target) ??
            (verification.built
                ? await verifyRemaining(remaining, runs.verify, { plan, target, manifestPath: options.manifestPath }, ctx, text => this.scrub(text))
                : undefined) ??
            // After the build, so a download the build needs is not consumed by the comparison first.
            (await checkLiveRules(checks, { manifests: false, liveToken: staticToken })) ??
            (await checkUploadBytes(remaining, copies, runs.checkRun, scrub));
        if (stopped)
            return stop(stopped);
        if (options.dryRun) {
            for (const record of records)
                if (record.status === 'pending')
                    record.status = 'dry-run';
            ctx.progress(`dry run: ${remaining.length} crate${remaining.length === 1 ? '' : 's'} would be uploaded; nothing was`);
            return { outcome: 'dry-run', result: 'dry_run', records, runs: [] };
        }
        const noToken = await inputCheck(() => credentials.current());
        if (noToken)
            return stop(noToken);
        await this.emit({ type: 'execution_started' });
        const execution = await executePlan(plan.packages, {
            maxConcurrency: options.maxConcurrency,
            maxAttempts: options.maxAttempts,
            readinessTimeoutMs: options.readinessTimeoutMs,
            retryBaseMs: options.retryBaseMs,
            retryMaxMs: options.retryMaxMs,
            reconcileWindowMs: Math.min(RECONCILE_WINDOW_MS, options.readinessTimeoutMs)
        }, {
            live,
            events: this.recorder.log,
            clock: ctx.clock,
            random: ctx.random,
            token: () => credentials.current(),
            scrub: text => this.scrub(text),
            progress: line => ctx.progress(line)
        });
        const finalRecords = execution.runs.map(statusOfRun);
        const failed = execution.stoppedBy !== undefined;
        const result = executionResult(finalRecords, failed);
        await this.emit({ type: 'execution_finished', result });
        return {
            outcome: failed ? 'failed' : 'published',
            result,
            records: finalRecords,
            runs: execution.runs,
            ...(execution.stoppedBy
                ? {
                    failure: describeStop(execution.stoppedBy, execution.runs, finalRecords, target.name)
                }
                : {})
        };
    }
};

/**
 * Publish mode: get the rehearsal proof, enforce the gate, then publish the very plan that was
 * rehearsed to the live registry, without rewriting a manifest.
 *
 * This file is the orchestration. Steps: plan, content digest, proof and gate (gating.ts, with
 * proof.ts and gate.ts) → credentials (tokens.ts) → the session (session.ts): what the live index
 * already has, the checks before the first upload (preflight.ts, upload-checks.ts), one
 * verification build of everything left (live.ts), uploads on the shared schedule with retries and
 * reconciliation (executor.ts), and what a stop means (stop.ts) → publish-record.json and the
 * `<artifact-name>-publish` artifact (conclude.ts).
 */
/** Gates, then publishes the plan to the live registry (or, in a dry run, checks everything but uploads). */
async function publish(options, ctx, deps = {}) {
    const startedAt = isoTime(ctx.clock.now());
    const report = await gateOnly(options, ctx, deps);
    const { decision, plan, digest, stateDir, target } = report;
    const auth = decision.decision === 'proceed'
        ? chooseAuth(options, target, plan.apiBase, mergeEnv(ctx.env))
        : undefined;
    if (auth?.kind === 'none' && !options.dryRun)
        throw new UserError(auth.message, auth.hint, 2);
    const recorder = await RunRecorder.open(stateDir, ctx.clock, [options.token, options.githubToken], value => ctx.logger.secret(value));
    const cargoLog = await CargoLog.create(stateDir, `cargo log of the publish of plan ${plan.planId} (${startedAt})`);
    cargoLog.rewrite = text => recorder.scrub(text);
    const session = new Session$1(options, { ...ctx, cargo: cargoLog.wrap(ctx.cargo, () => ctx.clock.now()) }, plan, target, recorder);
    const outcome = await recorder
        .during(() => decision.decision === 'refuse' || !auth
        ? session.refuse(decision)
        : session.proceed(decision, auth, digest))
        .finally(() => cargoLog.flush());
    const concluding = { options, ctx, report, recorder, startedAt, cargoLogPath: cargoLog.path };
    return concludePublish(concluding, outcome);
}

/** The action's outputs (docs/contract.md) as strings, from a run's result. Pure. */
function resultOutputs(result, artifactId = '') {
    const passed = result.outcome === 'passed' || result.outcome === 'published' || result.outcome === 'dry-run';
    return {
        outcome: result.outcome,
        passed: String(passed),
        'plan-id': result.plan?.planId ?? '',
        'content-digest': result.digest?.digest ?? '',
        packages: JSON.stringify(result.packages.map(p => ({
            name: p.name,
            version: p.version,
            status: p.status,
            duration_ms: p.durationMs
        }))),
        published: JSON.stringify(result.published.map(p => ({ name: p.name, version: p.version }))),
        'receipt-path': result.receiptPath ?? '',
        'events-path': result.eventsPath ?? '',
        'artifact-id': artifactId
    };
}
/** Exit code of a finished run: failures and refusals are 1; input errors never get here. */
function resultExitCode(result) {
    return result.outcome === 'failed' || result.outcome === 'refused' ? 1 : 0;
}
/**
 * The verdict in words: a publish run that uploaded nothing (every version was already live) is
 * not called "published", whatever the `outcome` output says.
 */
function outcomeWording(result) {
    if (result.mode === 'publish' && result.outcome === 'published' && result.published.length === 0)
        return 'already published, nothing uploaded';
    return result.outcome;
}
/** How a crate's status reads on a terminal: `pending` there means the run never got to it. */
function statusWord(status) {
    return status === 'pending' ? 'not reached' : status;
}
/**
 * A few lines for a terminal: one per crate, then the verdict. A failure is told once: what
 * failed and where, the fix, cargo's error blocks, and where the full cargo log is.
 */
function resultLines(result) {
    const lines = [];
    const width = Math.max(0, ...result.packages.map(p => `${p.name}@${p.version}`.length));
    for (const p of result.packages) {
        const id = `${p.name}@${p.version}`.padEnd(width);
        const extra = p.reason ? ` (${p.reason})` : '';
        lines.push(`  ${id}  level ${p.level}  ${statusWord(p.status).padEnd(11)} ${(p.durationMs / 1000).toFixed(1)}s${extra}`);
    }
    for (const check of result.smoke ?? []) {
        const what = check.kind === 'install' ? `cargo install ${check.name}@${check.version}` : 'consumer build';
        lines.push(`  smoke: ${what}  ${check.ok ? 'ok' : 'FAILED'}  ${(check.durationMs / 1000).toFixed(1)}s`);
    }
    if (result.plan)
        lines.push(`plan_id ${result.plan.planId}`);
    if (result.digest)
        lines.push(`content ${result.digest.digest}`);
    if (result.failure) {
        const where = result.failure.crate
            ? ` at ${result.failure.crate.name}@${result.failure.crate.version}`
            : '';
        lines.push(`${result.outcome}${where}: ${result.failure.message}`);
        if (result.failure.hint)
            lines.push(`hint: ${result.failure.hint}`);
        if (result.failure.stderrTail) {
            lines.push("cargo's errors:");
            for (const l of result.failure.stderrTail.split('\n'))
                lines.push(`  | ${l}`);
        }
    }
    else {
        lines.push(`outcome: ${outcomeWording(result)}`);
    }
    if (result.receiptPath)
        lines.push(`receipt: ${result.receiptPath}`);
    if (result.eventsPath)
        lines.push(`events:  ${result.eventsPath}`);
    if (result.cargoLog)
        lines.push(`cargo log: ${result.cargoLog}`);
    return lines;
}

/**
 * Mints a kellnr API token from a user and password, for a kellnr service container started
 * without a preset token: log in (kellnr answers with a `kellnr_session_id` session cookie), then
 * create a token for that session. Every refusal is a UserError that says what to set instead.
 */
const HINT = 'set registry-token to a kellnr API token, or registry-user / registry-password to a kellnr account ' +
    '(a new kellnr starts with admin / admin; KELLNR_SETUP__ADMIN_TOKEN on the service container presets ' +
    'a token you can pass as registry-token)';
const loginSchema = looseObject({});
const tokenSchema = looseObject({ name: string().optional(), token: string().min(1) });
/** `http://h:8000`, `http://h:8000/`, or its `sparse+http://h:8000/api/v1/crates/` index URL → `http://h:8000`. */
function kellnrBaseUrl(urlOrIndex) {
    return urlOrIndex
        .trim()
        .replace(/^sparse\+/, '')
        .replace(/\/+$/, '')
        .replace(/\/api\/v1\/crates$/, '');
}
/** `name=value` of every cookie the response sets, ready for a Cookie header. */
function sessionCookies(res) {
    const all = res.headers.getSetCookie();
    return all
        .map(c => c.split(';')[0]?.trim() ?? '')
        .filter(c => /^[^=]+=/.test(c))
        .join('; ');
}
async function readJson(res, what, base) {
    const text = await res.text();
    try {
        return JSON.parse(text);
    }
    catch {
        throw new UserError(`kellnr at ${base} answered the ${what} with something that is not JSON (${text.slice(0, 80).trim() || 'an empty body'})`, 'check that registry-url points at a kellnr (its base URL, e.g. http://localhost:8000), not at another service or its web UI', 1);
    }
}
function timestamp(ms) {
    return new Date(ms)
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
}
async function mintKellnrToken(baseUrl, user, password, deps = {}) {
    const base = kellnrBaseUrl(baseUrl);
    const doFetch = deps.fetch ?? fetch;
    const signal = AbortSignal.timeout(deps.timeoutMs ?? 30_000);
    const post = async (path, body, cookie) => {
        try {
            return await doFetch(`${base}${path}`, {
                method: 'POST',
                headers: {
                    'content-type': 'application/json',
                    accept: 'application/json',
                    ...(cookie ? { cookie } : {})
                },
                body: JSON.stringify(body),
                signal
            });
        }
        catch (error) {
            const cause = error instanceof Error ? String(error.cause ?? error.message) : String(error);
            throw new UserError(`could not reach kellnr at ${base} to mint a token: ${cause}`, 'check registry-url and that the kellnr service container is healthy', 1);
        }
    };
    const login = await post('/api/v1/auth/login', { user, pwd: password });
    if (login.status === 401 || login.status === 403) {
        await login.body?.cancel();
        throw new UserError(`kellnr refused the login for user '${user}' (HTTP ${login.status})`, HINT, 1);
    }
    if (!login.ok) {
        const text = (await login.text()).slice(0, 200);
        throw new UserError(`kellnr login at ${base} failed with HTTP ${login.status}: ${text}`, HINT, 1);
    }
    if (!loginSchema.safeParse(await readJson(login, 'login', base)).success) {
        throw new UserError(`kellnr at ${base} answered the login with unexpected JSON`, HINT, 1);
    }
    const cookie = sessionCookies(login);
    if (!cookie) {
        throw new UserError(`kellnr at ${base} accepted the login but set no session cookie`, HINT, 1);
    }
    const name = `shipper-rehearse-${timestamp((deps.now ?? Date.now)())}`;
    const created = await post('/api/v1/users/me/tokens', { name }, cookie);
    if (created.status === 401 || created.status === 403) {
        await created.body?.cancel();
        throw new UserError(`kellnr refused to create a token for user '${user}' (HTTP ${created.status})`, HINT, 1);
    }
    if (!created.ok) {
        const text = (await created.text()).slice(0, 200);
        throw new UserError(`kellnr token creation failed with HTTP ${created.status}: ${text}`, HINT, 1);
    }
    const parsed = tokenSchema.safeParse(await readJson(created, 'token request', base));
    if (!parsed.success) {
        throw new UserError(`kellnr at ${base} created no token: the answer has no "token" field`, HINT, 1);
    }
    deps.secret?.(parsed.data.token);
    return { name: parsed.data.name ?? name, token: parsed.data.token };
}

/**
 * crates.io's trusted-publishing exchange, for a configured test issuer: a signed JWT (HS256 with a
 * shared secret, or RS256 with a PEM public key; both are one call of node:crypto for a test OIDC
 * stand-in) buys a short-lived `cio_tp_` token that can publish new versions of existing crates.
 * Tokens live in memory only; expiry follows the injected clock.
 */
const TRUSTED_TOKEN_PREFIX = 'cio_tp_';
const DEFAULT_TTL_MS = 30 * 60 * 1000;
const headerSchema = looseObject({ alg: string() });
const claimsSchema = looseObject({
    iss: string(),
    aud: union([string(), array(string())]),
    exp: number(),
    nbf: number().optional(),
    jti: string().optional()
});
function decodeSegment(segment) {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}
function sameBytes(a, b) {
    return a.length === b.length && timingSafeEqual(a, b);
}
class TrustedPublishing {
    options;
    clock;
    tokens = new Map();
    usedJtis = new Set();
    constructor(options, clock) {
        this.options = options;
        this.clock = clock;
    }
    /** Verifies the JWT and issues a token; failures carry crates.io's messages. */
    exchange(jwt) {
        const parts = jwt.split('.');
        const [h, p, s] = parts;
        if (parts.length !== 3 || h === undefined || p === undefined || s === undefined) {
            return { ok: false, detail: 'Failed to decode JWT' };
        }
        let header;
        let claims;
        try {
            header = headerSchema.parse(decodeSegment(h));
            claims = claimsSchema.parse(decodeSegment(p));
        }
        catch {
            return { ok: false, detail: 'Failed to decode JWT' };
        }
        const config = this.options;
        if (!config || claims.iss !== config.issuer) {
            return { ok: false, detail: `Unsupported JWT issuer: ${claims.iss}` };
        }
        if (!this.signatureValid(header.alg, `${h}.${p}`, Buffer.from(s, 'base64url'))) {
            return { ok: false, detail: 'Failed to decode JWT' };
        }
        const audience = config.audience ?? 'crates.io';
        const auds = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
        const nowSec = this.clock.now() / 1000;
        if (!auds.includes(audience) || claims.exp <= nowSec) {
            return { ok: false, detail: 'Failed to decode JWT' };
        }
        if (claims.nbf !== undefined && claims.nbf > nowSec) {
            return { ok: false, detail: 'Failed to decode JWT' };
        }
        if (claims.jti !== undefined) {
            if (this.usedJtis.has(claims.jti))
                return { ok: false, detail: 'JWT has already been used' };
            this.usedJtis.add(claims.jti);
        }
        const token = TRUSTED_TOKEN_PREFIX + randomBytes(24).toString('hex');
        this.tokens.set(hash(token), this.clock.now() + (config.tokenTtlMs ?? DEFAULT_TTL_MS));
        return { ok: true, token };
    }
    signatureValid(alg, signingInput, signature) {
        const config = this.options;
        if (alg === 'HS256' && config?.secret) {
            const expected = createHmac('sha256', config.secret).update(signingInput).digest();
            return sameBytes(expected, signature);
        }
        if (alg === 'RS256' && config?.publicKey) {
            try {
                return createVerify('RSA-SHA256').update(signingInput).verify(config.publicKey, signature);
            }
            catch {
                return false;
            }
        }
        return false;
    }
    /** A token this registry issued, not revoked and not expired. */
    isValid(token) {
        const expiresAt = this.tokens.get(hash(token));
        if (expiresAt === undefined)
            return false;
        if (this.clock.now() >= expiresAt) {
            this.tokens.delete(hash(token));
            return false;
        }
        return true;
    }
    revoke(token) {
        this.tokens.delete(hash(token));
    }
}
function hash(token) {
    return createHash('sha256').update(token).digest('hex');
}

/**
 * Who is asking. cargo sends its token raw in `Authorization`; other clients send `Bearer <token>`
 * (any case, any spacing), and both are accepted.
 */
function tokenFromHeader(header) {
    if (header === undefined)
        return undefined;
    const token = header.trim().replace(/^bearer\s+/i, '');
    return token === '' ? undefined : token;
}
const digest = (s) => createHash('sha256').update(s).digest();
function identify(header, ownerToken, trusted) {
    const token = tokenFromHeader(header);
    if (token === undefined)
        return { kind: 'anonymous' };
    if (timingSafeEqual(digest(token), digest(ownerToken)))
        return { kind: 'owner' };
    if (token.startsWith(TRUSTED_TOKEN_PREFIX) && trusted.isValid(token))
        return { kind: 'trusted' };
    return { kind: 'invalid' };
}
const AUTH_MISSING = 'this action requires authentication';
const AUTH_INVALID = 'Invalid authentication token';

function send(res, status, body, headers = {}) {
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    res.writeHead(status, { 'content-length': String(payload.length), ...headers });
    res.end(payload);
}
function sendJson(res, status, value) {
    send(res, status, JSON.stringify(value), { 'content-type': 'application/json' });
}
/** The error shape cargo prints: `{"errors":[{"detail":"..."}]}`. */
function sendError(res, status, detail, headers = {}) {
    send(res, status, JSON.stringify({ errors: [{ detail }] }), {
        'content-type': 'application/json',
        ...headers
    });
}
function sendInjected(res, injected) {
    send(res, injected.status, injected.body, injected.headers);
}
/**
 * Reads the whole body, or stops keeping it past `limit` bytes (it still drains the rest so the
 * client can read the answer instead of seeing a reset).
 */
function readBody(req, limit) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        let over = false;
        req.on('data', (chunk) => {
            size += chunk.length;
            if (size > limit) {
                over = true;
                chunks.length = 0;
            }
            else if (!over) {
                chunks.push(chunk);
            }
        });
        req.on('end', () => resolve(over ? { ok: false, tooLarge: true } : { ok: true, body: Buffer.concat(chunks) }));
        req.on('error', reject);
    });
}
/** A small JSON request body; undefined when it is too large or not JSON (the caller's schema says why). */
async function readJsonBody(req, limit) {
    const read = await readBody(req, limit);
    if (!read.ok)
        return undefined;
    try {
        return JSON.parse(read.body.toString('utf8'));
    }
    catch {
        return undefined;
    }
}

function indexDep(dep) {
    const key = dep.explicit_name_in_toml;
    const renamed = typeof key === 'string' && key !== '' && key !== dep.name;
    return {
        name: renamed ? key : dep.name,
        req: dep.version_req,
        features: dep.features,
        optional: dep.optional,
        default_features: dep.default_features,
        target: dep.target ?? null,
        kind: dep.kind ?? 'normal',
        registry: dep.registry ?? null,
        ...(renamed ? { package: dep.name } : {})
    };
}
function usesNewFeatureSyntax(values) {
    return values.some(v => v.startsWith('dep:') || v.includes('?/'));
}
function splitFeatures(features) {
    const plain = {};
    const extended = {};
    for (const [name, values] of Object.entries(features)) {
        if (usesNewFeatureSyntax(values))
            extended[name] = values;
        else
            plain[name] = values;
    }
    return { features: plain, features2: extended };
}
/** Index time as crates.io writes it: RFC 3339, UTC, whole seconds. */
function pubtime(ms) {
    return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
function buildIndexEntry(metadata, cksum, publishedAtMs) {
    const { features, features2 } = splitFeatures(metadata.features);
    const hasFeatures2 = Object.keys(features2).length > 0;
    return {
        name: metadata.name,
        vers: metadata.vers,
        deps: metadata.deps.map(indexDep),
        cksum,
        features,
        ...(hasFeatures2 ? { features2 } : {}),
        yanked: false,
        links: metadata.links ?? null,
        ...(metadata.rust_version ? { rust_version: metadata.rust_version } : {}),
        v: hasFeatures2 ? 2 : 1,
        pubtime: pubtime(publishedAtMs)
    };
}

/**
 * The body of `PUT /api/v1/crates/new` as cargo sends it: u32 LE length, metadata JSON, u32 LE
 * length, the .crate file. Parsing checks every length against what is actually there.
 */
const publishDepSchema = looseObject({
    /** The real package name (the TOML key is `explicit_name_in_toml` when renamed). */
    name: string(),
    version_req: string(),
    ...dependencyFields,
    explicit_name_in_toml: string().nullable().optional()
});
const publishMetadataSchema = looseObject({
    name: string(),
    vers: string(),
    deps: array(publishDepSchema).default([]),
    features: record(string(), array(string())).default({}),
    authors: array(string()).default([]),
    description: string().nullable().optional(),
    documentation: string().nullable().optional(),
    homepage: string().nullable().optional(),
    readme: string().nullable().optional(),
    readme_file: string().nullable().optional(),
    keywords: array(string()).default([]),
    categories: array(string()).default([]),
    license: string().nullable().optional(),
    license_file: string().nullable().optional(),
    repository: string().nullable().optional(),
    links: string().nullable().optional(),
    rust_version: string().nullable().optional()
});
/** Splits and decodes a publish body; the messages are crates.io's. */
function parsePublishBody(body) {
    if (body.length < 4)
        return { ok: false, detail: 'invalid metadata length' };
    const jsonLen = body.readUInt32LE(0);
    if (jsonLen > body.length - 4) {
        return { ok: false, detail: `invalid metadata length for remaining payload: ${jsonLen}` };
    }
    const jsonBytes = body.subarray(4, 4 + jsonLen);
    const rest = 4 + jsonLen;
    if (body.length - rest < 4)
        return { ok: false, detail: 'invalid tarball length' };
    const crateLen = body.readUInt32LE(rest);
    if (crateLen > body.length - rest - 4) {
        return { ok: false, detail: `invalid tarball length for remaining payload: ${crateLen}` };
    }
    const crate = body.subarray(rest + 4, rest + 4 + crateLen);
    let json;
    try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes));
    }
    catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { ok: false, detail: `invalid upload request: ${reason}` };
    }
    const parsed = publishMetadataSchema.safeParse(json);
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.join('.') || 'metadata';
        return { ok: false, detail: `invalid upload request: ${where}: ${issue?.message ?? 'invalid'}` };
    }
    return { ok: true, metadata: parsed.data, crate };
}

/**
 * Upload validation, pure. In crates.io-strict mode it rejects what crates.io rejects, in crates.io's
 * words, so a rehearsal fails where the real publish would. The manifest rules are crates.io's
 * rule set in src/crates-io-rules.ts, which the action's own preflight applies too; this
 * module adds what only an upload shows (size, dependency tables, the registry's contents).
 * Non-strict mode only keeps the index sound, like kellnr.
 *
 * crates.io checks not mirrored here: feature-name syntax and counts, rust-version syntax (cargo
 * checks most of these itself).
 */
/** Room for the metadata JSON on top of the largest accepted .crate. */
const MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024;
const tooLarge = {
    status: 413,
    detail: `max upload size is: ${MAX_UPLOAD_BYTES}`
};
/** Index URLs cargo uses for crates.io dependencies in publish metadata. */
const CRATES_IO_INDEXES = [CRATES_IO.gitIndexUrl, CRATES_IO.indexUrl].map(normalizeIndexUrl);
const bad = (detail) => ({ status: 400, detail });
/** crates.io's rule for a dependency's TOML key (it may start with `_`). */
function dependencyKeyProblem(name) {
    const chars = [...name];
    if (chars.length > MAX_NAME_LENGTH) {
        return `the dependency name \`${name}\` is too long (max ${MAX_NAME_LENGTH} characters)`;
    }
    const first = chars[0];
    if (first === undefined)
        return 'dependency name cannot be empty';
    if (/[0-9]/.test(first)) {
        return `the name \`${name}\` cannot be used as a dependency name, the name cannot start with a digit`;
    }
    if (!/[A-Za-z_]/.test(first)) {
        return `invalid character \`${first}\` in dependency name: \`${name}\`, the first character must be an ASCII character, or \`_\``;
    }
    const wrong = chars.find(c => !/[A-Za-z0-9_-]/.test(c));
    if (wrong !== undefined) {
        return `invalid character \`${wrong}\` in dependency name: \`${name}\`, characters must be an ASCII alphanumeric characters, \`-\`, or \`_\``;
    }
    return null;
}
function empty(s) {
    return s === undefined || s === null || s === '';
}
function urlProblem(url, field) {
    if (empty(url))
        return null;
    const u = url;
    if (!u.startsWith('http://') && !u.startsWith('https://')) {
        return `URL for field \`${field}\` must begin with http:// or https:// (url: ${u})`;
    }
    try {
        new URL(u);
    }
    catch {
        return `\`${field}\` is not a valid url: \`${u}\``;
    }
    return null;
}
function normalizeIndexUrl(url) {
    return url.replace(/^sparse\+/, '').replace(/\/+$/, '');
}
/**
 * Checks crates.io makes before authenticating: the crate name and the version. Non-strict mode
 * still refuses names and versions that would corrupt the index or the file layout.
 */
function checkIdentity(metadata, strict) {
    if (strict) {
        const problem = crateNameProblem(metadata.name, 'crate');
        if (problem)
            return bad(problem);
        if (!isSemver(metadata.vers))
            return bad(`"${metadata.vers}" is an invalid semver version`);
        return null;
    }
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(metadata.name)) {
        return bad(`ERROR: invalid crate name: ${metadata.name}`);
    }
    if (!isSemver(metadata.vers))
        return bad(`ERROR: invalid version: ${metadata.vers}`);
    return null;
}
/** crates.io's metadata checks, in crates.io's order. `ownIndexUrl` is this registry's index. */
function checkMetadataStrict(metadata, crateBytes, ownIndexUrl) {
    if (crateBytes > MAX_UPLOAD_BYTES)
        return tooLarge;
    const problems = cratesIoProblems({
        name: metadata.name,
        description: metadata.description,
        license: metadata.license,
        licenseFile: metadata.license_file,
        keywords: metadata.keywords,
        categories: metadata.categories
    });
    const missing = problems.flatMap(p => (p.missing ? [p.missing] : []));
    if (missing.length > 0)
        return bad(missingFieldsMessage(missing));
    for (const field of ['homepage', 'documentation', 'repository']) {
        const problem = urlProblem(metadata[field], field);
        if (problem)
            return bad(problem);
    }
    // The name was judged before authentication (checkIdentity); a reserved one is refused last.
    const first = problems.find(p => p.field !== 'package.name');
    if (first)
        return bad(first.message);
    const allowed = new Set([...CRATES_IO_INDEXES, normalizeIndexUrl(ownIndexUrl)]);
    for (const dep of metadata.deps) {
        const nameProblem = crateNameProblem(dep.name, 'dependency');
        if (nameProblem)
            return bad(nameProblem);
        if (dep.registry && !allowed.has(normalizeIndexUrl(dep.registry))) {
            return bad(`Dependency \`${dep.name}\` is hosted on another registry. Cross-registry dependencies are not permitted on crates.io.`);
        }
        if (dep.version_req.trim() === '*') {
            return bad(`wildcard (\`*\`) dependency constraints are not allowed on crates.io. Crate with this problem: \`${dep.name}\` See https://doc.rust-lang.org/cargo/faq.html#can-libraries-use--as-a-version-for-their-dependencies for more information`);
        }
        if (dep.explicit_name_in_toml) {
            const keyProblem = dependencyKeyProblem(dep.explicit_name_in_toml);
            if (keyProblem)
                return bad(keyProblem);
        }
    }
    if (isReservedName(metadata.name))
        return bad('cannot upload a crate with a reserved name');
    return null;
}
/** Checks against what is already published; run under the registry's write lock. */
function checkAgainstRegistry(metadata, view, strict) {
    const existing = view.find(metadata.name);
    if (existing && existing.name !== metadata.name) {
        return bad(strict
            ? `crate was previously named \`${existing.name}\``
            : `ERROR: crate was previously named \`${existing.name}\``);
    }
    const version = withoutBuild(metadata.vers);
    if (existing?.versions.some(v => withoutBuild(v) === version)) {
        return bad(strict
            ? `crate version \`${version}\` is already uploaded`
            : `ERROR: Crate with version already exists: ${metadata.name}-${metadata.vers}`);
    }
    if (strict) {
        const unknown = metadata.deps.find(d => !d.registry && !view.hasExact(d.name));
        if (unknown)
            return bad(`no known crate named \`${unknown.name}\``);
    }
    return null;
}

/**
 * The registry's files, mirrored in memory:
 *   index/<1|2|3/x|ab/cd>/<name>   the sparse index file, one JSON line per version
 *   crates/<name>/<version>.crate  uploaded archives
 *   meta/<name>.json               description and owners (search and owners endpoints)
 * (`<name>` lowercase.) Every file is written to a temporary name and renamed, so a reader or a
 * crash never sees half a file; callers serialize mutations (see `Mutex`).
 */
const metaSchema = object({
    name: string(),
    description: string().nullable().default(null),
    owners: array(string()).default([])
});
const DEFAULT_OWNER = 'admin';
/** Serializes async critical sections: one mutation of the registry at a time. */
class Mutex {
    tail = Promise.resolve();
    run(fn) {
        const result = this.tail.then(fn);
        this.tail = result.catch(() => undefined);
        return result;
    }
}
async function writeAtomic(path, data) {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, path);
}
async function listFiles(dir) {
    let names;
    try {
        names = await readdir(dir, { withFileTypes: true });
    }
    catch {
        return [];
    }
    const out = [];
    for (const d of names) {
        const p = join(dir, d.name);
        if (d.isDirectory())
            out.push(...(await listFiles(p)));
        else if (d.isFile() && !d.name.endsWith('.tmp'))
            out.push(p);
    }
    return out;
}
function renderIndexFile(entries) {
    return entries.map(e => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '');
}
class Storage {
    dir;
    crates = new Map();
    byCanonical = new Map();
    constructor(dir) {
        this.dir = dir;
    }
    static async open(dir) {
        const storage = new Storage(dir);
        await mkdir(join(dir, 'index'), { recursive: true });
        for (const file of await listFiles(join(dir, 'index'))) {
            const entries = parseIndexFile(await readFile(file, 'utf8'));
            const first = entries?.[0];
            if (!entries || !first)
                continue;
            const key = first.name.toLowerCase();
            let meta;
            try {
                const parsed = metaSchema.safeParse(JSON.parse(await readFile(join(dir, 'meta', `${key}.json`), 'utf8')));
                if (parsed.success)
                    meta = parsed.data;
            }
            catch {
                meta = undefined;
            }
            storage.remember({
                name: meta?.name ?? first.name,
                entries,
                description: meta?.description ?? null,
                owners: meta?.owners.length ? meta.owners : [DEFAULT_OWNER]
            });
        }
        return storage;
    }
    remember(record) {
        this.crates.set(record.name.toLowerCase(), record);
        this.byCanonical.set(canonicalName(record.name), record.name.toLowerCase());
    }
    /** By name up to case (the index file a name maps to). */
    get(name) {
        return this.crates.get(name.toLowerCase());
    }
    /** By name up to case and `-`/`_` (crates.io's notion of the same crate). */
    getCanonical(name) {
        const key = this.byCanonical.get(canonicalName(name));
        return key === undefined ? undefined : this.crates.get(key);
    }
    all() {
        return [...this.crates.values()];
    }
    cratePath(name, version) {
        return join(this.dir, 'crates', name.toLowerCase(), `${version}.crate`);
    }
    async readCrate(name, version) {
        if (!this.get(name)?.entries.some(e => e.vers === version))
            return null;
        try {
            return await readFile(this.cratePath(name, version));
        }
        catch {
            return null;
        }
    }
    /** Stores the archive, then the index line: a listed version can always be downloaded. */
    async addVersion(entry, crate, description) {
        await writeAtomic(this.cratePath(entry.name, entry.vers), crate);
        const existing = this.get(entry.name);
        const record = existing
            ? { ...existing, entries: [...existing.entries, entry] }
            : { name: entry.name, entries: [entry], description, owners: [DEFAULT_OWNER] };
        if (description)
            record.description = description;
        await this.persist(record);
    }
    async setYanked(name, version, yanked) {
        const record = this.get(name);
        if (!record?.entries.some(e => e.vers === version))
            return false;
        await this.persist({
            ...record,
            entries: record.entries.map(e => (e.vers === version ? { ...e, yanked } : e))
        });
        return true;
    }
    async setOwners(name, owners) {
        const record = this.get(name);
        if (record)
            await this.persist({ ...record, owners });
    }
    async persist(record) {
        const key = record.name.toLowerCase();
        await writeAtomic(join(this.dir, 'index', indexFilePath(key)), renderIndexFile(record.entries));
        await writeAtomic(join(this.dir, 'meta', `${key}.json`), JSON.stringify({ name: record.name, description: record.description, owners: record.owners }));
        this.remember(record);
    }
}

/**
 * The registry's HTTP API in kellnr's URL layout: health, the sparse index with
 * config.json, publish, download, yank/unyank, owners, search, and crates.io's trusted-publishing
 * token exchange. Faults are consulted after authentication, before the real answer.
 */
const TRUSTED_NEW_CRATE = 'Trusted Publishing tokens do not support creating new crates. Publish the crate manually, first';
const TRUSTED_NOT_PUBLISH = 'Trusted Publishing tokens can only be used to publish new versions';
const NAME = /^[A-Za-z0-9_-]+$/;
const CRATES = '/api/v1/crates';
const ownersBodySchema = object({ users: array(string()).min(1) });
const exchangeBodySchema = object({ jwt: string() });
function segment(raw) {
    try {
        return decodeURIComponent(raw);
    }
    catch {
        return undefined;
    }
}
function maxVersion(record) {
    const live = record.entries.filter(e => !e.yanked);
    const pool = live.length > 0 ? live : record.entries;
    return pool.map(e => e.vers).reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b), '0.0.0');
}
function createApi(state) {
    const renderCache = new WeakMap();
    const caller = (req) => identify(req.headers.authorization, state.token, state.trusted);
    /** Rejects (and answers) unless the caller holds the owner token. */
    function requireOwner(req, res) {
        const who = caller(req);
        if (who.kind === 'owner')
            return true;
        if (who.kind === 'anonymous')
            sendError(res, 401, AUTH_MISSING);
        else if (who.kind === 'trusted')
            sendError(res, 403, TRUSTED_NOT_PUBLISH);
        else
            sendError(res, 403, AUTH_INVALID);
        return false;
    }
    /** In auth-required mode, every read needs a valid token too. */
    function allowRead(req, res) {
        if (!state.authRequired)
            return true;
        const who = caller(req);
        if (who.kind === 'owner' || who.kind === 'trusted')
            return true;
        if (who.kind === 'anonymous')
            sendError(res, 401, AUTH_MISSING);
        else
            sendError(res, 403, AUTH_INVALID);
        return false;
    }
    function reject(res, rejection) {
        sendError(res, rejection.status, rejection.detail);
    }
    const indexUrl = () => `sparse+${state.url}${CRATES}/`;
    const health = (_req, res) => send(res, 200, 'OK', { 'content-type': 'text/plain; charset=utf-8' });
    const config = (req, res) => {
        if (!allowRead(req, res))
            return;
        sendJson(res, 200, {
            dl: `${state.url}${CRATES}/dl`,
            api: state.url,
            'auth-required': state.authRequired
        });
    };
    function renderVisible(record) {
        const { faults } = state;
        if (!faults.filtersIndex) {
            const cached = renderCache.get(record);
            if (cached)
                return cached;
        }
        const entries = faults.filtersIndex
            ? record.entries.filter(e => faults.isVisible(e.name, e.vers, e.pubtime))
            : record.entries;
        if (entries.length === 0)
            return null;
        const body = renderIndexFile(entries);
        const rendered = { body, etag: `"${createHash('sha256').update(body).digest('hex')}"` };
        if (!faults.filtersIndex)
            renderCache.set(record, rendered);
        return rendered;
    }
    const indexFile = (req, res, name) => {
        if (!allowRead(req, res))
            return;
        const injected = state.faults.takeFailure('index', name);
        if (injected)
            return sendInjected(res, injected);
        const record = state.storage.get(name);
        const rendered = record ? renderVisible(record) : null;
        if (!rendered)
            return sendError(res, 404, 'Not Found');
        const headers = { etag: rendered.etag, 'cache-control': 'no-cache' };
        if (req.headers['if-none-match'] === rendered.etag)
            return send(res, 304, '', headers);
        send(res, 200, rendered.body, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    };
    const download = async (req, res, [name = '', version = '']) => {
        if (!allowRead(req, res))
            return;
        const injected = state.faults.takeFailure('download', name);
        if (injected)
            return sendInjected(res, injected);
        const bytes = isSemver(version) ? await state.storage.readCrate(name, version) : null;
        if (!bytes)
            return sendError(res, 404, `crate \`${name}\` does not have a version \`${version}\``);
        send(res, 200, bytes, { 'content-type': 'application/x-tar' });
    };
    const publish = async (req, res) => {
        const read = await readBody(req, MAX_BODY_BYTES);
        if (!read.ok)
            return reject(res, tooLarge);
        const parsed = parsePublishBody(read.body);
        if (!parsed.ok)
            return sendError(res, 400, parsed.detail);
        const { metadata, crate } = parsed;
        const identity = checkIdentity(metadata, state.strict);
        if (identity)
            return reject(res, identity);
        const who = caller(req);
        if (who.kind === 'anonymous')
            return sendError(res, 401, AUTH_MISSING);
        if (who.kind === 'invalid')
            return sendError(res, 403, AUTH_INVALID);
        const find = (n) => state.strict ? state.storage.getCanonical(n) : state.storage.get(n);
        if (who.kind === 'trusted' && !find(metadata.name)) {
            return sendError(res, 403, TRUSTED_NEW_CRATE);
        }
        const injected = state.faults.takeFailure('publish', metadata.name);
        if (injected)
            return sendInjected(res, injected);
        if (state.strict) {
            const problem = checkMetadataStrict(metadata, crate.length, indexUrl());
            if (problem)
                return reject(res, problem);
        }
        else if (crate.length > MAX_UPLOAD_BYTES) {
            return reject(res, tooLarge);
        }
        const outcome = await state.mutex.run(async () => {
            const problem = checkAgainstRegistry(metadata, {
                find: n => {
                    const r = find(n);
                    return r && { name: r.name, versions: r.entries.map(e => e.vers) };
                },
                hasExact: n => state.storage.get(n)?.name === n
            }, state.strict);
            if (problem)
                return problem;
            const cksum = createHash('sha256').update(crate).digest('hex');
            const entry = buildIndexEntry(metadata, cksum, state.clock.now());
            await state.storage.addVersion(entry, crate, metadata.description ?? null);
            return { drop: state.faults.recordUpload(metadata.name, metadata.vers) };
        });
        if ('detail' in outcome)
            return reject(res, outcome);
        if (outcome.drop) {
            req.socket.destroy();
            return;
        }
        sendJson(res, 200, { warnings: { invalid_categories: [], invalid_badges: [], other: [] } });
    };
    const yank = (yanked) => async (req, res, [name = '', version = '']) => {
        if (!requireOwner(req, res))
            return;
        const record = state.storage.get(name);
        if (!record)
            return sendError(res, 404, `crate \`${name}\` does not exist`);
        const done = await state.mutex.run(() => state.storage.setYanked(name, version, yanked));
        if (!done) {
            return sendError(res, 404, `crate \`${name}\` does not have a version \`${version}\``);
        }
        sendJson(res, 200, { ok: true });
    };
    const owners = async (req, res, [name = '']) => {
        const record = state.storage.get(name);
        if (req.method === 'GET') {
            if (!allowRead(req, res))
                return;
            if (!record)
                return sendError(res, 404, `crate \`${name}\` does not exist`);
            return sendJson(res, 200, {
                users: record.owners.map((login, i) => ({ id: i + 1, login, name: login, kind: 'user' }))
            });
        }
        if (!requireOwner(req, res))
            return;
        const body = await readJsonBody(req, 64 * 1024);
        const parsed = ownersBodySchema.safeParse(body);
        if (!parsed.success)
            return sendError(res, 400, 'invalid json request');
        if (!record)
            return sendError(res, 404, `crate \`${name}\` does not exist`);
        const adding = req.method === 'PUT';
        const logins = parsed.data.users;
        const next = adding
            ? [...new Set([...record.owners, ...logins])]
            : record.owners.filter(o => !logins.includes(o));
        if (next.length === 0)
            return sendError(res, 400, 'cannot remove all individual owners of a crate');
        await state.mutex.run(() => state.storage.setOwners(name, next));
        const msg = adding
            ? logins.map(l => `user ${l} has been added as an owner of crate ${record.name}`).join(',')
            : 'owners successfully removed';
        sendJson(res, 200, { ok: true, msg });
    };
    const search = (req, res) => {
        if (!allowRead(req, res))
            return;
        const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
        const q = canonicalName(params.get('q') ?? '');
        const perPage = Math.min(Math.max(Number(params.get('per_page')) || 10, 1), 100);
        const hits = state.storage
            .all()
            .filter(r => canonicalName(r.name).includes(q))
            .sort((a, b) => a.name.localeCompare(b.name));
        sendJson(res, 200, {
            crates: hits.slice(0, perPage).map(r => ({
                name: r.name,
                max_version: maxVersion(r),
                description: r.description
            })),
            meta: { total: hits.length }
        });
    };
    const crateInfo = (req, res, [name = '']) => {
        if (!allowRead(req, res))
            return;
        const record = state.storage.get(name);
        if (!record)
            return sendError(res, 404, `crate \`${name}\` does not exist`);
        sendJson(res, 200, {
            crate: {
                id: record.name,
                name: record.name,
                max_version: maxVersion(record),
                description: record.description
            },
            versions: record.entries.map(e => ({
                crate: record.name,
                num: e.vers,
                yanked: e.yanked,
                checksum: e.cksum
            }))
        });
    };
    const exchangeToken = async (req, res) => {
        const body = await readJsonBody(req, 64 * 1024);
        const parsed = exchangeBodySchema.safeParse(body);
        if (!parsed.success) {
            return sendError(res, 400, 'Failed to deserialize the JSON body into the target type: jwt');
        }
        const result = state.trusted.exchange(parsed.data.jwt);
        if (!result.ok)
            return sendError(res, 400, result.detail);
        sendJson(res, 200, { token: result.token });
    };
    const revokeToken = (req, res) => {
        const token = tokenFromHeader(req.headers.authorization);
        if (token === undefined)
            return sendError(res, 401, AUTH_MISSING);
        if (!token.startsWith(TRUSTED_TOKEN_PREFIX)) {
            return sendError(res, 401, 'Invalid `Authorization` header: Failed to parse token');
        }
        state.trusted.revoke(token);
        res.writeHead(204);
        res.end();
    };
    const routes = [
        ['GET', /^\/api\/v1\/health$/, health],
        ['GET', /^\/api\/v1\/crates\/config\.json$/, config],
        ['PUT', /^\/api\/v1\/crates\/new$/, publish],
        ['GET', /^\/api\/v1\/crates\/dl\/([^/]+)\/([^/]+)\/download$/, download],
        ['DELETE', /^\/api\/v1\/crates\/([^/]+)\/([^/]+)\/yank$/, yank(true)],
        ['PUT', /^\/api\/v1\/crates\/([^/]+)\/([^/]+)\/unyank$/, yank(false)],
        ['GET', /^\/api\/v1\/crates\/([^/]+)\/owners$/, owners],
        ['PUT', /^\/api\/v1\/crates\/([^/]+)\/owners$/, owners],
        ['DELETE', /^\/api\/v1\/crates\/([^/]+)\/owners$/, owners],
        ['GET', /^\/api\/v1\/crates$/, search],
        ['GET', /^\/api\/v1\/crates\/([^/]+)$/, crateInfo],
        ['POST', /^\/api\/v1\/trusted_publishing\/tokens$/, exchangeToken],
        ['DELETE', /^\/api\/v1\/trusted_publishing\/tokens$/, revokeToken]
    ];
    /** `/api/v1/crates/<prefix>/<name>` with exactly the prefix cargo computes, else undefined. */
    function indexName(pathname) {
        if (!pathname.startsWith(`${CRATES}/`))
            return undefined;
        const rest = pathname.slice(CRATES.length + 1);
        const name = rest.slice(rest.lastIndexOf('/') + 1);
        if (!NAME.test(name))
            return undefined;
        return indexFilePath(name) === rest ? name : undefined;
    }
    async function dispatch(req, res) {
        const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
        const method = req.method ?? 'GET';
        const indexed = method === 'GET' ? indexName(pathname) : undefined;
        if (indexed !== undefined)
            return indexFile(req, res, indexed);
        let pathKnown = false;
        for (const [m, pattern, handler] of routes) {
            const match = pattern.exec(pathname);
            if (!match)
                continue;
            pathKnown = true;
            if (m !== method)
                continue;
            const params = match.slice(1).map(segment);
            if (params.some(p => p === undefined || !/^[A-Za-z0-9_.+-]+$/.test(p))) {
                return sendError(res, 404, 'Not Found');
            }
            return handler(req, res, params);
        }
        // A GET that matches nothing is a 404 even where other methods exist: a wrong index prefix
        // must look like an unknown file.
        if (pathKnown && method !== 'GET') {
            return sendError(res, 405, `method ${method} not allowed here`);
        }
        sendError(res, 404, 'Not Found');
    }
    function request(req, res) {
        dispatch(req, res).catch((error) => {
            if (res.headersSent || res.destroyed) {
                res.destroy();
                return;
            }
            const message = error instanceof Error ? error.message : String(error);
            sendError(res, 500, `internal error: ${message}`);
        });
    }
    /** curl asks before sending a large upload: refuse an oversized one without receiving it. */
    function checkContinue(req, res) {
        const length = Number(req.headers['content-length']);
        if (req.method === 'PUT' && Number.isFinite(length) && length > MAX_BODY_BYTES) {
            sendError(res, 413, tooLarge.detail, { connection: 'close' });
            return;
        }
        res.writeContinue();
        request(req, res);
    }
    return { request, checkContinue };
}

const key = (name, version) => version === undefined ? name.toLowerCase() : `${name.toLowerCase()}@${version}`;
function retryAfterHeader(value) {
    if (value === undefined)
        return undefined;
    if (value instanceof Date)
        return value.toUTCString();
    return String(value);
}
function injectedResponse(spec) {
    const headers = {};
    const retryAfter = retryAfterHeader(spec.retryAfter);
    if (retryAfter !== undefined)
        headers['retry-after'] = retryAfter;
    if (typeof spec.body === 'string') {
        headers['content-type'] = 'text/plain; charset=utf-8';
        return { status: spec.status, headers, body: spec.body };
    }
    headers['content-type'] = 'application/json';
    const body = spec.body ?? {
        errors: [{ detail: `injected failure (status ${spec.status})` }]
    };
    return { status: spec.status, headers, body: JSON.stringify(body) };
}
class Faults {
    clock;
    delays = new Map();
    hidden = new Set();
    failures = new Map();
    drops = new Map();
    published = new Map();
    stored = new Map();
    constructor(clock) {
        this.clock = clock;
    }
    delayIndex(name, version, ms) {
        this.delays.set(key(name, version), ms);
    }
    hideIndex(name, version) {
        this.hidden.add(key(name, version));
    }
    failPublish(name, spec) {
        this.failures.set(`publish:${key(name)}`, { spec, left: spec.times });
    }
    failIndex(name, spec) {
        this.failures.set(`index:${key(name)}`, { spec, left: spec.times });
    }
    failDownload(name, spec) {
        this.failures.set(`download:${key(name)}`, { spec, left: spec.times });
    }
    dropAfterStore(name, times = 1) {
        this.drops.set(key(name), times);
    }
    uploads() {
        return Object.fromEntries(this.stored);
    }
    clear() {
        this.delays.clear();
        this.hidden.clear();
        this.failures.clear();
        this.drops.clear();
    }
    /** The failure to answer with now, if one is armed for this crate; consumes one use. */
    takeFailure(target, name) {
        const k = `${target}:${key(name)}`;
        const armed = this.failures.get(k);
        if (!armed)
            return undefined;
        armed.left -= 1;
        if (armed.left <= 0)
            this.failures.delete(k);
        return injectedResponse(armed.spec);
    }
    /** Records a stored upload; true when the connection must now be dropped unanswered. */
    recordUpload(name, version) {
        this.published.set(key(name, version), this.clock.now());
        this.stored.set(`${name}@${version}`, (this.stored.get(`${name}@${version}`) ?? 0) + 1);
        const left = this.drops.get(key(name));
        if (left === undefined)
            return false;
        if (left <= 1)
            this.drops.delete(key(name));
        else
            this.drops.set(key(name), left - 1);
        return true;
    }
    /**
     * Whether a listed version may be shown now. A delay counts from the moment this process stored
     * the upload, or from `pubtime` for versions stored before it started.
     */
    isVisible(name, version, pubtime) {
        const k = key(name, version);
        if (this.hidden.has(k))
            return false;
        const delay = this.delays.get(k);
        if (delay === undefined)
            return true;
        const since = this.published.get(k) ?? (pubtime ? Date.parse(pubtime) : Number.NaN);
        if (Number.isNaN(since))
            return true;
        return this.clock.now() >= since + delay;
    }
    /** True when no visibility rule is set, so the index can be served without filtering. */
    get filtersIndex() {
        return this.delays.size > 0 || this.hidden.size > 0;
    }
}

/**
 * A loopback-only HTTP server whose close() really ends it: every socket is tracked and destroyed,
 * so no keep-alive connection holds the process (or a test) open.
 */
function listenLoopback(handlers, port) {
    const sockets = new Set();
    const server = createServer(handlers.request);
    server.on('checkContinue', handlers.checkContinue);
    server.on('connection', socket => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
    });
    let closing;
    const close = () => {
        closing ??= new Promise(resolve => {
            server.close(() => resolve());
            for (const socket of sockets)
                socket.destroy();
        });
        return closing;
    };
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
            server.off('error', reject);
            const address = server.address();
            if (address === null || typeof address === 'string') {
                reject(new Error('the registry server has no TCP address'));
                return;
            }
            resolve({ port: address.port, close });
        });
    });
}

/**
 * The embedded cargo registry: what a rehearsal publishes to when no kellnr is given, and what
 * every test publishes to. Started in-process with `startRegistry()`, or alone with
 * `shipper-rehearse registry serve`.
 *
 * Layout: kellnr's (the rehearsal registry it stands in for) on 127.0.0.1 only — `GET /api/v1/health`; the sparse index at
 * `/api/v1/crates/` with `config.json` (dl/api from the bound address) and index files at cargo's
 * prefix paths (any other prefix is a 404); `PUT /api/v1/crates/new`; downloads at
 * `/api/v1/crates/dl/{name}/{version}/download`; yank/unyank; owners; search; crates.io's
 * trusted-publishing exchange at `/api/v1/trusted_publishing/tokens`. A version is in the index
 * before its publish is answered.
 *
 * Modes:
 * - strict (default): uploads crates.io would refuse are refused with crates.io's message
 *   (validate.ts); non-strict behaves like kellnr.
 * - authRequired: index, config.json and downloads need the token too (`auth-required: true`);
 *   cargo then needs `CARGO_REGISTRIES_<NAME>_CREDENTIAL_PROVIDER=cargo:token`.
 * - trustedPublishing: JWTs from the configured test issuer (HS256 secret or RS256 key) buy
 *   `cio_tp_` tokens that expire on the injected clock and cannot create new crates.
 *
 * Storage (storage.ts) lives in `dataDir` (a restart serves the same crates; keep the port too,
 * since published manifests pin same-registry dependencies to the index URL) or in a temporary
 * directory removed on close(). Mutations are serialized and every file is written atomically.
 * `faults` (faults.ts) injects delays, hidden versions, failures and dropped connections for the
 * tests and benchmarks (README, "Fault injection"); `registry serve` never arms it.
 *
 * Modules: api.ts (routes), server.ts (loopback listener), publish-body.ts (upload format),
 * index-line.ts (index entries), validate.ts (strict rules), storage.ts, auth.ts, trusted.ts,
 * faults.ts, semver.ts.
 */
async function startRegistry(options = {}) {
    const clock = options.clock ?? systemClock;
    const temporary = options.dataDir === undefined;
    const dataDir = temporary
        ? await mkdtemp(join(tmpdir(), 'shipper-registry-'))
        : resolve(options.dataDir);
    const removeTemporary = () => temporary ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve();
    let state;
    let listener;
    try {
        const faults = new Faults(clock);
        state = {
            storage: await Storage.open(dataDir),
            faults,
            trusted: new TrustedPublishing(options.trustedPublishing, clock),
            mutex: new Mutex(),
            clock,
            token: options.token ?? `srt_${randomBytes(24).toString('hex')}`,
            strict: options.strict ?? true,
            authRequired: options.authRequired ?? false,
            url: ''
        };
        listener = await listenLoopback(createApi(state), options.port ?? 0);
    }
    catch (error) {
        await removeTemporary();
        throw error;
    }
    state.url = `http://127.0.0.1:${listener.port}`;
    let closed;
    return {
        url: state.url,
        indexUrl: `sparse+${state.url}/api/v1/crates/`,
        port: listener.port,
        token: state.token,
        dataDir,
        faults: state.faults,
        close() {
            closed ??= (async () => {
                await listener.close();
                // Uploads in flight finish their writes before a temporary directory goes away.
                await state.mutex.run(async () => undefined);
                await removeTemporary();
            })();
            return closed;
        }
    };
}

/**
 * kellnr writes config.json's `api` and `dl` from KELLNR_ORIGIN__HOSTNAME / KELLNR_ORIGIN__PORT
 * (default 127.0.0.1:8000), not from the request. A job in a container reaching the service as
 * `http://kellnr:8000` then gets `api: http://127.0.0.1:8000`, and cargo uploads and downloads to
 * the job container itself. Checked on connect, before anything is packaged. Pure.
 */
function hostOf(url) {
    try {
        return new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
    }
    catch {
        return undefined;
    }
}
/**
 * Throws when config.json sends cargo to a loopback host while the registry was reached through
 * another name; `localhost` and `127.0.0.1` are the same place and never a mismatch.
 */
function checkRegistryOrigin(registryHost, config) {
    const reached = registryHost.toLowerCase().replace(/^\[|\]$/g, '');
    const named = [
        ['api', config.api],
        ['dl', config.dl]
    ].flatMap(([key, url]) => {
        const host = url ? hostOf(url) : undefined;
        return host && host !== reached ? [{ key: key, url: url, host }] : [];
    });
    const sameMachine = (host) => isLoopbackHost(host) && isLoopbackHost(reached);
    const different = named.filter(n => !sameMachine(n.host));
    if (different.length === 0)
        return {};
    const loopback = different.find(n => isLoopbackHost(n.host));
    if (loopback) {
        throw new UserError(`the rehearsal registry was reached as '${reached}', but its config.json sends cargo to ${loopback.url} (\`${loopback.key}\`), a loopback address: every upload and download would go to this machine (or job container) instead`, `start kellnr with \`KELLNR_ORIGIN__HOSTNAME: ${reached}\` (the name the job uses; \`localhost\` when the job runs on the runner itself) so config.json names it`, 2);
    }
    return {
        warning: `the rehearsal registry was reached as '${reached}', but its config.json names ${different.map(n => `${n.host} (\`${n.key}\`)`).join(' and ')}: cargo will use those; set KELLNR_ORIGIN__HOSTNAME to '${reached}' if it cannot reach them`
    };
}

const CRATES_IO_HOST = /(^|\.)crates\.io$/i;
const KELLNR_INDEX_PATH = '/api/v1/crates/';
/** Parses `registry-url` (a kellnr base URL or a `sparse+` index URL). Pure. */
function registryEndpoint(registryUrl) {
    const indexUrl = indexUrlFor(registryUrl);
    const http = new URL(indexBaseUrl(indexUrl));
    const endpoint = {
        indexUrl,
        configUrl: `${indexBaseUrl(indexUrl)}config.json`,
        protocol: http.protocol,
        hostname: http.hostname.toLowerCase()
    };
    if (http.pathname.endsWith(KELLNR_INDEX_PATH)) {
        const base = `${http.origin}${http.pathname.slice(0, -KELLNR_INDEX_PATH.length)}`;
        endpoint.kellnrBase = base;
        endpoint.healthUrl = `${base}/api/v1/health`;
    }
    return endpoint;
}
function isLoopbackHost(hostname) {
    const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
    return (host === 'localhost' ||
        host.endsWith('.localhost') ||
        host === '::1' ||
        /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host));
}
/**
 * Plain http is allowed where nothing crosses a network a stranger can see: loopback, and
 * single-label host names, which is how a job container reaches its service containers
 * (`http://kellnr:8000`). Anything with a dot (a real domain, or an IP outside 127/8) needs https.
 */
function httpAllowed(hostname) {
    if (isLoopbackHost(hostname))
        return true;
    return !hostname.includes('.') && !hostname.includes(':') && !hostname.startsWith('[');
}
/**
 * Refuses (exit 2) a rehearsal registry that could be a live one — any crates.io host, or the
 * configured live target — and plain http where it is not allowed. Pure.
 */
function checkRegistryPolicy(endpoint, input) {
    if (CRATES_IO_HOST.test(endpoint.hostname)) {
        throw new UserError(`registry-url points at crates.io (${endpoint.hostname}): a rehearsal never publishes to the live registry`, 'leave registry-url empty for the embedded registry, or point it at a throwaway kellnr', 2);
    }
    if (input.targetRegistryUrl.trim() !== '') {
        const live = indexUrlFor(input.targetRegistryUrl);
        if (sameIndex(live, endpoint.indexUrl)) {
            throw new UserError(`registry-url is the live target registry '${input.targetRegistry}' (${live})`, 'rehearse against a throwaway registry, not the one the release goes to', 2);
        }
    }
    if (endpoint.protocol === 'http:' && !httpAllowed(endpoint.hostname)) {
        throw new UserError(`registry-url uses plain http on ${endpoint.hostname}, which is neither loopback nor a service-container host name`, 'use https, or http only for localhost / 127.x.x.x / a single-label host such as `kellnr`', 2);
    }
}
/** The rehearsal registry needs a cargo name of its own, whichever registry it is. Pure. */
function checkRegistryName(input) {
    if (input.registryName === input.targetRegistry || input.registryName === CRATES_IO.name) {
        throw new UserError(`registry-name '${input.registryName}' is the name of the live target registry`, 'give the rehearsal registry its own name, e.g. `rehearsal`', 2);
    }
}
function sameIndex(a, b) {
    const norm = (url) => {
        const parsed = new URL(indexBaseUrl(url));
        return `${parsed.protocol}//${parsed.host.toLowerCase()}${parsed.pathname.replace(/\/+$/, '')}`;
    };
    return norm(a) === norm(b);
}
/** `scheme://host:port` with the default port spelled out, as shipper's evidence records it. */
function authority(url) {
    const parsed = new URL(url.replace(/^sparse\+/, ''));
    const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
    return `${parsed.protocol}//${parsed.hostname}:${port}`;
}
/** shipper's `registry_policy_applied` evidence for a rehearsal registry. Pure. */
function policyEvidence(registry) {
    return {
        posture: 'rehearsal_or_test',
        allow_private: true,
        allow_loopback: true,
        credential_authority: authority(registry.apiBase),
        index_authority: authority(registry.indexUrl)
    };
}
const PROBE_INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 5000;
/**
 * Waits until the registry answers: its health route, or its config.json when it has none.
 * Not answering is retried until the timeout; answering with something that is not a registry
 * (an HTML page with 200, a 404 for config.json) fails at once.
 */
async function waitForRegistry(endpoint, deps) {
    const start = deps.clock.now();
    let useHealth = endpoint.healthUrl !== undefined;
    let told = false;
    for (;;) {
        const probeUrl = useHealth ? endpoint.healthUrl : endpoint.configUrl;
        const outcome = useHealth
            ? await probeHealth(probeUrl, deps)
            : await probeConfig(endpoint, deps);
        if (outcome.kind === 'ready')
            return;
        if (outcome.kind === 'no-health-route') {
            useHealth = false;
            continue;
        }
        if (!told) {
            deps.onWaiting?.(probeUrl);
            told = true;
        }
        const elapsed = deps.clock.now() - start;
        if (elapsed >= deps.timeoutMs)
            throw notAnswering(probeUrl, deps.timeoutMs, outcome.problem);
        await deps.clock.sleep(Math.min(PROBE_INTERVAL_MS, deps.timeoutMs - elapsed));
    }
}
async function probeHealth(url, deps) {
    try {
        const res = await deps.fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        await res.body?.cancel();
        if (res.status === 200)
            return { kind: 'ready' };
        if (res.status === 404)
            return { kind: 'no-health-route' };
        return { kind: 'retry', problem: `HTTP ${res.status}` };
    }
    catch (error) {
        return { kind: 'retry', problem: explain(error) };
    }
}
async function probeConfig(endpoint, deps) {
    try {
        await fetchRegistryConfig(endpoint.indexUrl, { token: deps.token, fetch: deps.fetch });
        return { kind: 'ready' };
    }
    catch (error) {
        if (error instanceof IndexError && !transient(error.status))
            throw notARegistry(error);
        return { kind: 'retry', problem: explain(error) };
    }
}
/** Reads config.json of a registry that already answers: it must be right at once. */
async function readRegistryConfig(endpoint, deps) {
    try {
        return await fetchRegistryConfig(endpoint.indexUrl, { token: deps.token, fetch: deps.fetch });
    }
    catch (error) {
        if (error instanceof IndexError)
            throw notARegistry(error);
        throw error;
    }
}
function transient(status) {
    return status === 0 || status === 408 || status === 429 || status >= 500;
}
function explain(error) {
    if (error instanceof Error) {
        const cause = error.cause;
        return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
    }
    return String(error);
}
function notAnswering(url, timeoutMs, problem) {
    return new UserError(`the rehearsal registry did not answer at ${url} within ${formatSeconds(timeoutMs)} (${problem})`, 'is the kellnr service container started? its port must be mapped as "8000:8000"; ' +
        "kellnr's image health check runs every 5 minutes unless the service sets " +
        '`options: --health-interval 2s ...`; or raise registry-wait', 1);
}
function notARegistry(error) {
    if (error.status === 401 || error.status === 403) {
        return new UserError(`the rehearsal registry refused to show its index without a valid token (${error.message})`, 'set registry-token (or registry-user / registry-password for kellnr)', 1);
    }
    return new UserError(`the rehearsal registry URL does not serve a cargo registry: ${error.message}`, 'registry-url must be the base URL of a kellnr-layout registry (index at <base>/api/v1/crates/) or a sparse+ index URL', 1);
}
/**
 * The rehearsal registry: the URL registry once it answers (with a token minted from the kellnr
 * login when none was given), or a fresh embedded registry on loopback in crates.io-strict mode.
 * The caller must close() it whatever happens.
 */
async function connectRegistry(options, endpoint, deps) {
    if (!endpoint) {
        const embedded = await startRegistry({ strict: true });
        deps.logger.secret(embedded.token);
        deps.progress(`started the embedded registry at ${embedded.url}`);
        return {
            name: options.registryName,
            indexUrl: embedded.indexUrl,
            apiBase: embedded.url,
            token: embedded.token,
            authRequired: false,
            embedded: true,
            close: () => embedded.close()
        };
    }
    if (options.registryToken)
        deps.logger.secret(options.registryToken);
    deps.progress(`waiting for the rehearsal registry at ${endpoint.healthUrl ?? endpoint.configUrl}`);
    await waitForRegistry(endpoint, {
        fetch: deps.fetch,
        clock: deps.clock,
        timeoutMs: options.registryWaitMs,
        token: options.registryToken || undefined,
        onWaiting: url => deps.progress(`${url} does not answer yet; waiting up to ${formatSeconds(options.registryWaitMs)}`)
    });
    let token = options.registryToken;
    if (!token && endpoint.kellnrBase) {
        const minted = await mintKellnrToken(endpoint.kellnrBase, options.registryUser, options.registryPassword, { fetch: deps.fetch, now: deps.clock.now, secret: value => deps.logger.secret(value) });
        token = minted.token;
        deps.progress(`minted the token '${minted.name}' for '${options.registryUser}' on the rehearsal registry`);
    }
    const config = await readRegistryConfig(endpoint, {
        fetch: deps.fetch,
        token: token || undefined
    });
    const origin = checkRegistryOrigin(endpoint.hostname, config);
    if (origin.warning)
        deps.logger.warning(origin.warning);
    const apiBase = (config.api ?? endpoint.kellnrBase ?? new URL(endpoint.configUrl).origin).replace(/\/+$/, '');
    return {
        name: options.registryName,
        indexUrl: endpoint.indexUrl,
        apiBase,
        token,
        authRequired: config['auth-required'] === true,
        embedded: false,
        close: async () => undefined
    };
}

/** `skip-rehearsal`: nothing is rehearsed, no receipt may vouch for this plan, and it is loud. */
async function bypass(plan, stateDir, startedAt, ctx) {
    await removeRehearsal(stateDir);
    const recorder = await RunRecorder.open(stateDir, ctx.clock, []);
    const reason = 'skip-rehearsal is set: the operator bypassed the rehearsal';
    await recorder.during(r => r.emit({ type: 'rehearsal_bypassed', reason }));
    ctx.logger.warning(`skip-rehearsal is set: NOTHING was rehearsed for plan ${plan.planId}; no rehearsal.json was written and any older one was removed`);
    return {
        mode: 'rehearse',
        outcome: 'skipped',
        plan,
        packages: plan.packages.map(c => ({
            name: c.name,
            version: c.version,
            level: c.level,
            status: 'skipped',
            durationMs: 0,
            reason: 'rehearsal bypassed'
        })),
        published: [],
        stateDir,
        eventsPath: recorder.eventsPath,
        startedAt,
        completedAt: isoTime(ctx.clock.now())
    };
}

/** The rehearsed commit: HEAD of the workspace's repository, else the workflow's GITHUB_SHA. */
async function commitOf(git, workspaceRoot, env) {
    try {
        const sha = (await git(['rev-parse', 'HEAD'], { cwd: workspaceRoot })).trim();
        if (/^[0-9a-f]{40,64}$/.test(sha))
            return sha;
    }
    catch {
        // not a git checkout, or no commit yet
    }
    return env.GITHUB_SHA ?? process.env.GITHUB_SHA ?? undefined;
}

/**
 * shipper's summary and counts. On failure, K in "stopped at K/N" is the plan position of the
 * first failed crate (what a sequential run would have reached), or the number of crates that
 * got through when the failure belongs to no crate (a smoke check, the registry). Pure.
 */
function verdict(plan, outcomes, registryName, firstFailure) {
    const n = plan.packages.length;
    const done = outcomes.filter(o => o.status === 'published' || o.status === 'skipped').length;
    const published = outcomes.filter(o => o.status === 'published').length;
    const failed = outcomes.filter(o => o.status === 'failed').length;
    // Skipped crates (already in the registry with the same bytes) were neither attempted nor
    // published by this run: counting them would claim uploads that never happened.
    const counts = { packagesAttempted: published + failed, packagesPublished: published };
    if (firstFailure === undefined) {
        return { passed: true, summary: rehearsalSummaryPassed(n, registryName), ...counts };
    }
    const position = plan.packages.findIndex(c => outcomes.some(o => o.name === c.name && o.status === 'failed'));
    const k = position === -1 ? done : position + 1;
    return { passed: false, summary: rehearsalSummaryFailed(k, n, oneLine(firstFailure)), ...counts };
}
function oneLine(text) {
    return (text
        .split(/\r?\n/)
        .find(l => l.trim() !== '')
        ?.trim() ?? text.trim());
}
/**
 * rehearsal.json: shipper's nine fields, then this action's; a failed one also says what failed
 * (`failure`: package, class, message, hint, stderr_tail). Pure.
 */
function buildReceipt(facts) {
    const receipt = {
        schema_version: REHEARSAL_SCHEMA,
        plan_id: facts.plan.planId,
        registry: facts.registryName,
        passed: facts.verdict.passed,
        packages_attempted: facts.verdict.packagesAttempted,
        packages_published: facts.verdict.packagesPublished,
        summary: facts.verdict.summary,
        started_at: facts.startedAt,
        completed_at: facts.completedAt,
        publish_order: facts.plan.packages.map(p => `${p.name}@${p.version}`)
    };
    if (facts.digest) {
        const digest = facts.digest;
        receipt.content_digest = digest.digest;
        receipt.packages = facts.plan.packages.map((crate) => {
            const outcome = facts.outcomes.find(o => o.name === crate.name);
            return {
                name: crate.name,
                version: crate.version,
                cksum: outcome?.cksum ?? facts.cksums.get(crate.name) ?? null,
                digest: digest.perCrate[crate.name],
                status: receiptStatus(outcome?.status),
                duration_ms: Math.max(0, Math.round(outcome?.durationMs ?? 0))
            };
        });
    }
    if (facts.digest?.lockSha256)
        receipt.cargo_lock_sha256 = facts.digest.lockSha256;
    if (facts.commit)
        receipt.commit = facts.commit;
    receipt.tool = { name: TOOL.name, version: TOOL.version };
    if (facts.registryUrl)
        receipt.registry_url = facts.registryUrl;
    if (facts.plan.registry && facts.plan.apiBase) {
        receipt.target = { name: facts.plan.registry, api_base: facts.plan.apiBase };
    }
    if (facts.toolchain)
        receipt.toolchain = facts.toolchain;
    if (facts.events) {
        receipt.events_sha256 = facts.events.sha256;
        receipt.events_bytes = facts.events.bytes;
    }
    if (facts.failure) {
        const crate = facts.failure.crate;
        receipt.failure = {
            package: crate ? `${crate.name}@${crate.version}` : null,
            class: facts.failure.class,
            message: facts.failure.message,
            hint: facts.failure.hint,
            stderr_tail: facts.failure.stderrTail ?? null
        };
    }
    return receipt;
}
function receiptStatus(status) {
    return status === undefined || status === 'pending' ? 'not_attempted' : status;
}

/**
 * Judges the session, records the verdict (the `rehearsal_complete` event, then rehearsal.json)
 * and says what happened. An input error found during the run is thrown once it is recorded.
 */
async function concludeRehearsal(run, outcome) {
    const { options, ctx, plan, recorder, stateDir, startedAt } = run;
    const completedAt = isoTime(ctx.clock.now());
    const v = verdict(plan, outcome.crates, options.registryName, outcome.failure?.message);
    await recorder.emit({
        type: 'rehearsal_complete',
        passed: v.passed,
        registry: options.registryName,
        plan_id: plan.planId,
        summary: v.summary
    });
    const receiptPath = await writeRehearsal(stateDir, buildReceipt({
        plan,
        registryName: options.registryName,
        registryUrl: outcome.registry?.indexUrl,
        verdict: v,
        outcomes: outcome.crates,
        cksums: outcome.cksums,
        digest: outcome.digest,
        startedAt,
        completedAt,
        commit: await commitOf(ctx.git, plan.workspaceRoot, ctx.env),
        failure: outcome.failure,
        toolchain: await run.toolchain.catch(() => undefined),
        events: await fileEvidence(recorder.eventsPath)
    }), recorder.secrets);
    // A failure is told once, by the front door; only a pass is announced here.
    if (v.passed)
        ctx.progress(v.summary);
    if (outcome.rethrow)
        throw outcome.rethrow;
    return {
        mode: 'rehearse',
        outcome: v.passed ? 'passed' : 'failed',
        plan,
        digest: outcome.digest,
        packages: outcome.crates.map(reported),
        published: [],
        stateDir,
        receiptPath,
        eventsPath: recorder.eventsPath,
        failure: outcome.failure,
        cargoLog: run.cargoLogPath,
        smoke: outcome.smoke,
        registry: outcome.registry && {
            name: outcome.registry.name,
            url: outcome.registry.apiBase,
            embedded: outcome.registry.embedded
        },
        startedAt,
        completedAt
    };
}

/**
 * A dropped dev-dependency edge resolves from the live registry at publish time, so a version it
 * can resolve to must be there already (publish mode checks the same before uploading).
 */
async function checkLiveDevEdges(plan, options, ctx, liveIndex) {
    if (plan.droppedDevEdges.length === 0)
        return;
    const snapshot = await (liveIndex ??
        readSparseSnapshot(liveTarget(options).indexUrl, plan.droppedDevEdges.map(e => e.to), { fetch: ctx.fetch }));
    const warnings = await checkDroppedDevEdges(plan, async (name) => snapshot.resolvableVersions(name));
    for (const warning of warnings)
        ctx.logger.warning(warning);
}

const DEPENDENCY_SECTIONS = [
    ['dependencies', 'normal'],
    ['dev-dependencies', 'dev'],
    ['dev_dependencies', 'dev'],
    ['build-dependencies', 'build'],
    ['build_dependencies', 'build']
];
function isTable(value) {
    return (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date));
}
/** Copies tables and arrays, sharing leaves: dates keep their class, which structuredClone loses. */
function cloneTable(table) {
    const out = {};
    for (const [key, value] of Object.entries(table))
        out[key] = cloneValue(value);
    return out;
}
function cloneValue(value) {
    if (Array.isArray(value))
        return value.map(cloneValue);
    return isTable(value) ? cloneTable(value) : value;
}
/**
 * Points every versioned path dependency on a planned crate at the rehearsal registry, and lets
 * `publish` lists that allow the live registry allow the rehearsal too; nothing else changes.
 *
 * - Path-only dependencies (no version) are left alone: cargo strips them from dev-dependencies
 *   and refuses them elsewhere, with or without a registry key.
 * - A dependency with `workspace = true` gets the key through `[workspace.dependencies]`, except a
 *   kept-live dev-dependency, which is written out in full as the workspace entry said it (its
 *   path rebased onto this crate's directory) because inheritance cannot drop a key.
 */
function rewriteManifest(source, ctx) {
    const manifest = cloneTable(source);
    const changes = [];
    for (const [section, kind] of DEPENDENCY_SECTIONS) {
        rewriteDependencyTable(manifest[section], section, kind, ctx, changes);
    }
    const targets = manifest.target;
    if (isTable(targets)) {
        for (const [cfg, targetTable] of Object.entries(targets)) {
            if (!isTable(targetTable))
                continue;
            for (const [section, kind] of DEPENDENCY_SECTIONS) {
                const where = `target.${JSON.stringify(cfg)}.${section}`;
                rewriteDependencyTable(targetTable[section], where, kind, ctx, changes);
            }
        }
    }
    const workspace = manifest.workspace;
    if (isTable(workspace)) {
        const deps = workspace.dependencies;
        if (isTable(deps)) {
            for (const [key, entry] of Object.entries(deps)) {
                if (!isTable(entry) || !pointsAtPlannedCrate(key, entry, ctx))
                    continue;
                setRegistry(entry, ctx.registryName);
                changes.push(`workspace.dependencies.${key}: registry = "${ctx.registryName}"`);
            }
        }
        const workspacePackage = workspace.package;
        if (isTable(workspacePackage)) {
            allowRehearsal(workspacePackage, 'workspace.package.publish', ctx, changes);
        }
    }
    const pkg = manifest.package ?? manifest.project;
    if (isTable(pkg))
        allowRehearsal(pkg, 'package.publish', ctx, changes);
    return { manifest, changes };
}
function pointsAtPlannedCrate(key, entry, ctx) {
    const name = typeof entry.package === 'string' ? entry.package : key;
    return typeof entry.path === 'string' && entry.version !== undefined && ctx.planned.has(name);
}
function setRegistry(entry, registryName) {
    delete entry['registry-index'];
    entry.registry = registryName;
}
function rewriteDependencyTable(deps, where, kind, ctx, changes) {
    if (!isTable(deps))
        return;
    for (const [key, entry] of Object.entries(deps)) {
        if (!isTable(entry))
            continue;
        if (entry.workspace === true) {
            const inherited = ctx.workspaceDependencies?.[key];
            if (kind !== 'dev' || !isTable(inherited))
                continue;
            const name = typeof inherited.package === 'string' ? inherited.package : key;
            if (!ctx.keepLiveDev.has(name) || !pointsAtPlannedCrate(key, inherited, ctx))
                continue;
            deps[key] = expandInherited(inherited, entry, ctx.dirFromRoot);
            changes.push(`${where}.${key}: written out from [workspace.dependencies], kept on the live registry`);
            continue;
        }
        if (!pointsAtPlannedCrate(key, entry, ctx))
            continue;
        const name = typeof entry.package === 'string' ? entry.package : key;
        if (kind === 'dev' && ctx.keepLiveDev.has(name))
            continue;
        setRegistry(entry, ctx.registryName);
        changes.push(`${where}.${key}: registry = "${ctx.registryName}"`);
    }
}
/** The member's view of an inherited dependency, as cargo would compose it. */
function expandInherited(inherited, member, dirFromRoot) {
    const out = cloneTable(inherited);
    const path = out.path;
    if (typeof path === 'string' && !posix.isAbsolute(path) && !/^[A-Za-z]:[\\/]/.test(path)) {
        out.path = posix.relative(dirFromRoot || '.', posix.normalize(path)) || '.';
    }
    const features = [
        ...(Array.isArray(inherited.features) ? inherited.features : []),
        ...(Array.isArray(member.features) ? member.features : [])
    ];
    if (features.length > 0)
        out.features = [...new Set(features)];
    for (const key of ['optional', 'public', 'default-features', 'default_features']) {
        const value = member[key];
        if (value !== undefined)
            out[key] = value;
    }
    return out;
}
function allowRehearsal(table, where, ctx, changes) {
    const publish = table.publish;
    if (!Array.isArray(publish))
        return;
    if (!publish.includes(ctx.liveRegistry) || publish.includes(ctx.registryName))
        return;
    table.publish = [...publish, ctx.registryName];
    changes.push(`${where}: + "${ctx.registryName}"`);
}

/** Where a crate's manifest lives relative to the workspace root; it must be inside it. */
function manifestFromRoot(workspaceRoot, manifestPath) {
    const rel = relative(workspaceRoot, manifestPath);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
        throw new UserError(`${manifestPath} is outside the workspace root ${workspaceRoot}`, 'the rehearsal copies the workspace root; keep every member inside it', 2);
    }
    return rel.split(sep).join('/');
}
/**
 * Rewrites the copy's root manifest and every planned crate's manifest (see rewriteManifest) and
 * writes back only those that changed. The copy is the only place this ever writes.
 */
function rewriteScratchManifests(plan, copyRoot, registryName) {
    const planned = new Set(plan.packages.map(p => p.name));
    const rootRel = 'Cargo.toml';
    const rootManifest = readToml(join(copyRoot, rootRel));
    const workspace = rootManifest.workspace;
    const workspaceDependencies = isTable(workspace) && isTable(workspace.dependencies) ? workspace.dependencies : undefined;
    const keepLiveFor = (name) => new Set(plan.droppedDevEdges.filter(e => e.from === name).map(e => e.to));
    const byManifest = new Map([[rootRel, undefined]]);
    for (const crate of plan.packages) {
        byManifest.set(manifestFromRoot(plan.workspaceRoot, crate.manifestPath), crate.name);
    }
    const result = { manifests: [], changes: [] };
    for (const [rel, crateName] of byManifest) {
        const path = join(copyRoot, rel);
        const source = rel === rootRel ? rootManifest : readToml(path);
        const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
        const { manifest, changes } = rewriteManifest(source, {
            registryName,
            liveRegistry: plan.registry,
            planned,
            keepLiveDev: keepLiveFor(crateName),
            workspaceDependencies,
            dirFromRoot: dir
        });
        if (changes.length === 0)
            continue;
        writeFileSync(path, stringify(manifest) + '\n');
        result.manifests.push(rel);
        result.changes.push(...changes.map(c => `${rel}: ${c}`));
    }
    return result;
}
function readToml(path) {
    try {
        return parse$1(readFileSync(path, 'utf8'));
    }
    catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new UserError(`cannot read ${path} in the scratch copy: ${message}`, '', 1);
    }
}

/**
 * The proof that the rehearsal packaged what a publish from the checkout packages: every
 * rehearsed `.crate` holds exactly the digest's files (names, bytes, modes), cargo's own files
 * and the manifests the copy rewrote aside.
 */
async function checkRehearsedCrates(plan, targetDir, digest, rewrittenManifests) {
    const rewritten = new Set(rewrittenManifests);
    const difference = await checkPackagedCrates(plan.packages, targetDir, digest, crate => rewritten.has(manifestFromRoot(plan.workspaceRoot, crate.manifestPath)));
    if (!difference)
        return undefined;
    return {
        crate: difference.crate,
        message: `the rehearsal packaged other files than a publish from this checkout would: ${describeDifference(difference)}`,
        hint: 'the rehearsal copy does not reproduce how cargo lists this checkout; please report it with the file named here'
    };
}

/**
 * How a rehearsal failure is worded for the person who has to fix it: which crate, which class,
 * what to do next, and paths named in their checkout rather than in the scratch copy.
 */
/** The crate a failure names, as the record shows it. */
function failedCrate(crate) {
    return { name: crate.name, version: crate.version, manifestPath: crate.manifestPath };
}
/** `cargo package` failed for the plan, or for one crate of it when cargo says which. */
function packagingFailure(stderr, crate, plan, now, scrub) {
    const classified = classifyCargoFailure(stderr, { now });
    const what = crate ? `packaging ${crate.name}@${crate.version}` : 'packaging the plan';
    const error = cargoErrorLine(stderr);
    const located = crate
        ? anchorLocation(error, dirname(crate.manifestPath), plan.workspaceRoot, isFile)
        : error;
    return {
        crate: crate && failedCrate(crate),
        class: classified.class,
        message: scrub(`${what} failed: ${located}`),
        hint: packageHint(plan, stderr, classified),
        stderrTail: scrub(cargoEvidence(stderr))
    };
}
/** A cycle-closing dev-dependency missing from the live registry deserves the plan's own advice. */
function packageHint(plan, stderr, classified) {
    for (const edge of plan.droppedDevEdges) {
        if (stderr.includes(`no matching package named \`${edge.to}\``)) {
            return `${edge.from} dev-depends on ${edge.to} ${edge.req} through a cycle, which resolves from versions already on ${plan.registry}; drop the version from that dev-dependency (keep only its path) so cargo strips it`;
        }
    }
    if (classified.fix)
        return `${classified.reason}: ${classified.fix}`;
    if (classified.class === 'permanent') {
        return `${classified.reason}; a publish of this plan would fail the same way`;
    }
    if (classified.class === 'retryable') {
        return `${classified.reason}; packaging could not reach a registry it needs: run the rehearsal again once it answers`;
    }
    return `${classified.reason}; cargo's output below says more`;
}
/** The first crate whose upload failed, as the run's failure. */
function uploadFailure$1(plan, crates) {
    const failed = crates.find(c => c.status === 'failed');
    if (!failed?.failure)
        return undefined;
    const crate = plan.packages.find(c => c.name === failed.name);
    return {
        crate: failedCrate(crate),
        class: failed.failure.class,
        message: failed.failure.message,
        hint: failed.failure.hint ?? '',
        ...(failed.failure.stderrTail ? { stderrTail: failed.failure.stderrTail } : {})
    };
}
/** Anything a step threw: interruptions and user errors keep their wording, the rest is a bug. */
function unexpectedFailure(error, scrub, logger) {
    if (error instanceof InterruptedError) {
        return { class: 'ambiguous', message: error.message, hint: error.hint };
    }
    if (error instanceof UserError) {
        return {
            class: error.exitCode === 2 ? 'input' : 'permanent',
            message: scrub(error.message),
            hint: error.hint
        };
    }
    logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return {
        class: 'ambiguous',
        message: scrub(`rehearsal aborted: ${error instanceof Error ? error.message : String(error)}`),
        hint: 'this is unexpected; the log above has the details'
    };
}
/** Every text of a failure scrubbed, whichever step produced it. */
function inUserTerms(failure, scrub) {
    return {
        ...failure,
        message: scrub(failure.message),
        hint: scrub(failure.hint),
        ...(failure.stderrTail ? { stderrTail: scrub(failure.stderrTail) } : {})
    };
}
function isFile(path) {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** `cargo package` for the whole plan in one invocation (see packagePlan). */
function packageArgs(plan, registryName) {
    return [
        'package',
        ...plan.packages.flatMap(c => ['-p', c.name]),
        '--registry',
        registryName,
        '--allow-dirty',
        // The copy holds the lock the digest bound (committed or resolved for it): keep it as it is.
        '--locked'
    ];
}
const STEP_LINE = /^\s*(?:Packaging|Verifying)\s+(\S+)\s+v(\S+)/;
/**
 * The planned crate a failed `cargo package` was working on: the last `Packaging`/`Verifying`
 * line before the first error, else the first planned `name vX.Y.Z` an error line mentions. Pure.
 */
function crateOfPackageFailure(stderr, plan) {
    const find = (name, version) => plan.packages.find(c => c.name === name && c.version === version);
    const lines = stderr.split(/\r?\n/);
    const firstError = lines.findIndex(l => l.startsWith('error'));
    const before = firstError === -1 ? lines : lines.slice(0, firstError);
    for (let i = before.length - 1; i >= 0; i--) {
        const match = STEP_LINE.exec(before[i]);
        const crate = match && find(match[1], match[2]);
        if (crate)
            return crate;
    }
    const after = firstError === -1 ? '' : lines.slice(firstError).join('\n');
    for (const match of after.matchAll(/`?([A-Za-z0-9_-]+) v(\d+\.\d+\.\d+[^\s`)]*)/g)) {
        const crate = find(match[1], match[2]);
        if (crate)
            return crate;
    }
    return undefined;
}
/**
 * Packages and verifies every planned crate in one cargo run: cargo 1.95 packages workspace
 * crates into a local overlay registry so dependents resolve their unpublished siblings, and each
 * crate compiles once. Returns the sha256 of each `.crate`, which is what the registry's index
 * must list after the upload (`cargo publish --no-verify` re-packages byte-identically).
 */
async function packagePlan(plan, registryName, run, now) {
    const start = now();
    const result = await run.cargo(packageArgs(plan, registryName), {
        cwd: run.cwd,
        env: run.env
    });
    if (result.exitCode !== 0) {
        return {
            ok: false,
            result,
            crate: crateOfPackageFailure(result.stderr, plan),
            durationMs: now() - start
        };
    }
    const cksums = new Map();
    for (const crate of plan.packages) {
        const bytes = await readFile(packagedCratePath(run.targetDir, crate));
        cksums.set(crate.name, createHash('sha256').update(bytes).digest('hex'));
    }
    return { ok: true, cksums, durationMs: now() - start };
}

/** A crate found broken before its upload: marked failed in `crates` and recorded. */
async function markPackageFailed(step, crates, crate, failureClass, message) {
    const status = crates.find(c => c.name === crate.name);
    status.status = 'failed';
    await step.recorder.emit({
        type: 'rehearsal_package_failed',
        name: crate.name,
        version: crate.version,
        class: failureClass,
        message
    }, packageKey(crate.name, crate.version));
}
/** A crate's upload settled: say so, and record it. */
async function reportSettled(step, outcome) {
    const key = packageKey(outcome.name, outcome.version);
    const { name, version } = outcome;
    if (outcome.status === 'published') {
        const durationMs = Math.round(outcome.durationMs);
        step.ctx.progress(`${key} is in the rehearsal registry's index (${formatSeconds(durationMs)})`);
        await step.recorder.emit({ type: 'rehearsal_package_published', name, version, duration_ms: durationMs }, key);
    }
    else if (outcome.status === 'skipped') {
        step.ctx.progress(`${key} skipped: ${outcome.reason}`);
        await step.recorder.emit({ type: 'rehearsal_package_skipped', name, version, reason: outcome.reason ?? 'skipped' }, key);
    }
    else if (outcome.status === 'failed' && outcome.failure) {
        step.ctx.progress(`${key}: upload failed (${outcome.failure.class}; reported below)`);
        await step.recorder.emit({
            type: 'rehearsal_package_failed',
            name,
            version,
            class: outcome.failure.class,
            message: step.scrub(outcome.failure.message)
        }, key);
    }
}

/**
 * The scratch copy and its packaging: copy what the digest lists, point the manifests at the
 * rehearsal registry, then package and verify the whole plan once and check that what was packaged
 * is what the digest and the live registry's limits allow.
 */
async function copyWorkspace({ ctx, options, plan }, scratch, registry, digest) {
    const stateDir = resolveStateDir(options, plan.workspaceRoot);
    const listed = await copyForCargo(plan, digest, join(scratch, 'workspace'), stateDir, ctx.git);
    const copy = listed.workspaceRoot;
    const rewrite = rewriteScratchManifests(plan, copy, registry.name);
    ctx.progress(`copied ${count(listed.copied, 'file')} of the workspace (${listed.via === 'git' ? 'as git lists them' : 'all but target/ and .git'}); rewrote ${count(rewrite.manifests.length, 'manifest')}`);
    for (const change of rewrite.changes)
        ctx.logger.debug(change);
    const given = ctx.env.CARGO_TARGET_DIR ?? process.env.CARGO_TARGET_DIR;
    const targetDir = given ? resolve(given) : join(scratch, 'target');
    // Builds run the workspace's build scripts and its dependencies' (third-party code): they get
    // the registry token only when the registry will not even serve its index without one.
    const uploadEnv = { ...ctx.env, ...registryEnv(registry), CARGO_TARGET_DIR: targetDir };
    const buildEnv = registry.authRequired
        ? uploadEnv
        : { ...ctx.env, ...registryEnv({ ...registry, token: '' }), CARGO_TARGET_DIR: targetDir };
    return { copy, targetDir, manifests: rewrite.manifests, uploadEnv, buildEnv };
}
/** Package and verify the plan in the copy; a crate found broken is marked failed in `crates`. */
async function packageAndCheck(step, where, registry, digest, crates) {
    const { ctx, plan } = step;
    ctx.progress(`packaging and verifying ${count(plan.packages.length, 'crate')} in one cargo run`);
    const packaged = await packagePlan(plan, registry.name, { cargo: ctx.cargo, cwd: where.copy, env: where.buildEnv, targetDir: where.targetDir }, () => ctx.clock.now());
    if (!packaged.ok) {
        const { crate } = packaged;
        const failure = packagingFailure(packaged.result.stderr, crate, plan, ctx.clock.now(), step.scrub);
        if (crate)
            await markPackageFailed(step, crates, crate, failure.class, failure.message);
        return { cksums: new Map(), failure };
    }
    const cksums = packaged.cksums;
    const oversize = await oversizeCrates(plan, where.targetDir);
    if (oversize.length > 0)
        return { cksums, failure: preflightFailure$1(oversize, plan.registry) };
    const mismatch = await checkRehearsedCrates(plan, where.targetDir, digest, where.manifests);
    if (!mismatch)
        return { cksums };
    const crate = plan.packages.find(c => c.name === mismatch.crate.name);
    await markPackageFailed(step, crates, crate, 'permanent', mismatch.message);
    return {
        cksums,
        failure: {
            crate: failedCrate(crate),
            class: 'permanent',
            message: mismatch.message,
            hint: mismatch.hint
        }
    };
}

/** Pure: the planned version against the crate's index entries (null = crate unknown). */
function indexState(entries, version, cksum) {
    const entry = entries?.find(e => e.vers === version);
    if (!entry)
        return { kind: 'absent' };
    return entry.cksum === cksum ? { kind: 'same' } : { kind: 'different', cksum: entry.cksum };
}
const DIFFERENT_CONTENTS_HINT = 'a rehearsal registry must be throwaway: start a fresh one (or leave registry-url empty)';
/** The refusal for a version the registry holds with other bytes; shared with the tests. */
function differentContentsMessage(name, version) {
    return `the rehearsal registry already holds ${name}@${version} with different contents; use a fresh registry`;
}
/**
 * Uploads the plan through as few cargo invocations as cargo can order (one for a workspace
 * without dev-dependency cycles) and proves each crate visible in the index as soon as cargo
 * reports it uploaded (cargo's `Uploaded NAME vVERSION` line), while cargo goes on with the rest.
 * Versions already in the index with the packaged checksum are skipped (a rehearsal can be
 * rerun); one held with other bytes fails the rehearsal before anything is uploaded. The first
 * failure stops cargo; crates it never uploaded stay `pending`.
 *
 * Why not our own schedule, as publish mode has: a rehearsal neither retries nor reconciles, so
 * per-crate control buys nothing here, while every cargo process costs ~60 ms of start-up per
 * dependency level (a 50-deep chain paid 2.95 s where `cargo publish --workspace` pays 0.18 s).
 */
async function uploadPlan(plan, cksums, states, deps) {
    const outcomes = new Map(plan.packages.map(c => [c.name, pendingStatus(c)]));
    const inPlanOrder = () => plan.packages.map(c => outcomes.get(c.name));
    const settle = async (name, update) => {
        const outcome = outcomes.get(name);
        Object.assign(outcome, update);
        await deps.onSettled?.(outcome);
    };
    const blocking = plan.packages.filter(c => {
        const state = states.get(c.name);
        return state?.kind === 'different' || state?.kind === 'unreadable';
    });
    if (blocking.length > 0) {
        for (const crate of blocking) {
            await settle(crate.name, {
                status: 'failed',
                failure: preflightFailure(crate, states.get(crate.name))
            });
        }
        return inPlanOrder();
    }
    const present = plan.packages.filter(c => states.get(c.name)?.kind === 'same');
    for (const crate of present) {
        await settle(crate.name, {
            status: 'skipped',
            cksum: cksums.get(crate.name),
            reason: 'already in the rehearsal registry with the same contents'
        });
    }
    const remaining = plan.packages.filter(c => states.get(c.name)?.kind !== 'same');
    for (const part of cargoOrderable(remaining, plan.droppedDevEdges ?? [])) {
        let todo = part;
        while (todo.length > 0) {
            const run = await uploadThroughCargo(todo, cksums, deps, settle);
            if (run.stopped)
                return inPlanOrder();
            todo = todo.filter(c => !run.sent.has(c.name));
        }
    }
    return inPlanOrder();
}
/**
 * Pure: the crates to upload (in plan order) cut into consecutive parts that cargo can order on
 * its own. cargo orders a multi-crate publish by every in-plan dependency, versioned
 * dev-dependencies included, so both ends of a cycle-closing dev-dependency (one the plan drops)
 * in one invocation would make cargo wait for a crate it can never publish first. Such a pair
 * goes to two invocations, one after the other, in plan order (which honours every kept edge).
 */
function cargoOrderable(crates, dropped) {
    const apart = (a, b) => dropped.some(e => (e.from === a && e.to === b) || (e.from === b && e.to === a));
    const parts = [];
    let current = [];
    for (const crate of crates) {
        if (current.some(c => apart(c.name, crate.name))) {
            parts.push(current);
            current = [];
        }
        current.push(crate);
    }
    if (current.length > 0)
        parts.push(current);
    return parts;
}
const UPLOADING = /^\s*Uploading (\S+) v(\S+)/;
const UPLOADED = /^\s*Uploaded (\S+) v(\S+)/;
const PUBLISHED = /^\s*Published (.+) at registry /;
/**
 * Pure: the crate a line of cargo's stderr says it started (`Uploading`) or finished (`Uploaded`)
 * uploading, or the crates it saw in its view of the index (`Published a v1, b v1 and c v1 at
 * registry …`).
 */
function uploadLine(line) {
    const uploading = UPLOADING.exec(line);
    if (uploading)
        return { step: 'uploading', name: uploading[1] };
    const uploaded = UPLOADED.exec(line);
    if (uploaded)
        return { step: 'uploaded', name: uploaded[1] };
    const published = PUBLISHED.exec(line);
    if (published) {
        const names = [...published[1].matchAll(/(?:^|, | and )(\S+) v[^\s,]+/g)];
        return { step: 'seen', names: names.map(m => m[1]) };
    }
    return undefined;
}
/**
 * Pauses between index polls that end early when poked: once cargo says it saw a version in the
 * index (or has exited), its proof polls again at once instead of finishing a backoff pause.
 */
class Pauses {
    clock;
    sleeping = new Map();
    constructor(clock) {
        this.clock = clock;
    }
    for(name) {
        return async (ms) => {
            const cut = new AbortController();
            const mine = this.sleeping.get(name) ?? new Set();
            this.sleeping.set(name, mine.add(cut));
            try {
                await this.clock.sleep(ms, cut.signal);
            }
            finally {
                mine.delete(cut);
            }
        };
    }
    /** Ends the pauses of `names` (all, by default) now. */
    poke(names = this.sleeping.keys()) {
        for (const name of [...names])
            for (const cut of this.sleeping.get(name) ?? [])
                cut.abort();
    }
}
/**
 * One cargo invocation, watched line by line: `Uploading X` starts X's clock, `Uploaded X` starts
 * X's proof, and a failed proof stops cargo. Once cargo is done and every proof has settled:
 * - a failed proof is the failure (cargo stopping is its consequence);
 * - exit code 0 means cargo uploaded every crate (one it did not announce in a form we read is
 *   proven all the same);
 * - cargo stopping between two uploads after it sent something (it gave up on its own index wait,
 *   its `publish.timeout` of 60 s, or it was killed) is no failure: our own proofs, bounded by
 *   `readiness-timeout`, decided what it sent, and the caller runs cargo again for the rest (each
 *   run must send at least one crate, so this ends);
 * - any other failure is the crate cargo was uploading, or, when it failed before an upload
 *   started (packaging), the first crate not yet uploaded.
 */
async function uploadThroughCargo(crates, cksums, deps, settle) {
    const start = deps.clock.now();
    const byName = new Map(crates.map(c => [c.name, c]));
    const startedAt = new Map();
    const sent = new Set();
    const proofs = [];
    const stop = new AbortController();
    const pauses = new Pauses(deps.clock);
    let uploading;
    const prove = (crate) => {
        sent.add(crate.name);
        const since = startedAt.get(crate.name) ?? start;
        const cksum = cksums.get(crate.name);
        const proof = proveVisible(crate, cksum, since, deps, pauses.for(crate.name)).then(async (update) => {
            if (update.status === 'failed')
                stop.abort();
            await settle(crate.name, update);
            return update.status !== 'failed';
        });
        proofs.push(proof);
    };
    const onLine = (line) => {
        const seen = uploadLine(line);
        if (seen?.step === 'seen')
            return pauses.poke(seen.names);
        const crate = seen && byName.get(seen.name);
        if (!seen || !crate || sent.has(crate.name))
            return;
        if (seen.step === 'uploading') {
            uploading = crate;
            startedAt.set(crate.name, deps.clock.now());
            deps.onStart?.(crate);
        }
        else {
            uploading = undefined;
            prove(crate);
        }
    };
    const result = await deps.publish(crates, { onLine, signal: stop.signal });
    // cargo has seen whatever it waited for: no proof needs to finish its pause.
    pauses.poke();
    if (result.exitCode === 0) {
        for (const crate of crates)
            if (!sent.has(crate.name))
                prove(crate);
    }
    const proven = (await Promise.all(proofs)).every(Boolean);
    if (!proven)
        return { sent, stopped: true };
    if (result.exitCode === 0)
        return { sent, stopped: false };
    if (!uploading && sent.size > 0)
        return { sent, stopped: false };
    const failed = uploading ?? crates.find(c => !sent.has(c.name));
    if (failed) {
        await settle(failed.name, uploadFailure(failed, result, startedAt.get(failed.name) ?? start, deps));
    }
    return { sent, stopped: true };
}
function uploadFailure(crate, result, since, deps) {
    const classified = classifyCargoFailure(result.stderr, { now: deps.clock.now() });
    return {
        status: 'failed',
        durationMs: deps.clock.now() - since,
        failure: {
            class: classified.class,
            message: `uploading ${crate.name}@${crate.version} failed: ${cargoErrorLine(result.stderr)}`,
            hint: uploadHint(classified.class, classified.reason),
            stderrTail: cargoEvidence(result.stderr)
        }
    };
}
/** cargo's exit code proves nothing: the index must list the exact packaged checksum. */
async function proveVisible(crate, cksum, start, deps, pause) {
    const seen = await deps.waitVisible(crate, cksum, pause);
    const durationMs = deps.clock.now() - start;
    if (seen.visible)
        return { status: 'published', durationMs, cksum };
    if (seen.cksumMismatch) {
        return {
            status: 'failed',
            durationMs,
            cksum: seen.entry?.cksum,
            failure: {
                class: 'permanent',
                message: `the rehearsal registry lists ${crate.name}@${crate.version} with checksum ${seen.entry?.cksum}, not the packaged ${cksum}`,
                hint: 'something else published this version, or the registry altered the upload; use a fresh registry'
            }
        };
    }
    return {
        status: 'failed',
        durationMs,
        failure: {
            class: 'ambiguous',
            message: `${crate.name}@${crate.version} was uploaded but did not appear in the rehearsal registry's index within ${formatSeconds(deps.readinessTimeoutMs)} (${seen.attempts} polls)`,
            hint: "cargo's exit code proves nothing: the index must list the version; check the registry's index, or raise readiness-timeout"
        }
    };
}
function preflightFailure(crate, state) {
    if (state.kind === 'unreadable') {
        return {
            class: 'ambiguous',
            message: `cannot read ${crate.name} from the rehearsal registry's index: ${state.message}`,
            hint: 'check that the registry is up and that registry-token may read its index'
        };
    }
    return {
        class: 'permanent',
        message: differentContentsMessage(crate.name, crate.version),
        hint: DIFFERENT_CONTENTS_HINT
    };
}
function uploadHint(cls, reason) {
    if (cls === 'permanent')
        return `${reason}; crates.io would refuse this upload too: fix it before releasing`;
    if (cls === 'retryable') {
        return `${reason}; a transient problem of the rehearsal registry: run the rehearsal again`;
    }
    return `${reason}; check the rehearsal registry, then run the rehearsal again`;
}

async function uploadToRehearsal(step, where) {
    const { ctx, options, plan } = step;
    const { registry, copy, env, cksums } = where;
    const states = await indexStates(step, registry, cksums);
    return uploadPlan(plan, cksums, states, {
        clock: ctx.clock,
        readinessTimeoutMs: options.readinessTimeoutMs,
        publish: (crates, watch) => ctx.cargo([
            'publish',
            ...crates.flatMap(c => ['-p', c.name]),
            '--registry',
            registry.name,
            '--no-verify',
            '--allow-dirty',
            '--locked'
        ], {
            cwd: copy,
            env,
            signal: watch.signal,
            onLine: (line, from) => {
                if (from === 'stderr')
                    watch.onLine(line);
            }
        }),
        waitVisible: (crate, cksum, pause) => waitForVersion(registry.indexUrl, crate.name, crate.version, {
            cksum,
            pause,
            timeoutMs: options.readinessTimeoutMs,
            clock: ctx.clock,
            token: registry.token || undefined,
            fetch: ctx.fetch
        }),
        onStart: crate => ctx.progress(`uploading ${label(crate)}`),
        onSettled: outcome => reportSettled(step, outcome)
    });
}
function label(crate) {
    return `${crate.name}@${crate.version}`;
}
async function indexStates({ plan, ctx }, registry, cksums) {
    const snapshot = await readIndexSnapshot(plan.packages.map(c => c.name), name => fetchIndexEntries(registry.indexUrl, name, {
        token: registry.token || undefined,
        fetch: ctx.fetch
    }));
    return new Map(plan.packages.map(crate => {
        const read = snapshot.read(crate.name);
        const state = 'error' in read
            ? { kind: 'unreadable', message: read.error.message }
            : indexState(read.entries, crate.version, cksums.get(crate.name));
        return [crate.name, state];
    }));
}

/**
 * The crates `smoke-install` names, checked before anything is published: each must be planned
 * and have a bin target. Pure; a bad name is an input error (exit 2) listing those that qualify.
 */
function smokeInstallCrates(names, plan) {
    const installable = plan.packages.filter(c => c.bins.length > 0);
    const qualifying = installable.length > 0
        ? `crates of this plan with a binary: ${installable.map(c => c.name).join(', ')}`
        : 'no crate of this plan has a binary target';
    const picked = [];
    for (const name of new Set(names)) {
        const crate = plan.packages.find(c => c.name === name);
        if (!crate) {
            throw new UserError(`smoke-install names '${name}', which is not in the publish plan`, qualifying, 2);
        }
        if (crate.bins.length === 0) {
            throw new UserError(`smoke-install names '${name}', which has no binary target`, qualifying, 2);
        }
        picked.push(crate);
    }
    return picked;
}
/** The planned crates a consumer can depend on as libraries. Pure. */
function consumerCrates(plan) {
    return plan.packages.filter(c => c.hasLib);
}
const CONSUMER_NAME = 'shipper-rehearse-consumer';
const CONSUMER_VERSION = '0.0.0';
/**
 * A scratch crate depending on every library crate at its exact planned version from the
 * rehearsal registry. The empty `[workspace]` keeps it out of any workspace around the scratch
 * dir. Pure.
 */
function consumerManifest(crates, registryName) {
    const dependencies = {};
    for (const crate of crates) {
        dependencies[crate.name] = { version: `=${crate.version}`, registry: registryName };
    }
    return `${stringify({
        package: {
            name: CONSUMER_NAME,
            version: CONSUMER_VERSION,
            edition: '2021',
            publish: false
        },
        dependencies,
        workspace: {}
    })}\n`;
}
/**
 * `cargo install --locked` of one crate from the rehearsal registry into a scratch root, then
 * checks that every bin target landed in it. Run from the scratch dir so no workspace config or
 * toolchain file of the user's checkout applies.
 */
async function smokeInstall(crate, run, now) {
    const start = now();
    const root = join(run.dir, 'install-root');
    await mkdir(root, { recursive: true });
    const args = [
        'install',
        '--registry',
        run.registryName,
        crate.name,
        '--version',
        crate.version,
        '--root',
        root,
        '--locked'
    ];
    const result = await run.cargo(args, { cwd: run.dir, env: run.env });
    const durationMs = now() - start;
    if (result.exitCode !== 0)
        return { ok: false, durationMs, result };
    const exe = process.platform === 'win32' ? '.exe' : '';
    const missing = crate.bins.filter(bin => !existsSync(join(root, 'bin', `${bin}${exe}`)));
    if (missing.length > 0) {
        return {
            ok: false,
            durationMs,
            result,
            problem: `cargo install succeeded but did not install ${missing.join(', ')}`
        };
    }
    return { ok: true, durationMs, result };
}
/** Builds the consumer crate (consumerManifest) against the rehearsal registry. */
async function smokeBuild(crates, run, now) {
    const start = now();
    const dir = join(run.dir, 'consumer');
    await mkdir(join(dir, 'src'), { recursive: true });
    await writeFile(join(dir, 'Cargo.toml'), consumerManifest(crates, run.registryName));
    await writeFile(join(dir, 'src', 'lib.rs'), '');
    const result = await run.cargo(['build'], { cwd: dir, env: run.env });
    return { ok: result.exitCode === 0, durationMs: now() - start, result };
}

/**
 * The smoke step: `cargo install` each `smoke-install` crate, then build a consumer of every
 * library crate, all from the rehearsal registry; the first failure stops the step.
 */
/** Each check done is added to `checks` as it ends, so an interrupted step still records them. */
async function runSmokeChecks(step, smokeCrates, where, checks) {
    const { ctx, plan, options } = step;
    const smokeRun = {
        cargo: ctx.cargo,
        env: where.env,
        registryName: where.registry.name,
        dir: join(where.scratch, 'smoke')
    };
    const now = () => ctx.clock.now();
    for (const crate of smokeCrates) {
        ctx.progress(`smoke: cargo install ${crate.name}@${crate.version} from the rehearsal registry`);
        const failure = await smokeCheck(step, checks, crate.name, crate.version, packageKey(crate.name, crate.version), () => smokeInstall(crate, smokeRun, now));
        if (failure)
            return { ...failure, crate: failedCrate(crate) };
    }
    if (!options.smokeBuild)
        return undefined;
    const libs = consumerCrates(plan);
    if (libs.length === 0) {
        ctx.logger.warning('smoke-build: the plan has no library crate to build a consumer of');
        return undefined;
    }
    ctx.progress(`smoke: building a consumer of ${count(libs.length, 'library crate')} from the rehearsal registry`);
    return smokeCheck(step, checks, CONSUMER_NAME, CONSUMER_VERSION, ALL_PACKAGES, () => smokeBuild(libs, smokeRun, now));
}
async function smokeCheck(step, checks, name, version, key, check) {
    const { recorder, scrub } = step;
    await recorder.emit({ type: 'rehearsal_smoke_check_started', name, version, registry: step.options.registryName }, key);
    const result = await check();
    const durationMs = Math.round(result.durationMs);
    checks.push({
        kind: name === CONSUMER_NAME ? 'build' : 'install',
        name,
        version,
        ok: result.ok,
        durationMs
    });
    if (result.ok) {
        await recorder.emit({ type: 'rehearsal_smoke_check_succeeded', name, version, duration_ms: durationMs }, key);
        return undefined;
    }
    const what = name === CONSUMER_NAME ? 'the consumer build' : `cargo install ${name}@${version}`;
    const message = scrub(`smoke check failed: ${what}: ${result.problem ?? cargoErrorLine(result.result.stderr)}`);
    await recorder.emit({ type: 'rehearsal_smoke_check_failed', name, version, message }, key);
    return {
        class: 'permanent',
        message,
        hint: 'users installing or depending on these versions from crates.io would hit the same failure',
        stderrTail: scrub(cargoEvidence(result.result.stderr))
    };
}

/**
 * One rehearsal run, step by step: registry → pre-upload checks → scratch copy → package and
 * check → upload and prove visible → smoke checks. It owns the registry and the scratch dir and
 * releases both whatever happens; every step returns the failure that stops the run.
 */
class Session {
    options;
    ctx;
    plan;
    recorder;
    smokeCrates;
    crates;
    cksums = new Map();
    digest;
    registry;
    smokeChecks = [];
    /** The scratch copy of the workspace, once made: messages name the checkout instead. */
    copy;
    step;
    constructor(options, ctx, plan, recorder, smokeCrates, cargoLog) {
        this.options = options;
        this.ctx = ctx;
        this.plan = plan;
        this.recorder = recorder;
        this.smokeCrates = smokeCrates;
        const scrub = (text) => inCheckout(this.recorder.scrub(text), this.copy, this.plan.workspaceRoot);
        cargoLog.rewrite = scrub;
        this.step = { options, ctx, plan, recorder, scrub };
        this.crates = plan.packages.map(pendingStatus);
    }
    async run(endpoint) {
        let scratch;
        let failure;
        let rethrow;
        let digesting;
        try {
            await this.recorder.emit({
                type: 'rehearsal_started',
                registry: this.options.registryName,
                plan_id: this.plan.planId,
                package_count: this.plan.packages.length
            }, ALL_PACKAGES);
            // The digest reads the original workspace only: it runs beside the registry start and the
            // packaging of the copy, and is awaited once those are done.
            digesting = computeContentDigest(this.plan, {
                cargo: this.ctx.cargo,
                git: this.ctx.git,
                env: this.ctx.env,
                stateDir: resolveStateDir(this.options, this.plan.workspaceRoot)
            });
            digesting.catch(() => undefined);
            this.registry = await connectRegistry(this.options, endpoint, {
                fetch: this.ctx.fetch,
                clock: this.ctx.clock,
                logger: this.ctx.logger,
                progress: this.ctx.progress
            });
            this.recorder.addSecret(this.registry.token);
            await this.recorder.emit({ type: 'registry_policy_applied', evidence: policyEvidence(this.registry) }, ALL_PACKAGES);
            scratch = await mkdtemp(join(tmpdir(), 'shipper-rehearse-'));
            failure = await this.rehearseIn(scratch, this.registry, digesting);
        }
        catch (error) {
            failure = unexpectedFailure(error, this.step.scrub, this.ctx.logger);
            if (error instanceof UserError && error.exitCode === 2)
                rethrow = error;
        }
        finally {
            // A run that stopped early still waits for the digest's cargo processes: none outlives it.
            await digesting?.catch(() => undefined);
            await this.registry
                ?.close()
                .catch(error => this.ctx.logger.warning(`closing the registry: ${String(error)}`));
            if (scratch)
                await rm(scratch, { recursive: true, force: true });
        }
        return {
            crates: this.crates,
            cksums: this.cksums,
            digest: this.digest,
            registry: this.registry,
            // One place scrubs every failure, whichever step produced it.
            failure: failure && inUserTerms(scrubDeep(failure, this.recorder.secrets), this.step.scrub),
            rethrow,
            smoke: this.smokeChecks
        };
    }
    async rehearseIn(scratch, registry, digesting) {
        const refused = await this.checkBeforeUpload();
        if (refused)
            return refused;
        // The copy holds what the digest lists, so the digest comes first.
        const digest = await digesting;
        this.digest = digest;
        const where = await copyWorkspace(this.step, scratch, registry, digest);
        this.copy = where.copy;
        const packaged = await packageAndCheck(this.step, where, registry, digest, this.crates);
        this.cksums = packaged.cksums;
        if (packaged.failure)
            return packaged.failure;
        this.crates = await uploadToRehearsal(this.step, {
            registry,
            copy: where.copy,
            env: where.uploadEnv,
            cksums: packaged.cksums
        });
        const failed = uploadFailure$1(this.plan, this.crates);
        if (failed)
            return failed;
        const smokeWhere = { scratch, env: where.buildEnv, registry };
        return runSmokeChecks(this.step, this.smokeCrates, smokeWhere, this.smokeChecks);
    }
    /** The live registry's rules and its existing versions, for every crate, before any upload. */
    async checkBeforeUpload() {
        const report = await preflight(this.plan, this.options, this.ctx, {
            liveToken: this.options.token || undefined
        });
        for (const line of report.resumed)
            this.ctx.progress(line);
        for (const line of report.unknown)
            this.ctx.logger.warning(line);
        if (report.problems.length === 0)
            return undefined;
        for (const problem of report.problems) {
            this.ctx.logger.error(describeProblem(problem), { file: problem.manifestPath });
        }
        return preflightFailure$1(report.problems, report.target.name);
    }
}

/**
 * Pure: the verdict on a rehearsal whose proof did not reach the artifact service. The publish
 * job can only see the artifact, so a passing rehearsal without one has proven nothing it will
 * accept: passing it would turn a required check green for a release that will be refused. A
 * rehearsal that already failed or was skipped keeps its verdict.
 */
function withUnsentProof(result, artifactName, cause) {
    if (result.outcome !== 'passed')
        return result;
    return {
        ...result,
        outcome: 'failed',
        failure: {
            class: 'retryable',
            message: `the rehearsal passed, but its proof (artifact '${artifactName}') could not be uploaded: ${cause}`,
            hint: 're-run this job once the artifact service accepts uploads (if the storage quota is hit, ' +
                'delete old artifacts or lower `retention-days`): the publish job refuses to publish ' +
                'without this artifact'
        }
    };
}

/**
 * Rehearses the release of the plan (computed from `options` when not given) and hands the record
 * to the artifact store. Input errors throw a UserError (exit 2) before anything is touched; every
 * later failure is recorded — a failing rehearsal.json, a `rehearsal_complete` event — and
 * returned as outcome `failed`.
 */
async function rehearse(options, ctx, deps = {}) {
    const result = await rehearseOnly(options, ctx, deps);
    const upload = await uploadRecord(deps.artifacts, {
        name: options.artifactName,
        stateDir: result.stateDir,
        files: [REHEARSAL_FILE, EVENTS_FILE, FACTS_FILE, CARGO_LOG],
        ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {})
    }, ctx.logger);
    if (upload.kind === 'uploaded')
        return { ...result, artifactId: upload.id };
    if (upload.kind === 'none')
        return result;
    const judged = withUnsentProof(result, options.artifactName, upload.cause);
    if (judged === result) {
        ctx.logger.warning(`artifact: uploading ${options.artifactName} failed: ${upload.cause}`);
    }
    return judged;
}
async function rehearseOnly(options, ctx, { plan, liveIndex }) {
    const startedAt = isoTime(ctx.clock.now());
    const endpoint = options.registryUrl.trim() ? registryEndpoint(options.registryUrl) : undefined;
    checkRegistryName(options);
    registryEnvKey(options.registryName);
    if (endpoint)
        checkRegistryPolicy(endpoint, options);
    const thePlan = plan ??
        (await computePlan({
            manifestPath: options.manifestPath,
            packages: options.packages,
            targetRegistry: options.targetRegistry,
            targetRegistryUrl: options.targetRegistryUrl
        }, { cargo: ctx.cargo, fetch: ctx.fetch, env: ctx.env }));
    assertPlanNotEmpty(thePlan);
    await checkLiveDevEdges(thePlan, options, ctx, liveIndex);
    const smokeCrates = options.skipRehearsal ? [] : smokeInstallCrates(options.smokeInstall, thePlan);
    for (const crate of thePlan.packages)
        manifestFromRoot(thePlan.workspaceRoot, crate.manifestPath);
    const stateDir = await prepareStateDir(options, thePlan.workspaceRoot);
    if (options.skipRehearsal)
        return bypass(thePlan, stateDir, startedAt, ctx);
    await removeRehearsal(stateDir);
    const toolchain = currentToolchain(thePlan.workspaceRoot, ctx.cargo, ctx.env);
    toolchain.catch(() => undefined);
    const recorder = await RunRecorder.open(stateDir, ctx.clock, secretValues(options));
    const cargoLog = await CargoLog.create(stateDir, `cargo log of the rehearsal of plan ${thePlan.planId} (${startedAt})`);
    // Nothing the run started may outlive it: the toolchain probe and the cargo log settle first.
    const settle = async () => {
        await toolchain.catch(() => undefined);
        await cargoLog.flush();
    };
    const concluding = {
        options,
        ctx,
        plan: thePlan,
        recorder,
        stateDir,
        startedAt,
        cargoLogPath: cargoLog.path,
        toolchain
    };
    return recorder
        .during(async () => {
        const session = new Session(options, { ...ctx, cargo: cargoLog.wrap(ctx.cargo, () => ctx.clock.now()) }, thePlan, recorder, smokeCrates, cargoLog);
        return concludeRehearsal(concluding, await session.run(endpoint));
    })
        .finally(settle);
}

export { killCargoGroups as A, readSparseSnapshot as B, CLI_SECRET_VARIABLES as C, liveIndexNames as D, liveTarget as E, resultOutputs as F, INPUTS as I, SECRET_INPUTS as S, TOOL as T, UserError as U, interruptedBy as a, SECRET_ENV as b, runGit as c, interruptible as d, systemClock as e, runCargo as f, CRATES_IO as g, gateOnly as h, interruptExitCode as i, computePlan as j, computeContentDigest as k, resolveStateDir as l, manifestCheck as m, resultLines as n, resultExitCode as o, publish as p, rehearse as q, readSecretFile as r, secretOnCommandLine as s, startRegistry as t, parseOptions as u, withLiveRegistry as v, watchCargo as w, describeError as x, artifactStoreFromEnv as y, handleInterrupts as z };
