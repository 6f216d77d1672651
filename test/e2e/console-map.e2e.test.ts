import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CaseModel } from '../../src/models/case.model.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { shot, signIn as signInAs, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

describe('the staff console’s community map in Chromium', () => {
  checkCaseOwnersAfterEach()
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-map-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  const signIn = (name: string) => signInAs(browser, world.service.url, name)

  it('draws the grids with their workers, colours the busy building, and lists and opens its cases', async () => {
    const { service, seed } = world
    const [one, two] = seed.grids
    const staff = seed.communityStaff[0]
    if (!one || !two || !staff) throw new Error('the demo seed has no grids or staff')
    const busy = one.buildings[0] ?? ''
    const quiet = one.buildings[1] ?? ''
    const other = two.buildings[0] ?? ''
    const open = async (key: string, text: string, gridId: string, building: string, urgent = false) => {
      const r = await service.services.cases.open({
        channel: 'miniprogram',
        sourceKey: key,
        text,
        category: 'facility_repair',
        ...(urgent ? { urgency: 'urgent' as const } : {}),
        location: { gridId, building },
      })
      return r.case.number
    }
    const light = await open('map-e2e-1', `${busy}号楼楼道灯坏了`, one.id, busy)
    const gas = await open('map-e2e-2', `${busy}号楼一楼有燃气味`, one.id, busy, true)
    const late = await open('map-e2e-3', `${busy}号楼门口垃圾堆了很久`, one.id, busy)
    const door = await open('map-e2e-4', `${other}号楼单元门关不上`, two.id, other)
    // The third case is past its resolution deadline: overdue on the map as in the statistics.
    await CaseModel.updateOne(
      { number: late },
      { $set: { 'deadlines.resolveBy': new Date(Date.now() - 86_400_000) } },
    )

    const page = await signIn(staff.name)
    await page.getByRole('link', { name: '社区地图' }).click()
    await expect.poll(() => page.textContent('h1')).toContain(`社区地图（${seed.community.name}）`)
    expect(page.url()).toBe(`${service.url}/console/map`)

    // Every grid block with its code and primary worker.
    const blocks = page.locator('#community-map .grid-block')
    await expect.poll(() => blocks.count()).toBe(seed.grids.length)
    const first = page.locator(`#community-map [data-grid="${one.code}"]`)
    expect(await first.textContent()).toContain(`网格员 ${one.primaryWorker.name}`)

    // The busy building (20 households in the seed: 2 units × 5 floors × 2 rooms): three open cases, darker on the heat scale, marked urgent and overdue.
    const building = (b: string) => page.locator(`#community-map .building[data-building="${b}"]`)
    await expect.poll(() => building(busy).getAttribute('data-open')).toBe('3')
    expect(await building(busy).getAttribute('aria-label')).toBe(
      `${busy}号楼（网格 ${one.code}），20 户，未办结工单 3 件，紧急 1 件，超时 1 件`,
    )
    expect(await building(busy).locator('.building-shape').getAttribute('fill')).toBe('#c0531f')
    expect(await building(busy).getAttribute('class')).toContain('overdue')
    expect(await building(busy).locator('.urgent-mark').count()).toBe(1)
    expect(await building(other).getAttribute('data-open')).toBe('1')
    expect(await building(quiet).getAttribute('data-open')).toBe('0')
    expect(await building(quiet).locator('.building-shape').getAttribute('fill')).toBe('#eef2f5')
    expect(await building(quiet).locator('.urgent-mark').count()).toBe(0)
    expect(await page.locator('#map-legend').textContent()).toContain('有超时工单')

    // Beside the map: every open case of the community.
    const list = page.locator('#map-cases li')
    await expect
      .poll(() => page.textContent('#map-cases-title').then((t) => t?.trim()))
      .toBe('本社区未办结工单（4）')
    expect((await list.allTextContents()).join()).toContain(door)
    await shot(page, 'map')

    // Keyboard: focus the busy building and press Enter — the list narrows to its three cases.
    await building(busy).focus()
    await page.keyboard.press('Enter')
    await expect
      .poll(() => page.textContent('#map-cases-title').then((t) => t?.trim()))
      .toBe(`${busy}号楼的未办结工单（3）`)
    const numbers = await page
      .locator('#map-cases li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-number')))
    expect(numbers.sort()).toEqual([light, gas, late].sort())
    expect(await page.locator(`#map-cases [data-number="${gas}"]`).textContent()).toContain('紧急')
    expect(await page.locator(`#map-cases [data-number="${late}"]`).textContent()).toContain('超时')
    await shot(page, 'map-building')

    // A case in the list opens its page.
    await page.locator(`#map-cases [data-number="${gas}"] a`).click()
    await expect.poll(() => page.textContent('h1')).toContain(`工单 ${gas}`)
    expect(page.url()).toBe(`${service.url}/console/cases/${gas}`)

    // The map on a phone: still drawn, list below it.
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${service.url}/console/map`)
    await expect.poll(() => building(busy).getAttribute('data-open')).toBe('3')
    const box = await page.locator('#community-map').boundingBox()
    expect(box?.width).toBeLessThanOrEqual(390)
    await shot(page, 'map-phone')
    await page.close()
  }, 90_000)

  it('shows a grid worker the API’s Chinese refusal instead of a map', async () => {
    const worker = world.seed.grids[0]?.primaryWorker
    if (!worker) throw new Error('no worker')
    const page = await signIn(worker.name)
    await page.goto(`${world.service.url}/console/map`)
    await expect.poll(() => page.locator('[role=alert]').first().textContent()).toContain('没有权限')
    expect(await page.locator('#community-map').count()).toBe(0)
    await page.close()
  }, 60_000)
})
