// Every temporary directory the tests and the programs they start make (through os.tmpdir()) goes
// under one directory per test run, which jest-global-teardown.mjs removes: runs of the suite leave
// nothing behind in the machine's /tmp.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export default function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'evalgate-tests-'))
  process.env.EVALGATE_TEST_TMPDIR = dir
  // Jest's workers and the processes the tests start inherit it; os.tmpdir() reads it on each call.
  process.env.TMPDIR = dir
}
