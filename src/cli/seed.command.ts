import { systemClock } from '../lib/clock.js'
import { fieldCryptoFromConfig } from '../lib/crypto.js'
import { InvalidInputError } from '../lib/errors.js'
import { createRegistryService } from '../services/registry/registry.service.js'
import { seedDemo } from '../services/registry/seed.js'
import { seedCity } from '../services/registry/seed-city.js'
import { type Command, parseArgs } from './command.js'

const count = (v: string | true | undefined, fallback: number): number => {
  if (v === undefined || v === true) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidInputError(`数量必须是正整数：${v}`)
  return n
}

/** seedCity's phases, as the progress lines on stderr name them. */
const SEED_PHASES: Record<string, string> = {
  communities: '社区',
  grids: '网格',
  gridWorkers: '网格员',
  households: '住户',
}

/** `linli seed demo|city`: the demo community, or a city-scale registry for benchmarks (JSON summary). */
export const seedCommand: Command = {
  name: 'seed',
  usage: ['seed demo', 'seed city [--grids N --workers N --households N]'],
  summary: '创建演示社区（康和社区）或全市规模的台账；重复运行不会重复创建',
  async run(ctx, args) {
    const { flags, positionals } = parseArgs(args)
    const what = positionals[0]
    if (what !== 'demo' && what !== 'city') throw new InvalidInputError('请指定 seed demo 或 seed city')
    await ctx.database()
    if (what === 'demo') {
      const registry = createRegistryService({
        clock: systemClock,
        crypto: fieldCryptoFromConfig(ctx.config, ctx.logger),
        logger: ctx.logger,
      })
      ctx.out(JSON.stringify(await seedDemo(registry), null, 2))
      return 0
    }
    let last = 0
    const summary = await seedCity(
      { clock: systemClock },
      {
        grids: count(flags.get('grids'), 2445),
        gridWorkers: count(flags.get('workers'), 5169),
        households: count(flags.get('households'), 283_000),
        onProgress: (p) => {
          if (Date.now() - last < 1000 && p.done < p.total) return
          last = Date.now()
          ctx.err(`${SEED_PHASES[p.phase] ?? p.phase} ${p.done}/${p.total}`)
        },
      },
    )
    ctx.out(JSON.stringify(summary, null, 2))
    return 0
  },
}
