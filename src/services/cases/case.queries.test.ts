import { describe, expect, it } from 'vitest'
import { makeCaseService, makeCaseWorld } from '../../../test/case-world.js'
import { useTestDatabase } from '../../../test/db.js'
import { checkCaseOwnersAfterEach } from '../../../test/owner-invariant.js'

describe('case queries', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  it('pages a worker inbox, a grid and a community newest first and refuses malformed ids', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const texts: Array<[string, string]> = [
      ['楼道灯坏了', 'facility_repair'],
      ['楼上装修太吵', 'noise'],
      ['有流浪狗追人', 'greening_pets'],
      ['消防通道被占', 'parking_traffic'],
      ['垃圾桶满了', 'sanitation'],
    ]
    const numbers: string[] = []
    for (const [i, [text, category]] of texts.entries()) {
      const r = await service.open({
        channel: 'group',
        sourceKey: `q-${i}`,
        text,
        category,
        location: { gridCode: 'KH-01' },
      })
      numbers.push(r.case.number)
    }
    const first = await service.listForGrid(String(w.grid._id), { limit: 3 })
    expect(first.items.map((c) => c.number)).toEqual(numbers.slice(2).reverse())
    const second = await service.listForGrid(String(w.grid._id), { limit: 3, cursor: first.nextCursor })
    expect(second.items.map((c) => c.number)).toEqual(numbers.slice(0, 2).reverse())
    expect(second.nextCursor).toBeUndefined()
    const inbox = await service.listForWorker(String(w.worker._id))
    expect(inbox.items.every((c) => c.assigneeId === String(w.worker._id))).toBe(true)
    expect(inbox.items.length).toBe(3)
    const noise = await service.listForCommunity(String(w.community._id), { category: 'noise' })
    expect(noise.items.map((c) => c.category)).toEqual(['noise'])
    await expect(service.listForWorker('not-an-id')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(service.get('999999-0001')).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
