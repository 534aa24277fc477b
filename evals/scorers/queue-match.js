/**
 * A custom scorer: the answer's `queue` must be the expected one. Returning an object lets the
 * report say why a case failed.
 */
export default function queueMatch({ output, vars }) {
  let queue
  try {
    queue = JSON.parse(output).queue
  } catch {
    return { score: 0, pass: false, reason: 'the answer is not JSON' }
  }
  return queue === vars.queue
    ? { score: 1, pass: true }
    : { score: 0, pass: false, reason: `routed to ${queue}, expected ${vars.queue}` }
}
