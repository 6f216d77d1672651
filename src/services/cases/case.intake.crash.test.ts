import { describe, expect, it } from 'vitest'
import { makeCaseService, makeCaseWorld } from '../../../test/case-world.js'
import { useTestDatabase } from '../../../test/db.js'
import { UnavailableError } from '../../lib/errors.js'
import { claimKey, lookupKey } from '../../lib/storage/index.js'
import { CaseModel } from '../../models/case.model.js'
import { IntakeEntryModel } from '../../models/intake-set.model.js'
import { OutboxModel } from '../../models/outbox.model.js'

/**
 * A report replayed after the process died between two of the writes that open or join a case: the
 * replay completes the work, and the report ends with exactly one case (opened or joined).
 */
describe('case intake replayed after a crash between two writes', () => {
  useTestDatabase()

  const report = (sourceKey: string, text: string, extra: Record<string, unknown> = {}) => ({
    channel: 'group',
    sourceKey,
    text,
    location: { gridCode: 'KH-01' },
    category: 'sanitation',
    ...extra,
  })

  /** Every case that names `sourceKey`, as opener or as subscriber. */
  async function ownersOf(sourceKey: string): Promise<string[]> {
    const cases = await CaseModel.find({}).lean()
    return cases.flatMap((c) =>
      [c.sourceKey, ...c.subscribers.map((s) => s.sourceKey)]
        .filter((k) => k === sourceKey)
        .map(() => c.number),
    )
  }

  it('opens its own case when the case it was joining was closed before the replay', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const first = await service.open(
      report('chat:m-a', '3号楼门口的垃圾桶满了没人清理', { reporter: { personId: String(w.zhang._id) } }),
    )
    // The second report was judged a duplicate of the first: its source key was claimed for that
    // case, and the process was killed before the subscription was written.
    await claimKey('case-source', 'chat:m-b', first.case.id)
    // Meanwhile the first case was finished, so the replay no longer finds it as an open duplicate.
    await CaseModel.updateOne({ _id: first.case.id }, { $set: { status: 'closed' } })

    const replay = await service.open(
      report('chat:m-b', '3号楼门口垃圾桶满了，快来清理', { reporter: { personId: String(w.li._id) } }),
    )
    expect(replay.created).toBe(true)
    expect(replay.case.number).not.toBe(first.case.number)
    expect(replay.case.status).toBe('assigned')
    expect(await ownersOf('chat:m-b')).toEqual([replay.case.number])
    expect(await lookupKey('case-source', 'chat:m-b')).toBe(replay.case.id)
    // Replayed once more, it is the same case.
    const again = await service.open(report('chat:m-b', '3号楼门口垃圾桶满了，快来清理'))
    expect(again).toMatchObject({ created: false, case: { number: replay.case.number } })
  })

  it('joins the case it was joining when that case is still open', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const first = await service.open(
      report('chat:m-c', '3号楼门口的垃圾桶满了没人清理', { reporter: { personId: String(w.zhang._id) } }),
    )
    await claimKey('case-source', 'chat:m-d', first.case.id)
    const replay = await service.open(
      report('chat:m-d', '3号楼门口垃圾桶满了，快来清理', { reporter: { personId: String(w.li._id) } }),
    )
    expect(replay).toMatchObject({ created: false, duplicateOf: first.case.number })
    expect(await ownersOf('chat:m-d')).toEqual([first.case.number])
    expect(await CaseModel.countDocuments()).toBe(1)
  })

  it('fails for now when routing meets a busy lock, and the retry routes the stored case', async () => {
    const w = await makeCaseWorld()
    const { responsibility } = makeCaseService()
    let busy = true
    const { service } = makeCaseService(undefined, {
      responsibility: {
        ...responsibility,
        whoHandles: (q: Parameters<typeof responsibility.whoHandles>[0]) => {
          if (busy) throw new UnavailableError('系统繁忙，请稍后再试', { lock: 'staff' })
          return responsibility.whoHandles(q)
        },
      },
    })
    const input = report('chat:m-g', '3号楼门口的垃圾桶满了没人清理')
    await expect(service.open(input)).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    expect(await CaseModel.countDocuments({ status: 'received' })).toBe(1)
    busy = false
    const retried = await service.open(input)
    expect(retried).toMatchObject({ created: false, case: { status: 'assigned' } })
    expect(retried.case.assigneeId).toBe(String(w.worker._id))
    expect(await CaseModel.countDocuments()).toBe(1)
  })

  it('enters and routes the case it opened when the first run stopped before doing so', async () => {
    const w = await makeCaseWorld()
    const { responsibility } = makeCaseService()
    let down = true
    // The first run stores the case and dies before routing (here: routing fails once).
    const { service } = makeCaseService(undefined, {
      responsibility: {
        ...responsibility,
        whoHandles: (q: Parameters<typeof responsibility.whoHandles>[0]) => {
          if (down) throw new Error('killed before routing')
          return responsibility.whoHandles(q)
        },
      },
    })
    const first = await service.open(report('chat:m-e', '3号楼门口的垃圾桶满了没人清理'))
    expect(first.case.status).toBe('received')
    expect(await OutboxModel.countDocuments({ kind: 'task' })).toBe(0)
    // Its entry in the intake set (what duplicates are compared with) was lost too.
    await IntakeEntryModel.deleteMany({})

    down = false
    const replay = await service.open(report('chat:m-e', '3号楼门口的垃圾桶满了没人清理'))
    expect(replay).toMatchObject({ created: false, case: { number: first.case.number, status: 'assigned' } })
    expect(replay.case.assigneeId).toBe(String(w.worker._id))
    const tasks = await OutboxModel.find({ kind: 'task' }).lean()
    expect(tasks.map((t) => t.to)).toEqual([{ type: 'person', id: String(w.worker._id) }])
    // A neighbour's report of the same problem now joins that case instead of dispatching again.
    const neighbour = await service.open(
      report('chat:m-f', '3号楼门口垃圾桶满了，快来清理', { reporter: { personId: String(w.li._id) } }),
    )
    expect(neighbour).toMatchObject({ created: false, duplicateOf: first.case.number })
  })
})
