/**
 * Ctrl-C for long runs: the first SIGINT/SIGTERM asks the loop to stop after the current step (so
 * it can save a checkpoint); a second one, 2 s or more later, quits at once. npm and tsx relay a
 * terminal's Ctrl-C to the process within milliseconds of the terminal's own signal, so a second
 * signal sooner than that is the same keypress.
 *
 * @example
 * const interrupt = catchInterrupt((s) => process.stderr.write(s));
 * while (!interrupt.requested()) await step();
 * interrupt.release();
 */
export function catchInterrupt(log: (line: string) => void): { requested: () => boolean; release: () => void } {
  let stopping = false;
  let firstAt = 0;
  const onSignal = () => {
    if (stopping) {
      if (Date.now() - firstAt > 2000) process.exit(130);
      return;
    }
    stopping = true;
    firstAt = Date.now();
    log("\nstopping after this step (a checkpoint is saved; run again to resume) …");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    requested: () => stopping,
    release: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
