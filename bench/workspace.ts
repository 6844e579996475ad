/**
 * Synthetic Rust workspaces for the benchmarks: a chain, a wide fan-out and a lattice, each crate
 * carrying enough real code (derives, generics, trait objects) that verifying it is a compile of
 * measurable length. The shape and the source text are pure functions of the spec, so every run
 * of a case publishes byte-identical crates.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export type Shape = 'chain' | 'wide' | 'lattice'

export const SHAPES: readonly Shape[] = ['chain', 'wide', 'lattice']

export interface WorkspaceSpec {
  shape: Shape
  size: number
  /** Code units per crate; one unit is a few derived types, a generic fold and a trait object. */
  units: number
  /**
   * Registry name every internal dependency names (`registry = "..."`), as the rehearsal's scratch
   * copy does; omitted = plain path + version dependencies, as a user's workspace has.
   */
  registry?: string
  /**
   * Each crate also depends on a few widely used crates (serde with derive, serde_json, regex,
   * anyhow, thiserror, log) and uses them, so a verification build is dominated by dependencies
   * as in real projects. Needs a crates.io stand-in holding them: Debian's packaged crates
   * (REAL_DEPS_SOURCE).
   */
  externalDeps?: boolean
}

/**
 * Debian's `librust-*-dev` packages unpack real crates here as a cargo directory source
 * (`apt-get install librust-serde-derive-dev librust-serde-json-dev librust-regex-dev
 * librust-anyhow-dev librust-thiserror-dev librust-log-dev`).
 */
export const REAL_DEPS_SOURCE = '/usr/share/cargo/registry'

/** The external dependencies of `externalDeps` crates, as Debian 12 packages them. */
const EXTERNAL_DEPS = [
  'serde = { version = "1.0.152", features = ["derive"] }',
  'serde_json = "1.0.87"',
  'regex = "1.7"',
  'anyhow = "1.0.69"',
  'thiserror = "1.0.38"',
  'log = "0.4.17"'
]

export interface BenchCrate {
  name: string
  /** Dependency level: 0 for crates without internal dependencies. */
  level: number
  deps: string[]
}

export const VERSION = '0.1.0'

/** Crate names sort in plan order within a level, so byte order and index order agree. */
export function crateName(index: number): string {
  return `bench-c${String(index).padStart(3, '0')}`
}

/** Width of the lattice for `size` crates: about √size, at least 2. */
export function latticeWidth(size: number): number {
  return Math.max(2, Math.round(Math.sqrt(size)))
}

/**
 * The crates of a shape, in plan order (level, then name).
 * - chain: each crate depends on the previous one (`size` levels).
 * - wide: one root and `size - 1` dependents of it (2 levels).
 * - lattice: rows of latticeWidth(size) crates; a crate depends on the one above it and, across,
 *   on the one above and to the right (wrapping), so every level waits for two of the previous.
 */
export function crateGraph(shape: Shape, size: number): BenchCrate[] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`size must be ≥ 1, got ${size}`)
  const crates: BenchCrate[] = []
  for (let i = 0; i < size; i++) {
    const name = crateName(i)
    if (shape === 'chain') {
      crates.push({ name, level: i, deps: i === 0 ? [] : [crateName(i - 1)] })
    } else if (shape === 'wide') {
      crates.push({ name, level: i === 0 ? 0 : 1, deps: i === 0 ? [] : [crateName(0)] })
    } else {
      const width = latticeWidth(size)
      const level = Math.floor(i / width)
      const column = i % width
      const above = (c: number) => crateName((level - 1) * width + (c % width))
      const deps = level === 0 ? [] : [...new Set([above(column), above(column + 1)])]
      crates.push({ name, level, deps })
    }
  }
  return crates
}

/** The crates grouped by level, in order. */
export function levelsOf(crates: readonly BenchCrate[]): string[][] {
  const levels: string[][] = []
  for (const crate of crates) (levels[crate.level] ??= []).push(crate.name)
  return levels
}

const rustIdent = (name: string) => name.replace(/-/g, '_')

function unitSource(crate: string, unit: number): string {
  const salt = [...crate].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, unit + 7)
  return `
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Record${unit} {
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
    pub weight: Option<i64>,
    pub children: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op${unit} {
    Add(u64),
    Mul(u64),
    Xor(u64),
    Rename(String),
    Tag { key: String, weight: i64 },
}

impl fmt::Display for Op${unit} {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op${unit}::Add(n) => write!(f, "add {n}"),
            Op${unit}::Mul(n) => write!(f, "mul {n}"),
            Op${unit}::Xor(n) => write!(f, "xor {n:#x}"),
            Op${unit}::Rename(s) => write!(f, "rename {s:?}"),
            Op${unit}::Tag { key, weight } => write!(f, "tag {key}={weight}"),
        }
    }
}

pub trait Apply${unit} {
    fn apply(&self, record: &mut Record${unit}) -> u64;
}

impl Apply${unit} for Op${unit} {
    fn apply(&self, record: &mut Record${unit}) -> u64 {
        match self {
            Op${unit}::Add(n) => record.id = record.id.wrapping_add(*n),
            Op${unit}::Mul(n) => record.id = record.id.wrapping_mul(*n | 1),
            Op${unit}::Xor(n) => record.id ^= *n,
            Op${unit}::Rename(s) => record.name = format!("{}/{}", record.name, s),
            Op${unit}::Tag { key, weight } => {
                record.tags.push(key.clone());
                *record.children.entry(key.clone()).or_default() += 1;
                record.weight = Some(record.weight.unwrap_or(0) + weight);
            }
        }
        record.id
    }
}

pub fn fold${unit}<T: Copy + Into<u64>, I: IntoIterator<Item = T>>(items: I) -> u64 {
    items
        .into_iter()
        .map(Into::into)
        .fold(${salt}u64, |acc, x| acc.rotate_left(5) ^ x.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

pub fn run${unit}(seed: u64) -> u64 {
    let ops: Vec<Box<dyn Apply${unit}>> = vec![
        Box::new(Op${unit}::Add(seed)),
        Box::new(Op${unit}::Mul(${salt % 1000})),
        Box::new(Op${unit}::Tag { key: format!("k{}", seed % 7), weight: ${unit} }),
        Box::new(Op${unit}::Rename(String::from("${crate}"))),
        Box::new(Op${unit}::Xor(${salt})),
    ];
    let mut record = Record${unit} { id: seed, ..Default::default() };
    let trace: Vec<u64> = ops.iter().map(|op| op.apply(&mut record)).collect();
    let mut sorted = vec![record.clone(), Record${unit}::default()];
    sorted.sort();
    fold${unit}(trace.iter().copied()) ^ fold${unit}([seed as u32, ${unit}u32]) ^ sorted[0].id
}
`
}

/** Code that uses every external dependency, so none of them is compiled for nothing. */
const EXTERNAL_SOURCE = `
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Config {
    pub name: String,
    pub limits: Vec<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("bad config: {0}")]
    Parse(#[from] serde_json::Error),
}

pub fn parse_config(text: &str) -> anyhow::Result<u64> {
    let config: Config = serde_json::from_str(text).map_err(ConfigError::from)?;
    let digits = regex::Regex::new(r"[0-9]+")?;
    log::debug!("parsed {}", config.name);
    Ok(digits.find_iter(&config.name).count() as u64 + config.limits.iter().map(|&l| u64::from(l)).sum::<u64>())
}
`

/** The crate's lib.rs: `units` code units and a `checksum` that calls every dependency's. */
export function libSource(crate: BenchCrate, units: number, externalDeps = false): string {
  const calls = [
    ...Array.from({ length: units }, (_, u) => `run${u}(seed)`),
    ...crate.deps.map(d => `${rustIdent(d)}::checksum(seed)`),
    ...(externalDeps ? ['parse_config(r#"{"name":"a1","limits":[1,2]}"#).unwrap_or(0)'] : [])
  ]
  return [
    `//! Synthetic benchmark crate ${crate.name} (level ${crate.level}).`,
    'use std::collections::BTreeMap;',
    'use std::fmt;',
    ...(externalDeps ? [EXTERNAL_SOURCE] : []),
    ...Array.from({ length: units }, (_, u) => unitSource(crate.name, u)),
    '/// Mixes this crate with its dependencies so none of them is dead code.',
    'pub fn checksum(seed: u64) -> u64 {',
    `    0${calls.map(c => `\n        ^ ${c}`).join('')}`,
    '}',
    ''
  ].join('\n')
}

export function crateManifest(crate: BenchCrate, registry?: string, externalDeps = false): string {
  const deps = crate.deps.map(d => {
    const reg = registry ? `, registry = "${registry}"` : ''
    return `${d} = { path = "../${d}", version = "${VERSION}"${reg} }`
  })
  return [
    '[package]',
    `name = "${crate.name}"`,
    `version = "${VERSION}"`,
    'edition = "2021"',
    'license = "MIT"',
    `description = "Synthetic benchmark crate ${crate.name}"`,
    'repository = "https://example.invalid/bench"',
    '',
    '[dependencies]',
    ...deps,
    ...(externalDeps ? EXTERNAL_DEPS : []),
    ''
  ].join('\n')
}

/** Every file of the workspace, by path relative to its root. */
export function workspaceFiles(spec: WorkspaceSpec): Map<string, string> {
  const crates = crateGraph(spec.shape, spec.size)
  const files = new Map<string, string>()
  files.set(
    'Cargo.toml',
    ['[workspace]', 'resolver = "2"', 'members = ["crates/*"]', ''].join('\n')
  )
  for (const crate of crates) {
    files.set(
      `crates/${crate.name}/Cargo.toml`,
      crateManifest(crate, spec.registry, spec.externalDeps)
    )
    files.set(`crates/${crate.name}/src/lib.rs`, libSource(crate, spec.units, spec.externalDeps))
  }
  return files
}

export interface WrittenWorkspace {
  root: string
  manifestPath: string
  crates: BenchCrate[]
}

export function writeWorkspace(root: string, spec: WorkspaceSpec): WrittenWorkspace {
  for (const [path, text] of workspaceFiles(spec)) {
    const file = join(root, path)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
  }
  return {
    root,
    manifestPath: join(root, 'Cargo.toml'),
    crates: crateGraph(spec.shape, spec.size)
  }
}
