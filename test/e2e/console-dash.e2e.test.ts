import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { statsCommand } from '../../src/cli/stats.command.js'
import { addDays, dayOf } from '../../src/services/stats/stats.time.js'
import { commandContext } from '../cli-context.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { shot, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

/** What `linli stats --json` prints for the community and days, read as the report object. */
async function cliStats(community: string, from: string, to: string) {
  const { ctx, out, err } = commandContext()
  const code = await statsCommand.run(ctx, ['--community', community, '--from', from, '--to', to, '--json'])
  expect(err).toEqual([])
  expect(code).toBe(0)
  return JSON.parse(out.join('\n')) as {
    totals: { total: number; response: { rate: number | null } }
  }
}

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`)

describe('the console dashboard and 大屏 in Chromium', () => {
  checkCaseOwnersAfterEach()
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-dash-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  it('shows the same figures as `linli stats`, a hotspot that opens its latest case, and the 大屏', async () => {
    const { service, seed } = world
    const grid = seed.grids[0]
    const staff = seed.communityStaff[0]
    if (!grid || !staff) throw new Error('no grid or staff in the seed')
    // Three different repairs in the same building: a place that keeps coming back.
    const numbers: string[] = []
    const faults = ['楼道灯坏了', '单元门禁打不开', '电梯按钮失灵']
    for (const [i, fault] of faults.entries()) {
      const opened = await service.services.cases.open({
        channel: 'group',
        sourceKey: `console-dash-${i}`,
        text: `${grid.buildings[0]}号楼${fault}`,
        category: 'facility_repair',
        hint: { communityId: seed.community.id },
      })
      numbers.push(opened.case.number)
    }

    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    page.on('pageerror', (err) => {
      throw err
    })
    await page.goto(`${service.url}/console/`)
    await page.getByRole('button', { name: new RegExp(staff.name) }).click()
    await expect.poll(() => page.textContent('#who-name')).toBe(staff.name)
    await page.getByRole('link', { name: '数据看板' }).click()
    await expect.poll(() => page.textContent('h1')).toBe('数据看板')

    // 近7天 (the default): the cards equal the CLI's figures for the same community and days.
    const today = dayOf(new Date(), 'Asia/Shanghai')
    const cli = await cliStats(seed.community.code, addDays(today, -6), today)
    expect(cli.totals.total).toBeGreaterThanOrEqual(3)
    await expect.poll(() => page.textContent('#kpi-total .kpi-value')).toBe(String(cli.totals.total))
    expect(await page.textContent('#kpi-response .kpi-value')).toBe(percent(cli.totals.response.rate))
    // The table per grid ends with the total line, the same count.
    const totalRow = page.locator('#stats-table tbody tr').last()
    expect(await totalRow.locator('td').first().textContent()).toBe(String(cli.totals.total))
    await page.locator('canvas').first().waitFor()

    // 近30天 by keyboard: same figures as the CLI for 30 days.
    await page.getByRole('radio', { name: '近30天' }).focus()
    await page.keyboard.press('Space')
    const cli30 = await cliStats(seed.community.code, addDays(today, -29), today)
    await expect.poll(() => page.textContent('#kpi-total .kpi-value')).toBe(String(cli30.totals.total))
    await expect
      .poll(() => page.textContent('.dash-head .muted'))
      .toContain(`${addDays(today, -29)} 至 ${today}`)

    // The building with three reports is a hotspot; its link opens the latest of them.
    const hotspot = page.locator('#hotspots a', { hasText: `${grid.buildings[0]}` }).first()
    await hotspot.waitFor()
    await shot(page, 'dashboard')
    const latest = (await hotspot.getAttribute('href'))?.split('/').pop() ?? ''
    expect(numbers).toContain(latest)
    await hotspot.click()
    await expect.poll(() => page.textContent('h1')).toContain(`工单 ${latest}`)

    // 大屏: dark, large figures, the same total.
    await page.goto(`${service.url}/console/screen`)
    await expect.poll(() => page.textContent('h1')).toBe('社区治理大屏')
    await expect.poll(() => page.textContent('#kpi-total .kpi-value')).toBe(String(cli.totals.total))
    const look = await page.locator('.screen').evaluate((el) => {
      const g = globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
      return g.getComputedStyle(el).backgroundColor
    })
    expect(look).toBe('rgb(11, 23, 38)')
    await page.locator('.screen canvas').first().waitFor()
    await shot(page, 'screen')

    // The dashboard on a phone.
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${service.url}/console/dashboard`)
    await expect.poll(() => page.textContent('#kpi-total .kpi-value')).toBe(String(cli.totals.total))
    await shot(page, 'dashboard-phone')
    await page.close()
  }, 120_000)

  it('shows the API’s Chinese refusal to a grid worker', async () => {
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
    await page.goto(`${service.url}/console/dashboard`)
    await expect.poll(() => page.locator('.dash [role=alert]').textContent()).toMatch(/权限|只能/)
    await page.close()
  }, 60_000)
})
