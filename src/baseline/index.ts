export { BranchStore, DEFAULT_DATA_BRANCH, DEFAULT_HISTORY_LENGTH } from './branch-store.js'
export type { BranchStoreOptions, IndexEntry } from './branch-store.js'
export { FileStore } from './file-store.js'
export {
  DEFAULT_MAX_DISTANCE,
  findBaseline,
  findPullRequestBaseline,
  firstParentHistory,
  mergeBase
} from './find.js'
export type { BaselineMatch, BaselineSearch, NewerBaseline } from './find.js'
export {
  checkBaselineKey,
  keyDirectory,
  NewerBaselineError,
  storeBaselineSafely,
  warnOnStderr
} from './store.js'
export type { BaselineStore, StoreOutcome, Warn } from './store.js'
