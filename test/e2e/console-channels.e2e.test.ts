import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChannelError } from '../../src/services/channels/channel.js'
import { createScriptedChannel } from '../../src/services/channels/scripted-channel.js'
import { shot, signIn, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

describe('the console’s 渠道状态 page in Chromium', () => {
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-channels-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  it('staff see the running bot up, a second account down with a banner on the home page, and what is not set up', async () => {
    // A second bot account that has dropped: a scripted channel that goes dead on its first send.
    const second = createScriptedChannel('wechaty')
    second.deadAfter(0)
    await expect(
      second.send({ channel: 'wechaty', id: 'room:r1' }, { key: 'e2e', purpose: 'task', text: '测试' }),
    ).rejects.toBeInstanceOf(ChannelError)
    world.service.channelStatus.add({
      channel: 'wechaty',
      account: '社区二号',
      health: () => second.health(),
    })

    const staff = world.seed.communityStaff[0]
    if (!staff) throw new Error('no community staff in the seed')
    const page = await signIn(browser, world.service.url, staff.name)
    // The home page (工单看板) warns in a sentence built from the rows.
    const banner = page.locator('.channel-banner')
    await expect
      .poll(() => banner.textContent())
      .toContain('群机器人（社区二号）已掉线：消息正通过群机器人（主账号）发送')
    await shot(page, 'channels-banner')

    await banner.getByRole('link', { name: '查看渠道状态' }).click()
    await expect.poll(() => page.textContent('h1')).toBe('渠道状态')
    const card = (key: string) => page.locator(`[data-channel="${key}"]`)
    await expect.poll(() => card('wechaty:default').locator('.chip').textContent()).toContain('正常')
    const down = card('wechaty:社区二号')
    expect(await down.locator('.chip').textContent()).toContain('已掉线')
    expect(await down.textContent()).toContain('今日失败0 次')
    const wecom = card('wecom_app:')
    expect(await wecom.locator('.chip').textContent()).toContain('未配置')
    expect(await wecom.textContent()).toContain('未配置：需要 WECOM_CORP_ID、WECOM_AGENT_ID、WECOM_SECRET')
    // The state is a word as well as a colour, and the times are Beijing time (YYYY-MM-DD HH:MM).
    expect(await down.textContent()).toMatch(/状态开始于\d{4}-\d{2}-\d{2} \d{2}:\d{2}/)
    await shot(page, 'channels')

    // The refresh button is a real button, reachable by keyboard.
    await page.getByRole('button', { name: '立即刷新' }).focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => page.locator('.channel-card').count()).toBeGreaterThanOrEqual(5)

    // On a phone the cards stack in one column.
    await page.setViewportSize({ width: 375, height: 740 })
    const boxes = await page
      .locator('.channel-card')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().x))
    expect(new Set(boxes.map(Math.round)).size).toBe(1)
    await shot(page, 'channels-phone')
    await page.close()

    // A grid worker has no 渠道状态 page and no banner.
    const worker = world.seed.grids[0]?.primaryWorker
    if (!worker) throw new Error('no grid worker in the seed')
    const wp = await signIn(browser, world.service.url, worker.name)
    expect(await wp.getByRole('link', { name: '渠道状态' }).count()).toBe(0)
    expect(await wp.locator('.channel-banner').count()).toBe(0)
    await wp.close()
  })
})
