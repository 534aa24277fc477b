import { isAbsolute, relative } from 'node:path'
import { modulesStillImporting } from './providers/imports.js'

/** The cancellation reason of a run that stalled. */
export const STALLED = 'stalled'

/** The modules still importing, as the user knows them: relative to the working directory. */
function importsPending(): string | undefined {
  const modules = modulesStillImporting().map((path) => {
    const shown = relative(process.cwd(), path)
    return shown.startsWith('..') || isAbsolute(shown) ? path : shown
  })
  return modules.length === 0 ? undefined : `still importing ${modules.join(', ')}`
}

function stalledMessage(): string {
  const importing = importsPending()
  const what = importing
    ? `${importing} (a top-level await there, or in a module it imports, that nothing resolves)`
    : "(a promise of the code under test that nothing resolves, such as a module's top-level await)"
  return `stalled: evalgate waits for something that can never settle${importing ? ': ' : ' '}${what}; stopping, with the results so far if a run was under way…`
}

/**
 * For the process edges (the CLI and the action). Node empties its event loop with the run still
 * pending: nothing left can settle what it awaits (say, a module's top-level await that never
 * settles). Node would end with exit code 13 and a warning, the answers so far unwritten. Instead
 * `stalled` is told (naming the modules still importing) and the run cancelled through
 * `controller` with the reason STALLED, so it writes what finished; if even that cannot settle,
 * `giveUp` is told and must end the process. Returns what to call once the run is done.
 */
export function cancelWhenStalled(
  controller: AbortController,
  tell: { stalled: (message: string) => void; giveUp: (message: string) => void }
): () => void {
  const onBeforeExit = (): void => {
    if (controller.signal.aborted) {
      const importing = importsPending()
      tell.giveUp(
        `stalled: evalgate could not stop what it waits for${importing ? ` (${importing})` : ''}; no results written`
      )
      return
    }
    tell.stalled(stalledMessage())
    controller.abort(STALLED)
    // One more turn of the loop, to see whether the cancellation let the run finish.
    setImmediate(() => undefined)
  }
  process.on('beforeExit', onBeforeExit)
  return () => process.off('beforeExit', onBeforeExit)
}
