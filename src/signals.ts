/**
 * Imported by every entry (the action, the CLI) right after bounded-heap.ts, before anything else
 * loads: evaluating the rest of a bundle takes a few hundred milliseconds, and a SIGINT or SIGTERM
 * then would end the process at once under Node's default handler, with no word and no results.
 * From here on every such signal is kept, and handed to the entry's handler once it is installed,
 * so a run cancelled while evalgate loads is cancelled as any other.
 */
const SIGNALS = ['SIGINT', 'SIGTERM'] as const

type SignalHandler = (signal: NodeJS.Signals) => void

/** The signals received before a handler was installed, in order. */
const received: NodeJS.Signals[] = []
let handler: SignalHandler | undefined

for (const signal of SIGNALS) {
  process.on(signal, () => {
    if (handler) handler(signal)
    else received.push(signal)
  })
}

/** Hands SIGINT and SIGTERM to `handle`: first those received while loading, then each as it comes. */
export function handleSignals(handle: SignalHandler): void {
  handler = handle
  for (const signal of received.splice(0)) handle(signal)
}
