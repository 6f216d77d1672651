import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { shot, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

describe('the staff console in Chromium: community staff take a returned case and see it on its page', () => {
  checkCaseOwnersAfterEach()
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  it('signs in by picking the staff member, relocates the held case to a grid, and shows the timeline', async () => {
    const { service, seed } = world
    const grid = seed.grids[0]
    const staff = seed.communityStaff[0]
    expect(grid && staff).toBeTruthy()
    if (!grid || !staff) return
    // A worker hands a case back to the community: it waits in the community's queue, nobody's.
    const opened = await service.services.cases.open({
      channel: 'group',
      sourceKey: 'console-e2e-1',
      text: `${grid.buildings[0]}号楼楼道堆满了杂物`,
      category: 'facility_repair',
      hint: { communityId: seed.community.id },
    })
    const number = opened.case.number
    await service.services.cases.returnCase(
      number,
      { personId: grid.primaryWorker.id, roles: ['grid_worker'], communityIds: [], gridIds: [grid.id] },
      '不是本网格的楼',
    )

    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    page.on('pageerror', (err) => {
      throw err
    })
    await page.goto(`${service.url}/console/`)
    await expect.poll(() => page.textContent('h1')).toBe('工作人员登录')
    await page.getByRole('button', { name: new RegExp(staff.name) }).waitFor()
    await shot(page, 'login')
    await page.getByRole('button', { name: new RegExp(staff.name) }).click()
    await expect.poll(() => page.textContent('#who-name')).toBe(staff.name)

    // The board: the community's cases, and the returned case among those waiting to be taken.
    const item = page.locator(`#intake-list [data-number="${number}"]`)
    await item.waitFor()
    expect(await item.textContent()).toContain('在社区待派单')
    await expect.poll(() => page.locator('#case-table tbody tr').count()).toBeGreaterThan(0)
    await shot(page, 'board')

    // Keyboard only: choose the grid and press 认领.
    await item.locator('select').focus()
    await item.locator('select').selectOption(grid.code)
    await item.getByRole('button', { name: '认领' }).focus()
    await page.keyboard.press('Enter')
    await expect
      .poll(() => page.textContent('[role=status]'))
      .toContain(`工单 ${number} 已认领到网格 ${grid.code}`)
    await expect.poll(() => item.count()).toBe(0)

    // Filtering by the grid finds it with its new owner; the case page shows the timeline in Chinese.
    await page.selectOption('#filter-grid', grid.id)
    const row = page.locator('#case-table tbody tr', { hasText: number })
    await row.waitFor()
    await expect.poll(() => row.textContent()).toContain(`处理人：${grid.primaryWorker.name}`)
    // The category filter offers the categories by their Chinese names and filters by them.
    await page.selectOption('#filter-category', { label: '噪音扰民' })
    await expect.poll(() => page.locator('main').textContent()).toContain('没有符合条件的工单。')
    await page.selectOption('#filter-category', { label: '设施报修' })
    await row.waitFor()
    await row.getByRole('link', { name: number }).click()
    await expect.poll(() => page.textContent('h1')).toContain(`工单 ${number}`)
    const timeline = page.locator('#timeline')
    await timeline.getByText('重新定位派单').waitFor()
    expect(await timeline.textContent()).toContain('退单')
    await expect.poll(() => page.textContent('#owner')).toContain(grid.primaryWorker.name)
    expect(await page.textContent('.facts')).toContain('设施报修')
    expect(page.url()).toBe(`${service.url}/console/cases/${number}`)
    await shot(page, 'case')

    // A reload of the case's own address works (the server answers it with the app), also after
    // the 15-minute access token has stopped working: the console renews it with the refresh token.
    const key = 'linli.console.token'
    // Runs in the browser (this file has no DOM types): the console's stored session.
    type Store = { getItem(k: string): string | null; setItem(k: string, v: string): void }
    const stored = () =>
      page.evaluate(
        (k) => (globalThis as unknown as { sessionStorage: Store }).sessionStorage.getItem(k),
        key,
      )
    const session = JSON.parse((await stored()) ?? '{}')
    await page.evaluate(
      ([k, v]) => (globalThis as unknown as { sessionStorage: Store }).sessionStorage.setItem(k, v),
      [key, JSON.stringify({ ...session, token: 'no-longer-valid' })] as const,
    )
    await page.reload()
    await timeline.getByText('重新定位派单').waitFor()
    expect(await stored()).not.toContain('no-longer-valid')

    // The same board on a phone.
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${service.url}/console/`)
    await page.locator('#case-table tbody tr').first().waitFor()
    await shot(page, 'board-list-phone')
    await page.close()
  }, 90_000)

  it('shows the API’s Chinese refusal to a grid worker who opens the community board', async () => {
    const { service, seed } = world
    const worker = seed.grids[0]?.primaryWorker
    if (!worker) throw new Error('no worker')
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    await page.goto(`${service.url}/console/`)
    await page
      .getByRole('button', { name: new RegExp(worker.name) })
      .first()
      .click()
    await expect.poll(() => page.textContent('#who-name')).toBe(worker.name)
    // The board is not in a worker's navigation; opened by its address, the API refuses it.
    await page.goto(`${service.url}/console/board`)
    await expect.poll(() => page.locator('[role=alert]').first().textContent()).toMatch(/权限|只能/)
    await page.close()
  }, 60_000)

  it('gives the intake desk its own page: a case with no known place, taken by typing the grid code', async () => {
    const { service, seed } = world
    const desk = seed.intakeDesk
    const grid = seed.grids[1]
    if (!grid) throw new Error('no grid')
    // A report from nowhere the registry knows (no group, no household): it waits at the desk.
    const opened = await service.services.cases.open({
      channel: 'cli',
      sourceKey: 'console-e2e-desk',
      text: '路口的红绿灯坏了，一直是红灯',
      category: 'facility_repair',
    })
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    await page.goto(`${service.url}/console/`)
    await page.getByRole('button', { name: new RegExp(desk.name) }).click()
    await expect.poll(() => page.textContent('#who-name')).toBe(desk.name)
    // The desk's navigation is its one page, and the start address opens it.
    expect(await page.locator('nav.nav a').allTextContents()).toEqual(['受理窗口'])
    await expect.poll(() => page.textContent('h1')).toBe('受理窗口')
    const item = page.locator(`#intake-list [data-number="${opened.case.number}"]`)
    await item.waitFor()
    expect(await item.textContent()).toContain('红绿灯')
    await shot(page, 'intake-desk')
    // Without the community's grid list the desk types the code; a code the registry does not know is refused.
    await item.getByLabel('认领到网格').fill('ZZ-99')
    await item.getByRole('button', { name: '认领' }).click()
    await expect.poll(() => page.locator('[role=alert]').textContent()).toBeTruthy()
    await item.getByLabel('认领到网格').fill(grid.code.toLowerCase())
    await item.getByRole('button', { name: '认领' }).click()
    await expect
      .poll(() => page.textContent('[role=status]'))
      .toContain(`工单 ${opened.case.number} 已认领到网格 ${grid.code}`)
    await expect.poll(() => item.count()).toBe(0)
    await page.close()
  }, 60_000)
})
