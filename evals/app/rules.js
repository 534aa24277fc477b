// The example application: a support-ticket router. Two versions of its rules are under test,
// so the eval report shows a side-by-side scorecard and a few misrouted tickets.
const TEAMS = { billing: 'billing', bug: 'engineering', account: 'account' }

const RULES_V1 = {
  billing: ['charge', 'refund', 'invoice', 'payment', 'price', 'bill', 'coupon', 'receipt'],
  bug: ['crash', 'error', 'freeze', 'not load', 'blank', 'broken', 'does nothing', 'lag'],
  account: ['password', 'login', 'log in', 'email', 'account', 'delete', 'username', 'profile']
}

const RULES_V2 = {
  billing: [...RULES_V1.billing, 'card', 'money', 'plan', 'pay', 'vat', 'purchase order'],
  bug: [
    ...RULES_V1.bug,
    'sync',
    'spinner',
    'api',
    '404',
    '500',
    'cut off',
    'wrong time',
    'timezone',
    'shortcut',
    'formatting',
    'twice on',
    'empty file'
  ],
  account: [
    ...RULES_V1.account,
    'workspace',
    'two-factor',
    'verification',
    'suspended',
    'ownership',
    'personal data',
    'unlock',
    'language',
    'colleague',
    'employee'
  ]
}

function classify(ticket, rules) {
  const text = ticket.toLowerCase()
  let best = { queue: 'bug', hits: 0 }
  for (const [queue, words] of Object.entries(rules)) {
    const hits = words.filter((word) => text.includes(word)).length
    if (hits > best.hits) best = { queue, hits }
  }
  return best.queue
}

export function answer(ticket, version) {
  const queue = classify(ticket, version === 2 ? RULES_V2 : RULES_V1)
  return JSON.stringify({
    queue,
    reply: `Hi! Thanks for writing in. Our ${TEAMS[queue]} team will get back to you within a day.`
  })
}
