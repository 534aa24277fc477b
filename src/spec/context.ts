import { stat } from 'node:fs/promises'
import { relative, resolve } from 'node:path'
import type { Diagnostic, SourceLocation } from '../errors.js'
import type { CommandSystem } from '../providers/exec.js'
import type { FieldPath, YamlFile } from './yaml-file.js'

/** A resolved entry of a spec list and where it is written. */
export interface Resolved<T> {
  spec: T
  path: FieldPath
}

/** What resolving one spec file needs, and where its problems are collected. */
export class SpecContext {
  readonly diagnostics: Diagnostic[] = []
  /**
   * The environment `${VAR}`s are read from. An empty value is unset: GitHub passes a secret the
   * workflow cannot see (a fork's pull request) as an empty string.
   */
  readonly env: Record<string, string | undefined>

  constructor(
    readonly yaml: YamlFile,
    /** Where relative paths in the spec start (the spec file's directory), named for hints. */
    readonly specBase: { directory: string; name: string },
    /** The spec file's directory as its providers' cached answers are keyed (repositoryDirectory). */
    readonly specDirectory: string,
    readonly cwd: string,
    env: Record<string, string | undefined>,
    /** False when no provider will be called (replay from cache): unset secrets are no error. */
    readonly requireSecrets = true,
    /** The system exec commands will run on: a command written as one string runs in its shell. */
    readonly system: CommandSystem = process
  ) {
    this.env = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''))
  }

  report(path: FieldPath, message: string, hint?: string): void {
    this.diagnostics.push(this.yaml.diagnostic(path, message, hint))
  }

  /** An environment variable the spec needs is not set: its own kind of problem (see Diagnostic). */
  reportUnsetVariable(path: FieldPath, name: string, hint: string): void {
    this.diagnostics.push({
      ...this.yaml.diagnostic(path, `environment variable \`${name}\` is not set (or empty)`, hint),
      unsetVariable: name
    })
  }

  /** A path as diagnostics and SuiteSpec show it: relative to the working directory. */
  relative(absolutePath: string): string {
    return relative(this.cwd, absolutePath) || '.'
  }

  source(path: FieldPath): SourceLocation {
    return { file: this.yaml.file, ...this.yaml.position(path) }
  }

  /**
   * Resolves a path written in the spec and reports it at `at` when it is not an existing file (or
   * directory). `written` is the text as written, before `${VAR}` expansion: when it used a
   * variable, the resolved path is not shown, as it may hold a secret.
   */
  async existingPath(check: {
    written: string
    expanded: string
    kind: 'file' | 'directory'
    at: FieldPath
    /** What the path names, e.g. `module`, `case file`. */
    what: string
    /** Where a relative path starts, with its name for the hint (default: specBase). */
    base?: { directory: string; name: string }
  }): Promise<string | undefined> {
    const base = check.base ?? this.specBase
    const absolute = resolve(base.directory, check.expanded)
    const resolvedNote = check.written.includes('${')
      ? ''
      : `resolved to \`${this.relative(absolute)}\`; `
    const hint = `${resolvedNote}paths are relative to ${base.name}`
    let isKind: boolean
    try {
      const stats = await stat(absolute)
      isKind = check.kind === 'file' ? stats.isFile() : stats.isDirectory()
    } catch {
      this.report(check.at, `${check.what} \`${check.written}\` does not exist`, hint)
      return undefined
    }
    if (!isKind) {
      this.report(check.at, `${check.what} \`${check.written}\` is not a ${check.kind}`, hint)
      return undefined
    }
    return absolute
  }
}
