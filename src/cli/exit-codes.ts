/** What `keepsync` exit codes mean, for scripts. */
export const EXIT = {
  ok: 0,
  /** A run failed (source or destination error, delete guard). */
  runFailed: 1,
  /** Bad usage or configuration. */
  usage: 2,
  /** A unit paused: re-authorize, then resume. */
  paused: 3,
  /** Runs finished but some records went to the dead letters. */
  deadLetters: 4,
  /** `run --once`: another engine holds the lease of a unit, so it was not run. */
  leaseBusy: 5,
} as const;
