/**
 * Runs tasks one at a time in call order; a failed task does not hold up the next. Used where one
 * tenant's operations must not interleave: auth-state transactions, session start/stop, sends.
 */
export function serialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
  };
}
