export const MAIN_HELP = `evalgate — gate changes on real regressions of LLM and ML models

Usage:
  evalgate validate [paths...]            check eval specs and case files
  evalgate run [paths...] [options]       run eval suites, write a RunResult
  evalgate compare <base.json> <head.json> [options]
                                          compare two RunResults with paired statistics
  evalgate merge <shard.json...> [--out <file>] [--fail-on <when>]
                                          merge the results of --shard runs into one
  evalgate <command> --help               options of a command (or: evalgate help <command>)
  evalgate --version

Paths are spec files or directories searched for *.eval.yaml (default: evals).
Exit codes: 0 ok, 1 failed cases or a regression, 2 bad input, 70 stalled (the code under test
awaits what never settles; partial results written if they can be), ended by the code under test
(process.exit, or an error nothing caught) or an internal error, 73 the results could not be written where asked (saved to a
temp file instead), 130/143 a SIGINT/SIGTERM before the command finished.
`

export const VALIDATE_HELP = `Usage: evalgate validate [paths...]

Loads every spec (*.eval.yaml under the given directories, or the named files; default: evals),
its case files and templates, and reports every problem at once with file:line:column.
Exit 0 when all are valid, 2 otherwise.
`

export const RUN_HELP = `Usage: evalgate run [paths...] [options]

Runs the eval suites and writes a RunResult (JSON) even when cancelled (marked incomplete).

Options:
  --out <file>            where to write the RunResult (default: .evalgate/results.json)
  --concurrency <n>       calls in flight across providers and judges (default: 8)
  --repeats <k>           answers per case, overriding each suite's \`repeats\`
  --shard <i/n>           run only shard i of n ≤ 10000 (cases split by a hash of suite and
                          case id; a shard may get no case, and still merges); a shard's pass
                          rate is not its suite's: \`merge\` applies min-pass-rate
  --filter <pattern>      suite-glob[/case-glob], comma-separated, e.g. triage/refund-*
  --fail-on <when>        threshold: exit 1 when a provider's pass rate is below the suite's
                          min-pass-rate (errored answers count as failed; default);
                          never: thresholds never fail the run (a regression
                          found with --baseline still exits 1)
  --baseline <file>       compare with this RunResult after the run (exit 1 on a regression)
  --strict                with --baseline: an inconclusive result fails too, and so
                          does a suite not gated against its baseline (its scorers
                          changed, or no case was answered in both runs)
  --format <f>            with --baseline: terminal (default), markdown, json or junit;
                          other than terminal, stdout holds the comparison alone: the run
                          report, and what module providers and javascript scorers print
                          (also after the run), go to stderr
  --cache <mode>          record/replay provider answers: off (default), read, write,
                          read-write, or replay (no call at all, for runs without secrets
                          such as fork PRs; an answer not in the cache is left out and counted)
  --cache-dir <dir>       where cached answers live (default: .evalgate/cache)
  --commit <sha>          commit recorded in the RunResult (default: $GITHUB_SHA or git HEAD)
  --quiet                 no progress output
  --no-color              plain text even on a terminal
`

export const COMPARE_HELP = `Usage: evalgate compare <base.json> <head.json> [options]

Pairs the cases of two RunResults by suite, provider and case id and tests each metric
(score, pass rate, latency, cost, errors) for a real change.

Options:
  --format <f>     terminal (default), markdown, json or junit
  --out <file>     also write the report to this file
  --strict         an inconclusive result fails too, and so does a suite not gated
                   against its baseline (its scorers changed, or no case was answered
                   in both runs)
  --seed <text>    seed of the random tests (default: the head run's commit)
  --no-color       plain text even on a terminal
Exit 1 on a regression, a broken absolute limit or an error verdict (and, with --strict, an
inconclusive one or a suite not gated against its baseline); 2 on bad input; 0 otherwise.
`

export const MERGE_HELP = `Usage: evalgate merge <shard.json|dir...> [--out <file>] [--fail-on <when>]

Merges the RunResults of \`evalgate run --shard i/n\` (one per shard, or directories holding
them) into the RunResult of the whole run, to compare or store as a baseline. Every shard of one
commit must be there, each once, written by one evalgate version, with the same suites (prompt,
timeout, repeats, min-pass-rate, gate) and providers configured alike.

Options:
  --out <file>     where to write the merged RunResult (default: .evalgate/results.json)
  --fail-on <when> threshold (default): exit 1 when a provider's pass rate over the whole run
                   is below the suite's min-pass-rate, as \`run\` does; never
  --no-color       plain text even on a terminal
Exit 0 when merged, 1 below a min-pass-rate or when a shard was incomplete (cancelled), 2 when
the files are not the shards of one run.
`
