import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/lib/clock.js'
import { silentLogger } from '../../src/lib/logger.js'
import { buildServices } from '../../src/main.js'
import { addDays, dayOf } from '../../src/services/stats/stats.time.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { shot, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

const DAY_MS = 24 * 60 * 60 * 1000

/** Signs the staff member in on the console's sign-in page (dev login). */
async function signIn(page: Page, url: string, name: string): Promise<void> {
  await page.goto(`${url}/console/`)
  await page.getByRole('button', { name: new RegExp(name) }).click()
  await expect.poll(() => page.textContent('#who-name')).toBe(name)
}

/** What each kanban column shows: its heading's count, e.g. { received: '1 件', … }. */
async function columnCounts(page: Page): Promise<Record<string, string>> {
  const cols = page.locator('#kanban [data-status]')
  const out: Record<string, string> = {}
  for (const col of await cols.all()) {
    out[(await col.getAttribute('data-status')) ?? ''] = (await col.locator('.count').textContent()) ?? ''
  }
  return out
}

describe('the case board in Chromium: kanban by status, every filter, search, and the address keeps them', () => {
  checkCaseOwnersAfterEach()
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-board-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  it('shows columns with counts, narrows by text and days, keeps the filters on reload, and fits a phone', async () => {
    const { service, seed } = world
    const [grid] = seed.grids
    const staff = seed.communityStaff[0]
    if (!grid || !staff) throw new Error('no grid or staff in the seed')
    /** The grid worker the case went to (routing takes turns among the grid's workers). */
    const handler = async (number: string) => ({
      personId: String((await service.services.cases.get(number)).assigneeId),
      roles: ['grid_worker'],
      communityIds: [],
      gridIds: [grid.id],
    })
    const b = grid.buildings[0]
    /** Opens a case as if reported `daysAgo` days ago (the service's own clock set back). */
    const open = async (daysAgo: number, key: string, channel: string, text: string, category: string) => {
      const at = fixedClock(new Date(Date.now() - daysAgo * DAY_MS))
      const cases = daysAgo ? buildServices(service.config, silentLogger, at).cases : service.services.cases
      const opened = await cases.open({
        channel,
        sourceKey: `console-board-${key}`,
        text,
        category,
        location: { gridId: grid.id },
      })
      return opened.case.number
    }
    const oldLight = await open(10, 'light', 'group', `${b}号楼楼道灯坏了`, 'facility_repair')
    const bins = await open(3, 'bins', 'miniprogram', `${b}号楼门口垃圾桶满了`, 'sanitation')
    await service.services.cases.accept(bins, await handler(bins))
    const lift = await open(0, 'lift', 'direct', `${b}号楼电梯有异响`, 'facility_repair')
    await service.services.cases.returnCase(lift, await handler(lift), '电梯归物业管')
    const fixed = await open(0, 'fixed', 'group', `${b}号楼单元门禁打不开`, 'facility_repair')
    const fixer = await handler(fixed)
    await service.services.cases.accept(fixed, fixer)
    await service.services.cases.resolve(fixed, fixer, '门禁已修好')
    const heat = await open(0, 'heat', 'walk_in', `${b}号楼暖气不热`, 'heating_utilities')

    const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' })
    page.on('pageerror', (err) => {
      throw err
    })
    await signIn(page, service.url, staff.name)
    await page.getByRole('button', { name: '看板' }).click()
    expect(new URL(page.url()).search).toBe('?mode=kanban')
    const heading = (status: string) => page.locator(`#kanban [data-status="${status}"] h3`)
    await expect.poll(() => heading('received').textContent()).toContain('已受理待派单')
    const all = {
      received: '1 件',
      posted: '1 件',
      assigned: '1 件',
      in_progress: '1 件',
      resolved: '1 件',
      closed: '0 件',
    }
    await expect.poll(() => columnCounts(page)).toEqual(all)
    expect(await heading('posted').textContent()).toContain('待部门抢单')
    // Each card: number, category, place, owner, age; the held case says nobody is on it yet.
    const card = (n: string) => page.locator(`#kanban a.board-card[data-number="${n}"]`)
    expect(await card(lift).textContent()).toMatch(/设施报修.*在社区待派单.*刚刚受理/)
    expect(await card(bins).textContent()).toMatch(/环境卫生.*处理人：.*3天前受理/)
    expect(await page.locator('#kanban [data-status="in_progress"]').textContent()).toContain(bins)
    expect(await page.locator('#kanban [data-status="posted"]').textContent()).toContain(heat)
    await shot(page, 'board-kanban')

    // Text search (Enter in the box): only the lift case is left, in its column.
    await page.fill('#filter-q', '电梯')
    await page.press('#filter-q', 'Enter')
    await expect
      .poll(() => columnCounts(page))
      .toEqual({ ...all, posted: '0 件', assigned: '0 件', in_progress: '0 件', resolved: '0 件' })
    expect(new URL(page.url()).searchParams.get('q')).toBe('电梯')
    await page.click('#filter-unowned')
    await expect.poll(() => page.locator('#kanban a.board-card').count()).toBe(1)

    // The list with a date range: the case from ten days ago drops out; a reload keeps it all.
    await page.getByRole('button', { name: '清除筛选' }).click()
    await page.getByRole('button', { name: '列表' }).click()
    const rows = page.locator('#case-table tbody tr')
    await expect.poll(() => rows.count()).toBe(5)
    expect(await page.textContent('#case-table')).toContain(oldLight)
    const today = dayOf(new Date(), 'Asia/Shanghai')
    await page.fill('#filter-from', addDays(today, -5))
    await page.fill('#filter-to', today)
    await expect.poll(() => rows.count()).toBe(4)
    expect(await page.textContent('#case-table')).not.toContain(oldLight)
    await page.selectOption('#filter-channel', { label: '微信群' })
    await expect.poll(() => rows.count()).toBe(1)
    expect(await rows.first().textContent()).toContain(fixed)
    await expect.poll(() => page.textContent('#list-count')).toContain('共 1 件')
    await shot(page, 'board-filters')
    await page.reload()
    await expect.poll(() => rows.count()).toBe(1)
    expect(await page.inputValue('#filter-from')).toBe(addDays(today, -5))
    expect(await page.inputValue('#filter-channel')).toBe('group')
    // A start after the end is refused on the page, in Chinese.
    await page.fill('#filter-from', addDays(today, 1))
    await expect
      .poll(() => page.locator('[role=alert]').first().textContent())
      .toContain('开始日期不能晚于结束日期')

    // Keyboard: a card is a link; Enter opens the case page, whose address is the case's.
    await page.goto(`${service.url}/console/?mode=kanban&q=${encodeURIComponent('暖气')}`)
    await card(heat).focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => page.textContent('h1')).toContain(`工单 ${heat}`)
    expect(page.url()).toBe(`${service.url}/console/cases/${heat}`)
    await page.goBack()
    await expect
      .poll(() => columnCounts(page))
      .toEqual({ ...Object.fromEntries(Object.keys(all).map((k) => [k, '0 件'])), posted: '1 件' })

    // On a phone the columns stack.
    await page.setViewportSize({ width: 375, height: 812 })
    await page.goto(`${service.url}/console/?mode=kanban`)
    await expect.poll(() => columnCounts(page)).toEqual(all)
    const [first, second] = await page.locator('#kanban [data-status]').all()
    const [a, c] = [await first?.boundingBox(), await second?.boundingBox()]
    expect(c && a && c.y > a.y && c.x === a.x).toBe(true)
    // Runs in the browser (this file has no DOM types): nothing sticks out sideways.
    type Doc = { document: { documentElement: { scrollWidth: number } } }
    const width = await page.evaluate(
      () => (globalThis as unknown as Doc).document.documentElement.scrollWidth,
    )
    expect(width).toBeLessThanOrEqual(375)
    await shot(page, 'board-phone')
    await page.close()
  }, 120_000)

  it('pages a long column with 加载更多, the count telling the whole number from the start', async () => {
    const { service, seed } = world
    const [grid] = seed.grids
    const staff = seed.communityStaff[0]
    if (!grid || !staff) throw new Error('no grid or staff in the seed')
    // Twenty-one more assigned cases, each at a different building (never one another's duplicates).
    for (let i = 0; i < 21; i++) {
      await service.services.cases.open({
        channel: 'group',
        sourceKey: `console-board-more-${i}`,
        text: `${101 + i}号楼门口路灯坏了`,
        category: 'facility_repair',
        location: { gridId: grid.id },
      })
    }
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    page.on('pageerror', (err) => {
      throw err
    })
    await signIn(page, service.url, staff.name)
    await page.goto(`${service.url}/console/?mode=kanban`)
    const assigned = page.locator('#kanban [data-status="assigned"]')
    await expect.poll(() => assigned.locator('.count').textContent()).toBe('22 件')
    await expect.poll(() => assigned.locator('a.board-card').count()).toBe(20)
    await assigned.getByRole('button', { name: '加载更多' }).click()
    await expect.poll(() => assigned.locator('a.board-card').count()).toBe(22)
    expect(await assigned.getByRole('button', { name: '加载更多' }).count()).toBe(0)
    expect(await assigned.locator('.count').textContent()).toBe('22 件')
    await page.close()
  }, 90_000)
})
