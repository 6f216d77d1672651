import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResidentModel } from '../../src/models/registry.model.js'
import { shot, signIn, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

describe('the console’s 积分商城 page in Chromium', () => {
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-shop-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  it('staff put up a merchant’s item, see a resident’s redemption and verify its pickup code once', async () => {
    const staff = world.seed.communityStaff[0]
    if (!staff) throw new Error('no community staff in the seed')
    const page = await signIn(browser, world.service.url, staff.name)
    await page.getByRole('link', { name: '积分商城' }).click()
    await expect.poll(() => page.textContent('h1')).toBe('积分商城')

    await page.getByLabel('名称', { exact: false }).first().fill('社区理发券')
    await page.fill('#shop-description', '凭码到店理发一次')
    await page.fill('#shop-cost', '30')
    await page.fill('#shop-stock', '2')
    await page.getByLabel('商家').check()
    await page.fill('#shop-merchant-name', '阿芳理发店')
    await page.fill('#shop-merchant-contact', '5号楼底商')
    await page.getByRole('button', { name: '上架', exact: true }).click()
    await expect.poll(() => page.textContent('[role=status]')).toBe('已上架「社区理发券」。')
    const row = page.locator('#shop-items tbody tr').first()
    expect(await row.textContent()).toContain('阿芳理发店（5号楼底商）')
    expect(await row.textContent()).toContain('2 / 2')

    // A resident of the community redeems it (as the mini-program or the chat would).
    const resident = await ResidentModel.findOne({
      communityId: world.seed.community.id,
      roles: ['resident'],
      householdId: { $exists: true },
    }).orFail()
    const { points, shop } = world.service.services
    await points.adjust({
      personId: String(resident._id),
      delta: 50,
      refKey: 'e2e-gift',
      note: '志愿服务',
      byId: staff.id,
    })
    const item = (await shop.listItems(world.seed.community.id))[0]
    if (!item) throw new Error('the item is not listed')
    const r = await shop.redeem({
      itemId: item.id,
      personId: String(resident._id),
      key: 'e2e-redeem',
      channel: 'wechat',
    })
    await page.reload()
    const redemption = page.locator(`[data-redemption="${r.id}"]`)
    await expect.poll(() => redemption.textContent()).toContain('待领取')
    expect(await redemption.textContent()).toContain(r.code as string)
    expect(await row.textContent()).toContain('1 / 2')

    // The code typed and sent with Enter: picked up, once.
    await page.getByLabel('核销取货码').fill(r.code as string)
    await page.keyboard.press('Enter')
    await expect.poll(() => page.textContent('[role=status]')).toBe('核销成功：「社区理发券」已领取。')
    await expect.poll(() => redemption.textContent()).toContain('已领取')
    await page.getByLabel('核销取货码').fill(r.code as string)
    await page.getByRole('button', { name: '核销' }).click()
    await expect
      .poll(() => page.textContent('[role=alert]'))
      .toBe('这个取货码已经核销过了，不能重复领取。如有疑问请联系社区')

    // The grid's leaderboard: the resident's 50 points this month, the name masked.
    await page.selectOption('#board-grid', String(resident.gridId))
    const masked = `${[...resident.name][0]}${'*'.repeat([...resident.name].length - 1)}`
    await expect
      .poll(() => page.locator('#shop-board ol').textContent())
      .toContain(`第 1 名 ${masked} · 50 分`)
    await shot(page, 'shop')

    // On a phone the page does not scroll sideways; the tables scroll in place.
    await page.setViewportSize({ width: 375, height: 812 })
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375)
    await shot(page, 'shop-phone')
    await page.close()

    const worker = world.seed.grids[0]?.primaryWorker
    if (!worker) throw new Error('no grid worker in the seed')
    const wp = await signIn(browser, world.service.url, worker.name)
    expect(await wp.getByRole('link', { name: '积分商城' }).count()).toBe(0)
    await wp.close()
  })
})
