/**
 * An AbortSignal that fires when the runner cancels the job. GitHub and Azure DevOps both send
 * SIGINT and then SIGTERM to the step's process; a terminal sends SIGINT on Ctrl-C. Stages pass
 * the signal to the child processes they start, so a cancelled job leaves nothing running.
 */
export function cancellationOnSignals(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // A second signal while we are cleaning up: the user really wants out.
      process.exit(130);
    }
    controller.abort(new Error(`cancelled by ${signal}`));
  };
  for (const signal of signals) process.on(signal, onSignal);
  return controller.signal;
}
