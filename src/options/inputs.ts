/**
 * Every input of docs/contract.md, once. action.yml, the command line's flags and the options parser are
 * all checked against this list, so an input cannot exist in one front door and not the other.
 */
export type InputKind = 'string' | 'boolean' | 'duration' | 'integer' | 'list' | 'secret'

export interface InputSpec {
  name: string
  kind: InputKind
  /** The default as action.yml writes it; '' = none. */
  default: string
  description: string
}

export const INPUTS: readonly InputSpec[] = [
  {
    name: 'mode',
    kind: 'string',
    default: 'rehearse',
    description:
      '`rehearse` (publish the plan to a throwaway registry and record the proof) or `publish` (enforce the proof, then publish to the live registry).'
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
    description:
      'Crates to release, comma or newline separated; closed over their in-workspace dependencies. Empty = every publishable crate.'
  },
  {
    name: 'registry-url',
    kind: 'string',
    default: '',
    description:
      'Rehearsal registry: a kellnr-layout base URL (e.g. `http://localhost:8000`) or a full `sparse+` index URL. Empty = start the embedded registry.'
  },
  {
    name: 'registry-name',
    kind: 'string',
    default: 'rehearsal',
    description:
      'cargo name of the rehearsal registry (used in `--registry` and `CARGO_REGISTRIES_<NAME>_*`).'
  },
  {
    name: 'registry-token',
    kind: 'secret',
    default: '',
    description:
      'Token for the rehearsal registry. The embedded registry needs none; for kellnr an empty value logs in with registry-user/registry-password.'
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
    description:
      'Binary crate(s) to `cargo install` from the rehearsal registry after every publish passed.'
  },
  {
    name: 'smoke-build',
    kind: 'boolean',
    default: 'false',
    description:
      'Also build a scratch consumer crate that depends on every planned library crate from the rehearsal registry.'
  },
  {
    name: 'skip-rehearsal',
    kind: 'boolean',
    default: 'false',
    description:
      'Operator bypass: in rehearse mode nothing is rehearsed; in publish mode the gate is bypassed. Always loud and recorded.'
  },
  {
    name: 'state-dir',
    kind: 'string',
    default: '.shipper',
    description:
      'Where events.jsonl, rehearse-events.jsonl, rehearsal.json and publish-record.json live; relative to the workspace root.'
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
    description:
      'Publish mode: the workflow run (same repository) whose artifact proves the rehearsal. Empty = the current run.'
  },
  {
    name: 'github-token',
    kind: 'secret',
    default: '${{ github.token }}',
    description:
      'Token for cross-run artifact download (`actions: read`) and commit statuses (`statuses: write`).'
  },
  {
    name: 'status-check',
    kind: 'boolean',
    default: 'false',
    description:
      'Post a commit status named `shipper/rehearsal` on the rehearsed commit, usable as a required check.'
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
    description:
      'A non-crates.io live registry, as a kellnr-layout base URL or a `sparse+` index URL; its config.json `api` is the API base in the plan_id.'
  },
  {
    name: 'token',
    kind: 'secret',
    default: '',
    description:
      'Live registry token; `CARGO_REGISTRY_TOKEN` (crates.io) or `CARGO_REGISTRIES_<NAME>_TOKEN` also work.'
  },
  {
    name: 'trusted-publishing',
    kind: 'string',
    default: 'auto',
    description:
      "`auto`, `true` or `false`: mint a short-lived crates.io token from the job's OIDC identity (needs `id-token: write`)."
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
    description:
      'Publish mode: uploads in flight at once (a rehearsal uploads through one cargo invocation).'
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
    description:
      "What the gate binds to: `plan` (shipper's plan_id only) or `content` (plan_id plus a digest of the packaged sources)."
  },
  {
    name: 'verify',
    kind: 'string',
    default: 'auto',
    description:
      "Publish mode: `auto` skips cargo's verification build when the gate accepted a content-bound proof made with the same toolchain (the rehearsal compiled these exact sources); `always` builds before uploading."
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
    description:
      'shipper config file (default: `.shipper.toml` beside the manifest, if present); inputs override it.'
  }
]

export const OUTPUTS: readonly { name: string; description: string }[] = [
  {
    name: 'outcome',
    description:
      'rehearse: `passed`, `failed`, `skipped`; publish: `published`, `failed`, `refused`, `dry-run`.'
  },
  { name: 'passed', description: '`true` or `false`.' },
  { name: 'plan-id', description: 'The 64-hex plan_id.' },
  { name: 'content-digest', description: 'The 64-hex digest of the packaged sources.' },
  {
    name: 'packages',
    description: 'JSON array of `{name, version, status, duration_ms}` in plan order.'
  },
  {
    name: 'published',
    description: 'Publish mode: JSON array of `{name, version}` actually uploaded by this run.'
  },
  {
    name: 'receipt-path',
    description: 'Path of rehearsal.json (rehearse) or publish-record.json (publish).'
  },
  { name: 'events-path', description: 'Path of events.jsonl.' },
  { name: 'artifact-id', description: 'Id of the uploaded artifact; empty when none was uploaded.' }
]
