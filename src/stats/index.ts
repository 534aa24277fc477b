/**
 * evalgate's statistics: pure functions, no I/O, no dependencies. See DESIGN.md "Statistics" for
 * how the regression gate uses them; every algorithm cites its source where it is defined.
 */
export { createRng, type Rng } from './rng.js'
export { mean, median, quantile, standardDeviation, variance } from './descriptive.js'
export {
  binomialCdf,
  binomialPmf,
  logBeta,
  logGamma,
  normalCdf,
  normalQuantile,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile
} from './distributions.js'
export {
  holm,
  mcnemarExact,
  signFlipTest,
  wilcoxonSignedRank,
  type Alternative,
  type TestResult
} from './tests.js'
export { hodgesLehmann, hodgesLehmannInterval } from './hodgesLehmann.js'
export {
  bootstrapMeanInterval,
  bootstrapRatioInterval,
  deltaMethodRatioInterval,
  clusteredStandardError,
  newcombeDifferenceInterval,
  tInterval,
  zeroEventUpperBound,
  type Interval
} from './intervals.js'
export { fewestSignificantUnits, minimumDetectableEffect, requiredSampleSize } from './power.js'
