/**
 * For the process edges (the CLI and the action). The code under test runs in this process
 * (module providers, javascript scorers, the modules `validate` imports): its `process.exit(0)`
 * would end an unfinished run as a success, with no results. Until the returned function is
 * called, an exit with code 0 is told through `tell` (synchronously: the process is ending) and
 * becomes `failureCode`.
 */
export function failEarlySuccessfulExit(
  tell: (message: string) => void,
  failureCode: number
): () => void {
  const onExit = (code: number): void => {
    if (code !== 0) return
    tell(
      'the code under test ended the process (process.exit) before evalgate finished: no results written'
    )
    process.exitCode = failureCode
  }
  process.on('exit', onExit)
  return () => process.off('exit', onExit)
}
