import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { RoomBindingModel } from '../../src/models/room-binding.model.js'
import { shot, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

describe('the console’s notices page in Chromium: compose, preview, send, watch 收到 arrive, follow up', () => {
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-notices-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  it('community staff send a notice to the lone elderly and see a resident’s 收到 without reloading', async () => {
    const { service, seed } = world
    const staff = seed.communityStaff[0]
    if (!staff) throw new Error('no community staff in the seed')

    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    page.on('pageerror', (err) => {
      throw err
    })
    await page.goto(`${service.url}/console/`)
    await page.getByRole('button', { name: new RegExp(staff.name) }).click()
    await expect.poll(() => page.textContent('#who-name')).toBe(staff.name)

    // Compose: the community's grids are offered; this notice goes to every 独居老人 in person.
    await page.getByRole('link', { name: '通知' }).click()
    await expect.poll(() => page.textContent('h1')).toBe('发通知')
    const firstGrid = seed.grids[0]
    if (!firstGrid) throw new Error('no grid')
    await page.getByText(`${firstGrid.code} ${firstGrid.name}`).waitFor()
    await page.fill('#notice-title', '明日停水通知')
    await page.fill('#notice-body', '明天上午9点到12点全小区停水，请提前储水。收到请回复1。')
    await page.fill('#notice-tags', '独居老人')
    await page.check('#channel-persons')
    expect(await page.isChecked('#notice-ack')).toBe(true)
    await shot(page, 'notices-compose')
    await page.getByRole('button', { name: '保存草稿并预览' }).click()

    // The draft's page: the reach preview, with the vulnerable residents no message reaches.
    await expect.poll(() => page.textContent('h1')).toBe('通知：明日停水通知')
    const id = /\/console\/notices\/([0-9a-f]{24})$/.exec(page.url())?.[1]
    if (!id) throw new Error(`no notice id in ${page.url()}`)
    const reach = await service.services.notices.reach(id)
    expect(reach.persons).toBeGreaterThan(1)
    await expect.poll(() => page.textContent('#reach')).toContain(`${reach.persons} 位居民`)
    expect(await page.textContent('#notice-status')).toContain('草稿')
    const unreached = reach.vulnerable.withoutWeChat[0]
    if (unreached) {
      const row = page.locator('#unreached tbody tr', { hasText: unreached.name }).first()
      expect(await row.textContent()).toContain(unreached.address ?? '—')
      expect(await row.textContent()).toContain(unreached.follower?.name ?? '无人可跟进')
    }
    await shot(page, 'notices-preview')

    // 确认发送: the delivery and the pending list appear; nobody has answered yet.
    await page.getByRole('button', { name: '确认发送' }).click()
    await expect.poll(() => page.textContent('#notice-status')).toContain('已发送')
    await expect.poll(() => page.textContent('#pending-count')).toBe(String(reach.persons))
    expect(await page.textContent('#ack-count')).toBe('0')
    expect(await page.textContent('#delivery')).toContain('逐人消息')

    // A marker that a reload would wipe: the 收到 must arrive by the page's own refresh.
    await page.evaluate(() => {
      ;(globalThis as unknown as { noReload: boolean }).noReload = true
    })
    const before = await service.services.notices.acks(id)
    const resident = before.pending[0]
    if (!resident) throw new Error('nobody pending')
    expect(await service.services.notices.acknowledge(id, resident.personId, 'chat')).toEqual({
      recorded: true,
    })
    await expect.poll(() => page.textContent('#ack-count'), { timeout: 10_000 }).toBe('1')
    expect(await page.textContent('#acknowledged')).toContain(resident.name)
    expect(await page.textContent('#pending-count')).toBe(String(reach.persons - 1))
    expect(await page.locator(`#pending [data-person="${resident.personId}"]`).count()).toBe(0)
    expect(await page.evaluate(() => (globalThis as unknown as { noReload?: boolean }).noReload)).toBe(true)

    // Follow up a pending resident whose household has a party member: the page confirms it.
    const withMember = before.pending.find(
      (p) => p.personId !== resident.personId && p.follower?.role === 'party_member',
    )
    const target = withMember ?? before.pending.find((p) => p.personId !== resident.personId && p.follower)
    if (!target?.follower) throw new Error('no pending resident with a follower')
    const row = page.locator(`#pending [data-person="${target.personId}"]`)
    expect(await row.textContent()).toContain(target.address ?? '—')
    expect(await row.textContent()).toContain(target.follower.name)
    const label = target.follower.role === 'party_member' ? '请党员上门告知' : '请网格员上门告知'
    await row.getByRole('button', { name: label }).click()
    const role = target.follower.role === 'party_member' ? '党员' : '网格员'
    await expect
      .poll(() => page.textContent('[role=status]'))
      .toContain(`已请${role} ${target.follower.name}上门告知`)
    await expect.poll(() => row.textContent()).toContain('上门告知')
    expect(await row.getByRole('button').count()).toBe(0)
    await shot(page, 'notices-acks')

    // The same page on a phone.
    await page.setViewportSize({ width: 390, height: 844 })
    await shot(page, 'notices-phone')
    await page.close()
  }, 90_000)

  it('an admin sends one notice to every group of the communities they serve: preview, confirm, each community’s notice', async () => {
    const { service, seed } = world
    const groups = await RoomBindingModel.countDocuments({})
    const earlier = await OutboxModel.countDocuments({ kind: 'notice' })
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    page.on('pageerror', (err) => {
      throw err
    })
    await page.goto(`${service.url}/console/`)
    await page.getByRole('button', { name: new RegExp(seed.admin.name) }).click()
    await expect.poll(() => page.textContent('#who-name')).toBe(seed.admin.name)
    await page.getByRole('link', { name: '通知' }).click()
    await expect.poll(() => page.textContent('#batch-form h2')).toContain('发给我负责的全部社区')
    await page.fill('#batch-title', '全市停水通知')
    await page.fill('#batch-body', '明天上午9点至12点全市管网检修停水，请提前储水。')
    await page.uncheck('#batch-ack')
    await page.click('#batch-preview')
    // The preview counts every bound group; nothing is sent yet.
    await expect.poll(() => page.textContent('#batch-reach')).toContain(`${groups} 个群`)
    expect(await OutboxModel.countDocuments({ kind: 'notice' })).toBe(earlier)
    await shot(page, 'notices-batch-preview')
    await page.click('#batch-send')
    await expect.poll(() => page.textContent('[role=status]')).toContain(`个社区的 ${groups} 个群`)
    // Each community's notice opens as its own page, sent, with its delivery report.
    const link = page.locator('#batch-sent a').first()
    const community = await link.textContent()
    expect(community).toBeTruthy()
    await link.click()
    await expect.poll(() => page.textContent('#notice-status')).toContain('已发送')
    expect(await page.textContent('#notice-facts + dl, .facts')).toContain('街道、城市通知')
    await expect.poll(() => page.textContent('#delivery')).toContain('计划送达：群')
    // Queued messages are not counted as sent: the line says how many of the groups' messages went out.
    expect(await page.textContent('#delivery')).toMatch(/群消息已送出 \d+ 个、共 \d+ 个/)
    expect(await OutboxModel.countDocuments({ kind: 'notice' })).toBe(earlier + groups)
    await shot(page, 'notices-batch-sent')
    await page.close()
  }, 90_000)
})
