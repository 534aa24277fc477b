import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { promisify } from 'node:util'

/** Makes a named pipe at `path`, where a results file is expected. */
export async function makeFifo(path: string): Promise<void> {
  await promisify(execFile)('mkfifo', [path])
}

/**
 * `run`'s outcome; should it still wait after `patienceMs` — a process blocked reading the pipe
 * at `fifo`, which no signal ends — the pipe is opened and closed, so that the reader gets an end
 * of file and the test fails on what the process then says instead of hanging the test run.
 */
export async function unlessStuckOn<T>(fifo: string, run: Promise<T>, patienceMs = 10_000) {
  const timer = setTimeout(() => {
    void open(fifo, constants.O_RDWR | constants.O_NONBLOCK).then((handle) => handle.close())
  }, patienceMs)
  try {
    return await run
  } finally {
    clearTimeout(timer)
  }
}
