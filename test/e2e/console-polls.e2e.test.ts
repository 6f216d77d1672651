import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResidentModel } from '../../src/models/registry.model.js'
import { shot, signIn, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

/** `YYYY-MM-DDTHH:MM` (Beijing time) a few days ahead, as a datetime-local input takes it. */
function daysAhead(days: number): string {
  const at = new Date(Date.now() + days * 86400_000 + 8 * 3600_000)
  return at.toISOString().slice(0, 16)
}

describe('the console’s 投票议事 page in Chromium: open a poll, watch turnout, close; a 议事 topic to its decision', () => {
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-polls-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  it('community staff open a grid poll, see votes and turnout per grid arrive, close it, and record a 议事 decision', async () => {
    const { service, seed } = world
    const staff = seed.communityStaff[0]
    const grid = seed.grids[0]
    if (!staff || !grid) throw new Error('no staff or grid in the seed')
    const page = await signIn(browser, service.url, staff.name)
    await page.getByRole('link', { name: '投票议事' }).click()
    await expect.poll(() => page.textContent('h1')).toBe('投票议事')
    await page.locator('#poll-form').getByText(`${grid.code} ${grid.name}`).click()
    await page.fill('#poll-question', '小区东门是否改为夜间关闭？')
    await page.fill('#poll-options', '同意\n不同意\n无所谓')
    await page.fill('#poll-deadline', daysAhead(3))
    await shot(page, 'polls-compose')
    await page.getByRole('button', { name: '发起投票' }).click()

    await expect.poll(() => page.textContent('h1')).toBe('投票：小区东门是否改为夜间关闭？')
    const id = /\/console\/polls\/([0-9a-f]{24})$/.exec(page.url())?.[1]
    if (!id) throw new Error(`no poll id in ${page.url()}`)
    expect(await page.textContent('#poll-status')).toBe('进行中')
    const eligible = (await service.services.polls.results(id)).eligible
    expect(eligible).toBeGreaterThan(2)
    await expect.poll(() => page.textContent('#results')).toContain(`共 ${eligible} 户`)

    // Two households of the grid vote (one member each); the page shows them by its own refresh.
    const voters = await ResidentModel.find({ gridId: grid.id, householdId: { $exists: true } }).lean()
    const byHousehold = [...new Map(voters.map((v) => [String(v.householdId), v])).values()].slice(0, 2)
    for (const [i, v] of byHousehold.entries())
      await service.services.polls.vote(id, String(v._id), { choices: [i === 0 ? 1 : 2] })
    await expect.poll(() => page.textContent('#voted'), { timeout: 10_000 }).toBe('2')
    expect(await page.textContent('#option-counts')).toContain('1. 同意')
    const row = page.locator('#grid-turnout tbody tr').first()
    expect(await row.textContent()).toContain(grid.name)
    expect(await row.textContent()).toContain(`2${eligible}${Math.round((2 / eligible) * 100)}%`)
    await shot(page, 'polls-results')

    await page.getByRole('button', { name: '结束投票' }).click()
    await expect.poll(() => page.textContent('#poll-status')).toBe('已结束')
    expect(await page.textContent('[role=status]')).toContain('投票已结束，结果已发到')

    // 议事: open a topic, a resident's opinion arrives, staff record the decision.
    await page.getByRole('link', { name: '← 返回投票议事' }).click()
    await expect.poll(() => page.textContent('#poll-list')).toContain('已结束')
    await page.fill('#topic-title', '楼下空地改建什么')
    await page.fill('#topic-background', '东门旁有一块 200 平方米的空地。')
    await page.fill('#topic-closes', daysAhead(5))
    await page.getByRole('button', { name: '发起议事' }).click()
    await expect.poll(() => page.textContent('h1')).toBe('议事：楼下空地改建什么')
    const topicId = /\/console\/polls\/topics\/([0-9a-f]{24})$/.exec(page.url())?.[1]
    const resident = byHousehold[0]
    if (!topicId || !resident) throw new Error('no topic or resident')
    await service.services.deliberations.addOpinion(topicId, String(resident._id), {
      text: '建议做成儿童游乐场',
    })
    await page.reload()
    await expect.poll(() => page.textContent('#opinions')).toContain('建议做成儿童游乐场')
    expect(await page.textContent('#opinions')).toContain(resident.name)
    await page.fill('#decision-text', '改建为儿童游乐场，明年春天开工')
    await page.fill('#decision-basis', '居民议事会表决通过')
    await page.getByRole('button', { name: '记录并通知' }).click()
    await expect.poll(() => page.textContent('#topic-status')).toBe('已决定')
    expect(await page.textContent('#decision')).toContain('改建为儿童游乐场')
    await shot(page, 'polls-topic')

    // On a phone the list page still reads: forms stacked, tables scroll inside their frame.
    await page.setViewportSize({ width: 375, height: 800 })
    await page.getByRole('link', { name: '← 返回投票议事' }).click()
    await expect.poll(() => page.textContent('#topic-list')).toContain('已决定')
    type Doc = { document: { documentElement: { scrollWidth: number } } }
    const width = await page.evaluate(
      () => (globalThis as unknown as Doc).document.documentElement.scrollWidth,
    )
    expect(width).toBeLessThanOrEqual(375)
    await shot(page, 'polls-phone')
  })
})
