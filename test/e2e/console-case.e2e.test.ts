import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResidentModel } from '../../src/models/registry.model.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { PNG } from '../security/platform-rows.js'
import { shot, signIn as signInAs, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

describe('the case page in Chromium: every staff action, claims and call-backs', () => {
  checkCaseOwnersAfterEach()
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-case-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  /** A POST to the API as a person (a fresh access token), for what happens outside the browser. */
  async function postAs(personId: string, path: string, body: string | Buffer, type = 'application/json') {
    const { accessToken } = await world.service.services.auth.issueSession(personId)
    const res = await fetch(`${world.service.url}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': type },
      body,
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  /** A case of the first grid, reported by one of its residents; optionally with a photo. */
  async function openCase(key: string, text: string, category: string, photo?: string) {
    const grid = world.seed.grids[0]
    if (!grid) throw new Error('no grid')
    const reporter = await ResidentModel.findOne({ roles: 'resident', gridId: grid.id }).orFail()
    const opened = await world.service.services.cases.open({
      channel: 'miniprogram',
      sourceKey: key,
      text,
      category,
      reporter: { personId: String(reporter._id) },
      location: { gridCode: grid.code },
      attachments: photo ? [{ kind: 'image', ref: photo }] : [],
    })
    return { number: opened.case.number, view: opened.case, reporterId: String(reporter._id), grid }
  }

  const signIn = (name: string) => signInAs(browser, world.service.url, name)

  const actionButtons = (page: Page) => page.locator('#actions .case-action-buttons button').allTextContents()

  it('community staff comment and post to a department, then see the department’s claim', async () => {
    const { service, seed } = world
    const staff = seed.communityStaff[0]
    const dept = seed.departments['property-co']
    if (!staff || !dept) throw new Error('no staff or department in the seed')
    const upload = await postAs(staff.id, '/uploads', PNG, 'image/png')
    const { number } = await openCase(
      'case-e2e-1',
      '楼道灯坏了好几天，晚上很黑',
      'facility_repair',
      String(upload.body.ref),
    )

    // A neighbour reports the same problem and becomes a subscriber.
    const grid = seed.grids[0]
    const neighbour = await ResidentModel.findOne({ roles: 'resident', gridId: grid?.id, name: { $ne: '' } })
      .skip(1)
      .orFail()
    const again = await service.services.cases.open({
      channel: 'direct',
      sourceKey: 'case-e2e-1b',
      text: '楼道灯坏了，晚上黑乎乎的',
      category: 'facility_repair',
      reporter: { personId: String(neighbour._id) },
      location: { gridCode: grid?.code },
    })
    expect(again.duplicateOf).toBe(number)

    const page = await signIn(staff.name)
    await page.goto(`${service.url}/console/cases/${number}`)
    await expect.poll(() => page.textContent('h1')).toContain(`工单 ${number}`)
    // The subscriber by a masked name and channel, never a phone number.
    const subscribers = (await page.textContent('#subscribers')) ?? ''
    expect(subscribers).toContain(`${[...neighbour.name][0]}*`)
    expect(subscribers).not.toContain(neighbour.name)
    expect(subscribers).toContain('微信私聊')
    expect(subscribers).not.toMatch(/1[3-9]\d{9}/)
    // The photo as a thumbnail, read through the API with the staff member's token.
    await expect
      .poll(() =>
        page
          .locator('#attachments img')
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBe(1)
    expect(await actionButtons(page)).toEqual([
      '派给网格员',
      '转派给部门',
      '合并到…',
      '发布给部门',
      '不予受理',
      '添加备注',
    ])

    // 添加备注: the refreshed timeline shows it.
    await page.getByRole('button', { name: '添加备注' }).click()
    await page.fill('#action-reason', '已电话联系物业，明早派电工')
    await page.getByRole('button', { name: '确认添加备注' }).click()
    await expect.poll(() => page.textContent('#case-message')).toBe('备注已添加')
    await expect.poll(() => page.textContent('#timeline')).toContain('已电话联系物业，明早派电工')

    // 发布给部门: pick the property company; the case waits for its claim.
    await page.getByRole('button', { name: '发布给部门' }).click()
    await page.getByLabel(dept.name).check()
    await page.fill('#action-reason', '灯具属于物业维保范围')
    await shot(page, 'case-actions')
    await page.getByRole('button', { name: '确认发布给部门' }).click()
    await expect.poll(() => page.textContent('#case-status')).toBe('待部门抢单')
    await expect.poll(() => page.textContent('#claims')).toContain('等待抢单')
    expect(await page.textContent('#claims')).toContain(dept.name)

    // The department's staff member claims it through the API; the page shows who claimed.
    const deptPerson = await ResidentModel.findOne({ 'wechat.contactId': dept.contactId }).orFail()
    const claim = await postAs(String(deptPerson._id), `/cases/${number}/claim`, '{}')
    expect(claim.status).toBe(200)
    await page.reload()
    await expect.poll(() => page.textContent('#claims')).toContain('已抢单')
    expect(await page.textContent('#claims')).toContain(`${dept.name}`)
    expect(await page.textContent('#claims')).toMatch(/于 \d{4}-\d\d-\d\d \d\d:\d\d 抢单/)
    expect(await page.textContent('#case-status')).toBe('已派单')
    await shot(page, 'case-claims')
    await page.close()
  }, 120_000)

  it('records a call-back on a low-rated case and reopens it in one step', async () => {
    const { service, seed } = world
    const staff = seed.communityStaff[0]
    if (!staff) throw new Error('no staff')
    const cases = service.services.cases
    const { number, view, reporterId, grid } = await openCase(
      'case-e2e-2',
      '单元门口的垃圾三天没人清',
      'sanitation',
    )
    const worker = { personId: view.assigneeId, roles: ['grid_worker'], gridIds: [grid.id] }
    await cases.accept(number, worker)
    await cases.resolve(number, worker, '已清运')
    // Nobody rated within the follow-up window: closed; then the reporter rates it 2.
    await cases.closeStale(new Date(Date.now() + 72 * 3_600_000))
    const rated = await cases.rate(number, { personId: reporterId }, 2, '第二天又堆满了')
    expect(rated.status).toBe('closed')

    const page = await signIn(staff.name)
    await page.goto(`${service.url}/console/cases/${number}`)
    await expect.poll(() => page.textContent('#rating')).toContain('（2 分）')
    expect(await page.textContent('#rating')).toContain('第二天又堆满了')
    expect(await actionButtons(page)).toEqual(['重新打开', '添加备注', '记录回访'])
    await page.getByRole('button', { name: '记录回访' }).click()
    await page.getByLabel('已联系上').check()
    await page.getByLabel('不满意').check()
    await page.fill('#action-reason', '居民说垃圾点没有定时清运')
    await page.getByRole('button', { name: '记录并重新打开（重办）' }).click()
    await expect.poll(() => page.textContent('#case-message')).toBe('回访已记录，工单已重新打开')
    await expect.poll(() => page.textContent('#case-status')).toBe('处理中')
    expect(await page.textContent('#callbacks')).toContain('已联系，不满意')
    const timeline = await page.textContent('#timeline')
    expect(timeline).toContain('电话回访')
    expect(timeline).toContain('重新办理')
    await shot(page, 'case-callback')
    await page.close()
  }, 120_000)

  it('a grid worker sees no staff-only actions on their case, and accepts, reports and resolves it there', async () => {
    const { service } = world
    const { number, view, grid } = await openCase('case-e2e-3', '楼上深夜拖椅子声音很大', 'noise')
    const worker = [grid.primaryWorker, grid.partTimeWorker].find((p) => p.id === view.assigneeId)
    if (!worker) throw new Error(`case ${number} is not with a worker of ${grid.code}`)
    const page = await signIn(worker.name)
    await page.goto(`${service.url}/console/cases/${number}`)
    await expect.poll(() => page.textContent('h1')).toContain(`工单 ${number}`)
    // Their own steps as the case's handler, none of the community's (派单, 合并, 发布…).
    await expect.poll(() => actionButtons(page)).toEqual(['接单', '反馈进展', '办结', '退单', '添加备注'])
    // The same page on a phone.
    await page.setViewportSize({ width: 375, height: 812 })
    await shot(page, 'case-phone')
    await page.setViewportSize({ width: 1366, height: 768 })

    await page.getByRole('button', { name: '接单', exact: true }).click()
    await page.getByRole('button', { name: '确认接单' }).click()
    await expect.poll(() => page.textContent('#case-status')).toBe('处理中')
    expect(await actionButtons(page)).toEqual(['反馈进展', '办结', '退单', '添加备注'])
    await page.getByRole('button', { name: '反馈进展' }).click()
    await page.fill('#action-reason', '已和楼上住户沟通，约定晚上十点后不再挪动家具')
    await page.getByRole('button', { name: '确认反馈进展' }).click()
    await expect.poll(() => page.textContent('#timeline')).toContain('已和楼上住户沟通')
    await page.getByRole('button', { name: '办结' }).click()
    await page.fill('#action-reason', '回访楼下住户，噪音已停止')
    await page.getByRole('button', { name: '确认办结' }).click()
    await expect.poll(() => page.textContent('#case-status')).toBe('已办结待评价')
    const stored = await service.services.cases.get(number)
    expect(stored.status).toBe('resolved')
    expect(stored.timeline.map((t) => t.action)).toEqual(
      expect.arrayContaining(['accepted', 'progress', 'resolved']),
    )
    await page.close()
  }, 60_000)
})
