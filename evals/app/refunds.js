/** Prorated refund of an unused subscription period, rounded to cents. */
export function refundAmount({ vars }) {
  const price = Number(vars.price)
  const used = Number(vars.days_used)
  const days = Number(vars.period_days)
  const refund = Math.max(0, price * (1 - used / days))
  return refund.toFixed(2)
}
