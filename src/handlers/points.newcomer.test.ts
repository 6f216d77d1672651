import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { chat, useBoundChat } from './handler-fixtures.test-helper.js'

describe('a newcomer not yet registered asks for 积分', () => {
  useTestDatabase()
  const world = useBoundChat('points-newcomer@chatroom')
  const { room, handle } = world

  async function withItem() {
    const staffId = String(world.people.worker._id)
    await world.services.shop.createItem(
      { communityId: String(world.people.community._id), title: '环保购物袋', cost: 20, stock: 5 },
      staffId,
    )
  }

  it('in the bound group sees the group community’s shop, privately, and can pick from that list', async () => {
    await withItem()
    const out = await handle(chat('@邻里小助手\u2005积分', { room, mentionsBot: true }))
    const text = out.replies.map((r) => r.text).join('\n')
    // Points are private: the answer goes to the sender, never into the group.
    expect(out.replies.map((r) => r.to)).toEqual([{ type: 'contact', id: 'c-zhang' }])
    expect(text).toContain('1. 环保购物袋')
    // The list shown is the one 「兑换 1」 takes: not enough points yet, said plainly.
    const redeem = await handle(chat('兑换 1'))
    expect(redeem.replies.map((r) => r.text).join()).toMatch(/积分不够|不足/)
  })

  it('in a direct chat, with no community known, is told how to see it instead of “no items”', async () => {
    await withItem()
    const out = await handle(chat('积分'))
    const text = out.replies.map((r) => r.text).join('\n')
    expect(text).toContain('还没有登记住址')
    expect(text).not.toContain('暂时还没有可兑换的商品')
  })
})
