export function bundleForNode(options: {
  entry: string
  outfile: string
  shebang?: boolean
  external?: boolean
  sourcemap?: boolean
}): Promise<void>
