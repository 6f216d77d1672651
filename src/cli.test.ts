import { afterEach, describe, expect, it, vi } from 'vitest'
import { runCli } from './cli.js'
import { displayWidth } from './lib/text-width.js'

/** Runs `linli <argv>` and returns its exit code and what it printed. */
async function linli(...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0)
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0)
  const code = await runCli(argv, { LINLI_ENV: 'test' })
  vi.restoreAllMocks()
  return { code, out: out.join(''), err: err.join('') }
}

describe('linli help', () => {
  afterEach(() => vi.restoreAllMocks())

  it('is in Chinese, lists every command, and its summaries start at one screen column', async () => {
    const { code, out } = await linli('help')
    expect(code).toBe(0)
    expect(out).toContain('用法：npm run --silent linli -- <命令> [选项]')
    expect(out).not.toMatch(/Usage|Commands|show which|open a case/)
    const rows = out.split('\n').filter((l) => /^ {2}[a-z]+ +\S/.test(l))
    expect(rows.map((l) => l.trim().split(/\s+/)[0])).toEqual([
      'db',
      'stats',
      'import',
      'seed',
      'kb',
      'triage',
      'case',
      'jobs',
      'help',
    ])
    // Every summary is Chinese and starts at the same column; every command line sits under it.
    const summaryAt = rows.map((l) => displayWidth(/^ {2}[a-z]+ +/.exec(l)?.[0] ?? ''))
    expect(new Set(summaryAt).size).toBe(1)
    for (const l of rows) expect(l).toMatch(/[\u4e00-\u9fff]/)
    expect(out).toContain('case show <工单号> [--json]')
  })

  it('answers an unknown command in Chinese with exit code 2', async () => {
    const { code, err } = await linli('frobnicate')
    expect(code).toBe(2)
    expect(err).toContain('没有「frobnicate」这个命令')
    expect(err).toContain('用法')
  })
})
