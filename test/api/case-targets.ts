import type { ApiApp, ApiWorld } from './api-world.js'

/**
 * Cases to act on: A (KH-01, assigned to 王网格, reported by 张三), P (heating, posted to both heating
 * companies, reported by 张三), O (the other community, reported by its resident). `fresh(kind)` opens
 * a new case of that kind (a different building each time, so dedupe keeps them apart) and, for
 * `resolved`, takes it through accept and resolve.
 */
export async function makeTargets(api: ApiApp, w: ApiWorld) {
  const { cases } = api.services
  let n = 0
  const open = async (kind: 'assigned' | 'posted' | 'other') => {
    n += 1
    const heating = kind === 'posted'
    const reporter = kind === 'other' ? w.outsider._id : w.zhang._id
    const opened = await cases.open({
      channel: 'miniprogram',
      sourceKey: `target-${kind}-${n}`,
      text: heating ? `${20 + n}号楼暖气片不热` : `${20 + n}号楼${n}单元楼道灯坏了`,
      category: heating ? 'heating_utilities' : 'facility_repair',
      reporter: { personId: String(reporter) },
    })
    if (!opened.created) throw new Error(`target case ${kind}#${n} was deduplicated`)
    return opened.case.number
  }
  const worker = { personId: String(w.worker._id), roles: ['grid_worker'], gridIds: [String(w.grid._id)] }
  async function fresh(kind: 'assigned' | 'posted' | 'other' | 'resolved'): Promise<string> {
    if (kind !== 'resolved') return open(kind)
    const number = await open('assigned')
    await cases.accept(number, worker)
    await cases.resolve(number, worker, '灯泡已更换')
    return number
  }
  const [A, P, O, R] = [
    await fresh('assigned'),
    await fresh('posted'),
    await fresh('other'),
    await fresh('resolved'),
  ]
  return { A, P, O, R, fresh }
}

export type Targets = Awaited<ReturnType<typeof makeTargets>>
