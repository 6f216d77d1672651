/** One figure of an evaluation: printed as a table row, or as one JSON line with --json. */
export interface EvalMetric {
  section: string
  dataset: string
  metric: string
  /** 0..1 for rates; null when there is nothing to measure (e.g. no urgent line in a set). */
  value: number | null
  /** How many lines the figure is computed over. */
  n: number
  /** Extra detail for --json readers (e.g. the misses). */
  detail?: unknown
}

/** What a section prints under the table (misses, notes). */
export interface EvalSection {
  metrics: EvalMetric[]
  notes: string[]
}

/** Where the evaluation runs and how it should print. */
export interface EvalContext {
  repoRoot: string
  /** The shared dev sets: env LINLI_EVAL_DIR or ../shared/eval-dev from the repository root. */
  evalDir: string
  args: string[]
  json: boolean
}

/** A section of `npm run eval`: triage, kb, … Each is one async function. */
export type EvalSectionRunner = (ctx: EvalContext) => Promise<EvalSection>

/** Ratio rounded to three decimals; null when the denominator is 0. */
export function ratio(hit: number, total: number): number | null {
  return total === 0 ? null : Math.round((hit / total) * 1000) / 1000
}

/** A compact fixed-width table of metrics. */
export function formatTable(metrics: EvalMetric[]): string {
  const rows = metrics.map((m) => [
    m.section,
    m.dataset,
    m.metric,
    m.value === null ? '—' : m.value.toFixed(3),
    String(m.n),
  ])
  const header = ['section', 'dataset', 'metric', 'value', 'n']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i] as string))))
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i] as number)).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** Display width: CJK characters take two columns. */
function width(s: string): number {
  let w = 0
  for (const ch of s) w += /[\u2e80-\uffef]/.test(ch) ? 2 : 1
  return w
}

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)))
}
