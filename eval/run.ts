import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runKbEval } from './kb.eval.js'
import { type EvalContext, type EvalSectionRunner, formatTable } from './report.js'
import { runTriageEval } from './triage.eval.js'

/**
 * `npm run eval [-- --json] [-- --only triage]`: runs every section and prints one table (or one
 * JSON object per metric line with --json). A new section is one import and one entry here.
 */
const SECTIONS: Record<string, EvalSectionRunner> = {
  triage: runTriageEval,
  kb: runKbEval,
}

async function main(argv: string[]): Promise<number> {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const ctx: EvalContext = {
    repoRoot,
    evalDir: process.env.LINLI_EVAL_DIR ?? path.resolve(repoRoot, '..', 'shared', 'eval-dev'),
    args: argv,
    json: argv.includes('--json'),
  }
  const onlyAt = argv.indexOf('--only')
  const only = onlyAt >= 0 ? argv[onlyAt + 1]?.split(',') : undefined
  const metrics = []
  const notes: string[] = []
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (only && !only.includes(name)) continue
    const section = await run(ctx)
    metrics.push(...section.metrics)
    notes.push(...section.notes)
  }
  if (ctx.json) {
    for (const m of metrics) process.stdout.write(`${JSON.stringify(m)}\n`)
    return 0
  }
  process.stdout.write(`${formatTable(metrics)}\n`)
  if (notes.length > 0) process.stdout.write(`\n${notes.join('\n')}\n`)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`eval failed: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
