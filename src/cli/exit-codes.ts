/** What `keepsync` exit codes mean, for scripts (the README's table lists the same). */
export const EXIT = {
  ok: 0,
  /** A run failed (source or destination error, delete guard). */
  runFailed: 1,
  /** Bad usage or configuration. */
  usage: 2,
  /** A unit is paused (it paused during the run, or was paused so `run --once` skipped it). */
  paused: 3,
  /** Runs finished but some records went to the dead letters. */
  deadLetters: 4,
  /** `run --once` ran nothing for a unit (another engine holds its lease), or lost it mid-run. */
  leaseHeld: 5,
  /** Two-way runs finished with conflicts open for a person to decide. */
  openConflicts: 6,
  /** A port, file or server keepsync needs is not available (port in use, store unreachable). */
  unavailable: 7,
  /** `verify` found objects edited or deleted by hand and did not repair them (no --repair). */
  drift: 8,
  /** Stopped by Ctrl-C or SIGTERM before every unit ran. */
  interrupted: 130,
} as const;
