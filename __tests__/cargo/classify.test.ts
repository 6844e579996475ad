import { describe, expect, it } from '@jest/globals'
import { classifyCargoFailure } from '../../src/cargo/classify.js'

/** cargo 1.95's stderr, as captured from `cargo publish` against a local registry. */
const head = (name = 'a') =>
  `    Updating \`r\` index\n   Packaging ${name} v0.1.0 (/w/${name})\n    Packaged 4 files, 965B (689B compressed)\n` +
  `   Uploading ${name} v0.1.0 (/w/${name})\n`
const failedPublish = (cause: string) =>
  `${head()}error: failed to publish a v0.1.0 to registry at http://127.0.0.1:38141\n\nCaused by:\n  ${cause}\n`
const nonJson = (status: string, headers: string[], body: string) =>
  failedPublish(
    `failed to get a 200 OK response, got ${status.split(' ')[0]}\n  headers:\n  \tHTTP/1.1 ${status}\n` +
      headers.map(h => `  \t${h}\n`).join('') +
      `  \tDate: Fri, 17 Apr 2026 12:00:00 GMT\n  \tContent-Length: 9\n  \t\n  body:\n  ${body}`
  )
const spurious = (cause: string) =>
  `warning: spurious network error (3 tries remaining): ${cause}\n`

const NOW = Date.parse('Fri, 17 Apr 2026 12:00:00 GMT')

const SAMPLES = {
  json429NewCrates: failedPublish(
    'the remote server responded with an error (status 429 Too Many Requests): You have published too many new crates in a short period of time. Please try again after Fri, 17 Apr 2026 12:10:00 GMT or email help@crates.io to have your limit increased.'
  ),
  json429Versions: failedPublish(
    'the remote server responded with an error (status 429 Too Many Requests): You have published too many versions of this crate in the last 24 hours. Please try again after Fri, 17 Apr 2026 12:01:00 GMT or email help@crates.io to have your limit increased.'
  ),
  plain429Seconds: nonJson('429 Too Many Requests', ['retry-after: 120'], 'slow down'),
  plain429Date: nonJson(
    '429 Too Many Requests',
    ['Retry-After: Fri, 17 Apr 2026 12:00:30 GMT'],
    'slow down'
  ),
  plain429NoHeader: nonJson('429 Too Many Requests', [], 'slow down'),
  json503: failedPublish(
    'the remote server responded with an error (status 503 Service Unavailable): service unavailable'
  ),
  plain502: nonJson(
    '502 Bad Gateway',
    ['content-type: text/html'],
    '<html><body>Bad Gateway</body></html>'
  ),
  index503:
    '    Updating `r` index\n' +
    spurious(
      'failed to get successful HTTP response from `http://127.0.0.1:44961/index/config.json` (127.0.0.1), got 503\nbody:\ndown for maintenance'
    ) +
    'error: download of config.json failed\n\nCaused by:\n  failed to get successful HTTP response from `http://127.0.0.1:44961/index/config.json` (127.0.0.1), got 503\n  body:\n  down for maintenance\n',
  refused:
    '    Updating `r` index\n' +
    spurious(
      '[7] Could not connect to server (Failed to connect to 127.0.0.1 port 9 after 0 ms: Could not connect to server)'
    ) +
    'error: download of config.json failed\n\nCaused by:\n  failed to download from `http://127.0.0.1:9/index/config.json`\n\nCaused by:\n  [7] Could not connect to server (Failed to connect to 127.0.0.1 port 9 after 1 ms: Could not connect to server)\n',
  dns:
    '    Updating `r` index\n' +
    'error: download of config.json failed\n\nCaused by:\n  failed to download from `http://no-such-host.invalid/index/config.json`\n\nCaused by:\n  [6] Could not resolve hostname (Could not resolve host: no-such-host.invalid)\n',
  dropped: failedPublish(
    '[52] Server returned nothing (no headers, no data) (Empty reply from server)'
  ),
  reset: failedPublish(
    '[56] Failure when receiving data from the peer (Recv failure: Connection reset by peer)'
  ),
  curlTimeout: failedPublish(
    '[28] Timeout was reached (Operation timed out after 30000 milliseconds with 0 bytes received)'
  ),
  uploadTimeout: failedPublish(
    "Request timed out after 30 seconds. If you're trying to upload a crate it may be too large. If the crate is under 10MB in size, you can email help@crates.io for assistance.\n  Total size was 12345."
  ),
  ssl: failedPublish(
    '[35] SSL connect error (OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to crates.io:443 )'
  ),
  existsOnIndex: '    Updating `r` index\nerror: crate a@0.1.0 already exists on `r` index\n',
  alreadyUploaded: failedPublish(
    'the remote server responded with an error: crate version `0.1.0` is already uploaded'
  ),
  alreadyUploaded400: failedPublish(
    'the remote server responded with an error (status 400 Bad Request): crate version `0.1.0` is already uploaded'
  ),
  json403: failedPublish(
    'the remote server responded with an error (status 403 Forbidden): this token does not have the required permissions to perform this action'
  ),
  plain401: nonJson('401 Unauthorized', [], 'unauthorized'),
  noToken:
    '    Updating `r` index\nerror: no token found for `r`, please run `cargo login --registry r`\nor use environment variable CARGO_REGISTRIES_R_TOKEN\n',
  tokenRejected:
    'error: token rejected for `crates-io`, please run `cargo login`\n\nCaused by:\n  failed to get a 200 OK response, got 401',
  missingMetadata: failedPublish(
    'the remote server responded with an error (status 400 Bad Request): missing or empty metadata fields: description, license. Please see https://doc.rust-lang.org/cargo/reference/manifest.html for more information on configuring these fields'
  ),
  invalidKeyword: failedPublish(
    'the remote server responded with an error: invalid upload request: invalid value: string "not a keyword!", expected a valid keyword specifier at line 1 column 300'
  ),
  tooLarge: failedPublish(
    'the remote server responded with an error (status 413 Payload Too Large): max upload size is: 10485760'
  ),
  compileError:
    '    Updating `r` index\n   Packaging d v0.1.0 (/w/d)\n    Packaged 4 files, 977B (695B compressed)\n   Verifying d v0.1.0 (/w/d)\n   Compiling d v0.1.0 (/w/target/package/d-0.1.0)\n' +
    'error[E0308]: mismatched types\n --> src/lib.rs:1:21\n  |\n1 | pub fn f() -> u32 { "x" }\n  |               ---   ^^^ expected `u32`, found `&str`\n\n' +
    'For more information about this error, try `rustc --explain E0308`.\nerror: could not compile `d` (lib) due to 1 previous error\nerror: failed to verify package tarball\n',
  noMatchingPackage:
    '    Updating `r` index\n   Packaging b v0.1.0 (/w/b)\n    Updating `r` index\nerror: failed to prepare local package for uploading\n\nCaused by:\n  no matching package named `zzz` found\n  location searched: `r` index\n  required by package `b v0.1.0 (/w/b)`\n',
  tomlError:
    'error: unclosed array, expected `]`\n --> c/Cargo.toml:7:14\n  |\n7 | keywords = [\n  |             ^\n',
  memberManifest:
    'error: invalid type: integer `3`, expected a version string like "0.9.8" or a detailed dependency like { version = "0.9.8" }\n --> ws/m/Cargo.toml:6:7\n  |\n6 | foo = 3\n  |       ^\nerror: failed to load manifest for workspace member `/w/ws/m`\nreferenced by workspace at `/w/ws/Cargo.toml`\n',
  noVersion:
    '    Updating `r` index\nerror: failed to verify manifest at `/w/e/Cargo.toml`\n\nCaused by:\n  all dependencies must have a version requirement specified when publishing.\n  dependency `a` does not specify a version\n',
  badName:
    'error: invalid character `.` in package name: `f.x`, characters must be Unicode XID characters (numbers, `-`, `_`, or most letters)\n --> f/Cargo.toml:2:8\n',
  verifyDownloadTimeout: `${head()}   Verifying a v0.1.0 (/w/a)\nerror: failed to verify package tarball\n\nCaused by:\n  failed to download \`serde v1.0.200\`\n\nCaused by:\n  [28] Timeout was reached (Operation timed out after 30000 milliseconds with 0 bytes received)\n`,
  empty: '',
  killed: `${head()}   Verifying a v0.1.0 (/w/a)\n   Compiling a v0.1.0\nKilled\n`,
  unknown: `${head()}error: something nobody has seen before\n`
}

describe('classifyCargoFailure', () => {
  it.each([
    ['json429Versions', 'retryable'],
    ['json503', 'retryable'],
    ['plain502', 'retryable'],
    ['index503', 'retryable'],
    ['refused', 'retryable'],
    ['dns', 'retryable'],
    ['dropped', 'retryable'],
    ['reset', 'retryable'],
    ['curlTimeout', 'retryable'],
    ['uploadTimeout', 'retryable'],
    ['ssl', 'retryable'],
    ['verifyDownloadTimeout', 'retryable'],
    ['json403', 'permanent'],
    ['plain401', 'permanent'],
    ['noToken', 'permanent'],
    ['tokenRejected', 'permanent'],
    ['missingMetadata', 'permanent'],
    ['invalidKeyword', 'permanent'],
    ['tooLarge', 'permanent'],
    ['compileError', 'permanent'],
    ['noMatchingPackage', 'permanent'],
    ['tomlError', 'permanent'],
    ['memberManifest', 'permanent'],
    ['noVersion', 'permanent'],
    ['badName', 'permanent'],
    ['empty', 'ambiguous'],
    ['killed', 'ambiguous'],
    ['unknown', 'ambiguous']
  ] as const)('classifies %s as %s', (sample, cls) => {
    const result = classifyCargoFailure(SAMPLES[sample], { now: NOW })
    expect(result.class).toBe(cls)
    expect(result.alreadyExists).toBeUndefined()
    expect(result.reason.length).toBeGreaterThan(0)
  })

  describe("cargo's known refusals: permanent, with their fix, whatever else the output says", () => {
    it.each([
      [
        'a dirty working tree',
        'error: 1 files in the working directory contain changes that were not yet committed into git:\n\nsrc/lib.rs\n\nto proceed despite this and include the uncommitted changes, pass the `--allow-dirty` flag\n',
        /uncommitted changes/,
        /commit or stash them.*allow-dirty/
      ],
      [
        'a registry without configuration',
        'error: registry index was not found in any configuration: `nope`\n',
        /not configured/,
        /CARGO_REGISTRIES_<NAME>_INDEX/
      ],
      [
        'a manifest error',
        'error: duplicate key\n --> Cargo.toml:7:2\n  |\n7 | [dependencies]\n  |  ^^^^^^^^^^^^\n',
        /manifest is invalid/,
        /file and line cargo names/
      ],
      [
        'a dirty tree whose file list mentions a timeout',
        'error: 2 files in the working directory contain changes that were not yet committed into git:\n\nsrc/timed out.rs\nsrc/connection reset.rs\n',
        /uncommitted changes/,
        /commit or stash/
      ]
    ])('%s', (_, stderr, reason, fix) => {
      const result = classifyCargoFailure(stderr, { now: NOW })
      expect(result.class).toBe('permanent')
      expect(result.reason).toMatch(reason)
      expect(result.fix).toMatch(fix)
    })
  })

  it.each(['existsOnIndex', 'alreadyUploaded', 'alreadyUploaded400'] as const)(
    'treats %s as permanent with alreadyExists, so the caller can skip the crate',
    sample => {
      expect(classifyCargoFailure(SAMPLES[sample])).toMatchObject({
        class: 'permanent',
        alreadyExists: true
      })
    }
  )

  describe('rate limits (HTTP 429)', () => {
    it("reads crates.io's 'try again after <HTTP-date>' relative to now, and flags the new-crate limit", () => {
      expect(classifyCargoFailure(SAMPLES.json429NewCrates, { now: NOW })).toEqual({
        class: 'retryable',
        reason: expect.stringContaining('429'),
        retryAfterMs: 600_000,
        newCrateRateLimit: true
      })
    })

    it('does not flag the new-version limit as the new-crate one', () => {
      const result = classifyCargoFailure(SAMPLES.json429Versions, { now: NOW })
      expect(result.retryAfterMs).toBe(60_000)
      expect(result.newCrateRateLimit).toBeUndefined()
    })

    it('reads a Retry-After header in seconds from a non-JSON 429 dump', () => {
      expect(classifyCargoFailure(SAMPLES.plain429Seconds, { now: NOW }).retryAfterMs).toBe(120_000)
    })

    it('reads a Retry-After header holding an HTTP-date', () => {
      expect(classifyCargoFailure(SAMPLES.plain429Date, { now: NOW }).retryAfterMs).toBe(30_000)
    })

    it('gives no retryAfterMs when the server named no wait, or a date without a now to anchor it', () => {
      expect(classifyCargoFailure(SAMPLES.plain429NoHeader, { now: NOW })).toEqual({
        class: 'retryable',
        reason: expect.any(String)
      })
      expect(classifyCargoFailure(SAMPLES.json429NewCrates).retryAfterMs).toBeUndefined()
    })

    it('never returns a negative wait for a date already past', () => {
      expect(
        classifyCargoFailure(SAMPLES.json429NewCrates, { now: NOW + 3_600_000 }).retryAfterMs
      ).toBe(0)
    })
  })

  it('does not read the Date response header as a Retry-After', () => {
    expect(classifyCargoFailure(SAMPLES.plain502, { now: NOW }).retryAfterMs).toBeUndefined()
  })

  it('names the HTTP status in the reason', () => {
    expect(classifyCargoFailure(SAMPLES.plain502).reason).toContain('502')
    expect(classifyCargoFailure(SAMPLES.json403).reason).toContain('403')
  })
})
