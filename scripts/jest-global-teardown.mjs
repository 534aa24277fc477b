import { rmSync } from 'node:fs'

export default function teardown() {
  const dir = process.env.EVALGATE_TEST_TMPDIR
  if (dir) rmSync(dir, { recursive: true, force: true })
}
