/**
 * Measures the wall time during which at least one request was held by a limiter, so a run's
 * `rateLimitWaitMs` means "time lost to rate limits", not the sum over many queued requests.
 */
export function waitClock(report: (ms: number) => void): { begin(): () => void } {
  let waiting = 0;
  let since = 0;
  return {
    begin() {
      if (waiting++ === 0) since = performance.now();
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        if (--waiting === 0) {
          const ms = performance.now() - since;
          if (ms >= 1) report(ms);
        }
      };
    },
  };
}
