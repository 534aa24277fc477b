// No imports: the CLI loads this (through stall.ts) before it checks the Node.js version.

/** The modules of the code under test being imported, by absolute path, and how many times. */
const importing = new Map<string, number>()

/** Runs `load`, the import of `absolutePath`, counting it as pending until it settles. */
export async function trackImport<T>(absolutePath: string, load: () => Promise<T>): Promise<T> {
  // Counted: the same module may be imported more than once at a time.
  importing.set(absolutePath, (importing.get(absolutePath) ?? 0) + 1)
  try {
    return await load()
  } finally {
    const left = (importing.get(absolutePath) ?? 1) - 1
    if (left === 0) importing.delete(absolutePath)
    else importing.set(absolutePath, left)
  }
}

/** The absolute paths of the modules whose import has not settled yet, in the order begun. */
export function modulesStillImporting(): string[] {
  return [...importing.keys()]
}
