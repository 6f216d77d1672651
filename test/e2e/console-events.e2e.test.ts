import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { HouseholdModel, ResidentModel } from '../../src/models/registry.model.js'
import { shot, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

/** `2026-12-08T09:30` in Shanghai, `minutes` from now (to the minute): what a datetime-local input takes. */
function shanghaiWall(minutes: number): string {
  const at = new Date(Date.now() + minutes * 60_000 + 8 * 3600_000)
  return at.toISOString().slice(0, 16)
}

describe('the console’s events page in Chromium: publish with reminders, watch sign-ups and check-ins, cancel', () => {
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-events-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  it('staff publish an event; a resident’s sign-up and check-in appear without reloading; cancelling tells them', async () => {
    const { service, seed } = world
    const staff = seed.communityStaff[0]
    if (!staff) throw new Error('no community staff in the seed')
    const resident = await ResidentModel.findOne({
      communityId: seed.community.id,
      roles: 'resident',
      householdId: { $exists: true },
    }).orFail()
    const home = await HouseholdModel.findById(resident.householdId).orFail()
    const token = (await service.services.auth.issueSession(String(resident._id))).accessToken
    const asResident = (path: string, body?: unknown) =>
      fetch(`${service.url}/api/v1/events${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      })

    // A Chinese browser (date inputs in Chinese) in UTC: times still show in the community's zone.
    const page = await browser.newPage({
      viewport: { width: 1366, height: 768 },
      locale: 'zh-CN',
      timezoneId: 'UTC',
    })
    page.on('pageerror', (err) => {
      throw err
    })
    await page.goto(`${service.url}/console/`)
    await page.getByRole('button', { name: new RegExp(staff.name) }).click()
    await expect.poll(() => page.textContent('#who-name')).toBe(staff.name)
    await page.getByRole('link', { name: '活动', exact: true }).click()
    await expect.poll(() => page.textContent('h1')).toBe('社区活动')
    await page.getByText('还没有即将举行的活动').waitFor()

    // The form: a community-wide event 30 hours from now, reminded 1 day and 2 hours before.
    await page.fill('#event-title', '邻里议事会')
    await page.fill('#event-starts', shanghaiWall(30 * 60))
    await page.fill('#event-ends', shanghaiWall(32 * 60))
    await page.fill('#event-place', '社区会议室')
    await page.fill('#event-capacity', '30')
    await page.fill('#event-hours', '1.5')
    await page.fill('#event-description', '商量小区停车位划线和电动车充电桩安装。')
    expect(await page.isChecked('#event-form [data-minutes="1440"]')).toBe(true)
    expect(await page.isChecked('#event-form [data-minutes="120"]')).toBe(true)
    const plan = page.locator('#event-reminder-plan li')
    await expect.poll(() => plan.count()).toBe(2)
    expect(await plan.nth(0).textContent()).toMatch(
      /提前 1 天：\d+月\d+日（周.）\d\d:\d\d 发给已报名的居民（私聊），并发到活动范围内的居民群/,
    )
    expect(await plan.nth(1).textContent()).toContain('提前 2 小时')
    await page.locator('#new-event').scrollIntoViewIfNeeded()
    await shot(page, 'events-create')
    await page.getByRole('button', { name: '发布活动' }).click()

    // The event's page: its facts, the code the database holds, nobody signed up yet.
    await expect.poll(() => page.textContent('h1')).toBe('邻里议事会')
    const id = /\/console\/events\/([0-9a-f]{24})$/.exec(page.url())?.[1]
    if (!id) throw new Error(`no event id in ${page.url()}`)
    const created = await service.services.events.get(id)
    expect(created).toMatchObject({ remindOffsetsMinutes: [1440, 120], volunteerHours: 1.5, capacity: 30 })
    expect(created.signupDeadline).toBeUndefined()
    expect(await page.textContent('#checkin-code .code')).toBe(created.checkinCode)
    expect(await page.textContent('[role=status]')).toContain('已发布')
    await page.getByText('还没有人报名。').waitFor()

    // A marker that a reload would wipe: the sign-up and the check-in arrive by the page's own polling.
    await page.evaluate(() => {
      ;(globalThis as unknown as { noReload: boolean }).noReload = true
    })
    expect((await asResident(`/${id}/signup`)).status).toBe(201)
    const row = page.locator(`#signup-table [data-person="${resident._id}"]`)
    await row.waitFor({ timeout: 10_000 })
    const address = `${home.building}号楼${home.unit ? `${home.unit}单元` : ''}${home.room}`
    expect(await row.textContent()).toContain(resident.name)
    expect(await row.textContent()).toContain(address)
    expect(await row.textContent()).toContain('小程序')
    expect(await row.locator('.checkin').textContent()).toBe('未签到')
    expect(await page.textContent('#count-confirmed')).toBe('1')

    // Moved to start in half an hour (check-in opens an hour before): the resident is told.
    await page.getByRole('button', { name: '修改活动' }).click()
    await page.fill('#edit-starts', shanghaiWall(30))
    await page.fill('#edit-ends', shanghaiWall(150))
    await page.getByRole('button', { name: '保存修改' }).click()
    await expect.poll(() => page.textContent('[role=status]')).toContain('已通知 1 位报名居民')
    expect(await page.textContent('#event-reminders')).toContain('时间已过，这次提醒不再发送')

    const checkin = await asResident('/checkin', { code: created.checkinCode })
    expect(checkin.status).toBe(200)
    await expect
      .poll(() => row.locator('.checkin').textContent(), { timeout: 10_000 })
      .toMatch(/✓ 已签到 \d\d:\d\d/)
    expect(await page.textContent('#count-checked')).toBe('1')
    expect(await page.evaluate(() => (globalThis as unknown as { noReload?: boolean }).noReload)).toBe(true)
    await shot(page, 'events-detail')

    // Printed, the page is the code sheet for the door: title, time, place and the code, nothing else.
    await page.emulateMedia({ media: 'print' })
    expect(await page.isVisible('header.top')).toBe(false)
    expect(await page.isVisible('#signups')).toBe(false)
    expect(await page.isVisible('#checkin-code .code')).toBe(true)
    expect(await page.locator('#checkin-code').textContent()).toContain('社区会议室')
    await shot(page, 'events-print')
    await page.emulateMedia({ media: 'screen' })

    // Cancel with a reason: the page says so and the resident gets the reason.
    await page.getByRole('button', { name: '取消活动…' }).click()
    await page.fill('#cancel-reason', '会议室临时维修，改期另行通知')
    await page.getByRole('button', { name: '确认取消活动' }).click()
    await expect.poll(() => page.textContent('#event-state')).toBe('已取消')
    expect(await page.textContent('[role=status]')).toBe('活动已取消，已通知 1 位报名居民')
    expect(await page.locator('#checkin-code').count()).toBe(0)
    const told = await OutboxModel.find({ 'to.id': String(resident._id), kind: 'event' }).lean()
    expect(told.map((m) => m.text)).toEqual([
      expect.stringContaining('【活动变更】'),
      expect.stringContaining('已取消（会议室临时维修，改期另行通知）'),
    ])

    // The list: a second, upcoming event first in time order; the cancelled one marked.
    await service.services.events.create(
      {
        communityId: seed.community.id,
        title: '重阳节敬老包饺子',
        place: '社区食堂',
        startsAt: shanghaiWall(3 * 24 * 60),
        endsAt: shanghaiWall(3 * 24 * 60 + 120),
        capacity: 20,
      },
      { personId: staff.id, roles: ['community_staff'], communityIds: [seed.community.id], gridIds: [] },
    )
    await page.getByRole('link', { name: '← 全部活动' }).click()
    await expect.poll(() => page.locator('[role=status]').count()).toBe(0)
    const rows = page.locator('#upcoming-events tbody tr')
    await expect.poll(() => rows.count()).toBe(2)
    expect(await rows.nth(0).textContent()).toContain('邻里议事会')
    expect(await rows.nth(0).textContent()).toContain('已取消')
    expect(await rows.nth(1).textContent()).toContain('报名中')
    expect(await rows.nth(1).textContent()).toContain('0 / 20 人')
    await shot(page, 'events-list')

    // The same list on a phone.
    await page.setViewportSize({ width: 375, height: 812 })
    await shot(page, 'events-phone')
    await page.close()
  }, 90_000)
})
