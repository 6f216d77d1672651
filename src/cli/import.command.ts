import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { systemClock } from '../lib/clock.js'
import { fieldCryptoFromConfig } from '../lib/crypto.js'
import { InvalidInputError } from '../lib/errors.js'
import { type ImportProgress, importRegistrySheet } from '../services/registry/import/import.service.js'
import { type Command, parseArgs } from './command.js'

const PHASES: Record<ImportProgress['phase'], string> = {
  read: '读取',
  grids: '网格',
  rows: '住户/居民',
  done: '完成',
}

/** `linli import <file> [--community <code>]`: imports a CSV/XLSX registry sheet, prints a JSON summary. */
export const importCommand: Command = {
  name: 'import',
  usage: ['import <台账.csv|台账.xlsx> [--community <社区编号>]'],
  summary: '从台账表格导入网格、住户和居民（输出 JSON 汇总）',
  async run(ctx, args) {
    const { flags, positionals } = parseArgs(args)
    const file = positionals[0]
    if (!file) throw new InvalidInputError('请指定要导入的文件：import <文件.csv|文件.xlsx>')
    // Read as a stream by the import (a register of 283,000 rows is never held whole).
    await access(file, constants.R_OK).catch(() => {
      throw new InvalidInputError(`无法读取文件 ${file}`)
    })
    const community = flags.get('community')
    await ctx.database()
    let last = 0
    const summary = await importRegistrySheet(
      { crypto: fieldCryptoFromConfig(ctx.config, ctx.logger), clock: systemClock },
      { path: file },
      {
        communityCode: typeof community === 'string' ? community : undefined,
        onProgress: (p) => {
          if (p.phase === 'rows' && Date.now() - last < 1000) return
          last = Date.now()
          ctx.err(`${PHASES[p.phase]} ${p.done}${p.total ? `/${p.total}` : ''}`)
        },
      },
    )
    ctx.out(JSON.stringify(summary, null, 2))
    return 0
  },
}
