/**
 * crates.io as cargo names and reaches it: the one place these values are written. It sits at the
 * bottom of the import graph so that the registry target code, the embedded registry's validation
 * and the front doors can all use it.
 */
export const CRATES_IO = {
  /** cargo's name for it (`--registry crates-io`, `publish = ["crates-io"]`). */
  name: 'crates-io',
  /** The API base that enters the plan_id. */
  api: 'https://crates.io',
  /** The sparse index, as cargo writes it. */
  indexUrl: 'sparse+https://index.crates.io/',
  /** The git index older cargo writes into publish metadata. */
  gitIndexUrl: 'https://github.com/rust-lang/crates.io-index'
} as const
