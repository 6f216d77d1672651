import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HouseholdModel, ResidentModel } from '../../src/models/registry.model.js'
import { shot, signIn, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

describe('志愿服务 and a household’s proxies in the console, in Chromium', () => {
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-volunteers-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  it('community staff post a need, see it offered and taken, the matches and the volunteers', async () => {
    const staff = world.seed.communityStaff[0]
    if (!staff) throw new Error('no staff in the seed')
    const { volunteers } = world.service.services
    const residents = await ResidentModel.find({ communityId: world.seed.community.id, roles: ['resident'] })
      .sort({ _id: 1 })
      .limit(3)
      .lean()
    const [a, b, c] = residents.map((r) => String(r._id))
    if (!a || !b || !c) throw new Error('no residents in the seed')
    await volunteers.register(a, { skills: ['陪诊', '代购'] })
    await volunteers.register(b, {
      skills: ['陪诊'],
      availability: { days: [1, 2, 3, 4, 5], from: '13:00', to: '18:00' },
    })
    await volunteers.register(c, { skills: ['理发'] })

    const page = await signIn(browser, world.service.url, staff.name)
    await page.getByRole('link', { name: '志愿服务' }).click()
    await expect.poll(() => page.textContent('#volunteers-table')).toContain('陪诊、代购')
    expect(await page.textContent('#volunteers-table')).toContain('工作日 13:00–18:00')

    await page.getByLabel('需要的技能').selectOption('陪诊')
    await page.getByLabel(/需要帮什么忙/).fill('陪独居老人去医院复查，电话13812345678')
    await page.getByLabel('时间').fill('2030-12-10 14:30')
    await page.getByRole('button', { name: '发布并推送' }).click()
    await expect
      .poll(() => page.locator('.notice').textContent())
      .toMatch(/需求 V\d{4} 已发布，已推送给 2 位合适的志愿者/)
    const row = page.locator('#needs-table tbody tr').first()
    expect(await row.textContent()).not.toContain('13812345678')
    expect(await row.textContent()).toContain('等待接单')

    const need = (
      await volunteers.listNeeds(world.seed.community.id, {
        personId: staff.id,
        roles: ['community_staff'],
        communityIds: [world.seed.community.id],
        gridIds: [],
      })
    )[0]
    if (!need) throw new Error('the need was not posted')
    await volunteers.accept(need.code, a)
    await volunteers.complete(need.code, a, 2)
    await page.reload()
    await expect.poll(() => row.textContent()).toContain('已完成')
    expect(await row.textContent()).toContain('2 小时')
    await expect.poll(() => page.textContent('#volunteers-table')).toContain('2 小时')
    await row.getByRole('button', { name: '查看匹配' }).click()
    await expect.poll(() => page.locator('#matches-list li').count()).toBe(2)
    await shot(page, 'volunteers')

    await page.setViewportSize({ width: 375, height: 740 })
    // Runs in the browser (this file has no DOM types): nothing sticks out sideways.
    type Doc = { document: { documentElement: { scrollWidth: number } } }
    const width = await page.evaluate(
      () => (globalThis as unknown as Doc).document.documentElement.scrollWidth,
    )
    expect(width).toBeLessThanOrEqual(375)
    await shot(page, 'volunteers-phone')
    await page.close()
  })

  it('shows who acts for a household on its registry page', async () => {
    const staff = world.seed.communityStaff[0]
    const grid = world.seed.grids[0]
    if (!staff || !grid) throw new Error('no staff or grid in the seed')
    const home = await HouseholdModel.findOne({ gridId: grid.id }).sort({ building: 1, room: 1 }).lean()
    const daughter = await ResidentModel.findOne({
      communityId: world.seed.community.id,
      roles: ['resident'],
    })
      .sort({ _id: -1 })
      .lean()
    if (!home || !daughter) throw new Error('no household in the seed')
    const actor = {
      personId: staff.id,
      roles: ['community_staff' as const],
      communityIds: [world.seed.community.id],
      gridIds: [],
    }
    await world.service.services.proxies.link(
      String(home._id),
      { personId: String(daughter._id), relation: 'family', label: '我妈' },
      actor,
    )

    const page = await signIn(browser, world.service.url, staff.name)
    await page.goto(`${world.service.url}/console/registry/grids/${grid.id}/${String(home._id)}`)
    await expect.poll(() => page.textContent('#household-proxies')).toContain(daughter.name)
    await expect.poll(() => page.locator('[aria-current=true]').count()).toBe(1)
    expect(await page.textContent('#household-proxies')).toContain('家属')
    expect(await page.textContent('#household-proxies')).toContain('工作人员登记')
    await page.locator('#proxies-title').scrollIntoViewIfNeeded()
    await shot(page, 'household-proxies')
    await page.close()
  })
})
