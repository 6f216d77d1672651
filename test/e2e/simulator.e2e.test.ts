import { mkdir } from 'node:fs/promises'
import { type Browser, chromium, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabaseUri } from '../db.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { type ServiceWorld, startServiceWorld } from './service-world.js'

const CASE_RE = /工单号 (\d{6}-\d{4,})/

/** Waits until a chat pane shows a bubble whose text matches. */
async function bubble(log: Locator, text: RegExp | string, timeout = 15_000): Promise<string> {
  const found = log.locator('.bubble', { hasText: text }).last()
  await found.waitFor({ timeout }).catch(async (err: unknown) => {
    await mkdir('test-results', { recursive: true })
    await log.page().screenshot({ path: 'test-results/simulator-e2e-failed.png' })
    throw err
  })
  return (await found.textContent()) ?? ''
}

async function send(page: Page, form: string, input: string, text: string): Promise<void> {
  await page.fill(input, text)
  await page.click(`${form} button[type=submit]`)
}

describe('the /simulator page in Chromium: a resident reports, the grid worker resolves', () => {
  checkCaseOwnersAfterEach()
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    world = await startServiceWorld(testDatabaseUri('e2e'))
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  it('shows the case number in the group, the task to the worker, and the resolution to the resident', async () => {
    const room = world.rooms[0]
    expect(room?.grid).toBe('KH-01')
    if (!room) return
    const page = await browser.newPage({ viewport: { width: 1500, height: 820 } })
    const q = new URLSearchParams({
      room: room.id,
      topic: room.topic,
      resident: '张阿姨',
      worker: room.worker,
    })
    await page.goto(`${world.service.url}/simulator?${q}`)
    // Each button answers when its request is back; the two requests may finish in either order.
    await page.click('#resident-create')
    await expect.poll(() => page.textContent('#resident-title')).toBe('张阿姨')
    await page.click('#worker-create')
    await expect.poll(() => page.textContent('#worker-title')).toContain('网格员')

    // The resident reports in the group, @-mentioning the bot.
    const group = page.locator('#group-log')
    await send(page, '#group-form', '#group-text', '1号楼2单元楼道灯不亮了') // the @小助手 box is ticked
    const reply = await bubble(group, CASE_RE, 30_000)
    const number = CASE_RE.exec(reply)?.[1] ?? ''
    expect(reply).toContain(`由网格员 ${room.worker}处理`)
    expect(reply).toMatch(/预计(今天|明天) \d\d:\d\d 前办结|预计\d+月\d+日前办结/)
    expect(reply).not.toMatch(/1[3-9]\d{9}/) // never a phone number in the group

    // The grid worker gets the task notice with everything needed to act, accepts and resolves it.
    const worker = page.locator('#worker-log')
    const task = await bubble(worker, `【新工单】${number}`)
    expect(task).toContain('地点：1号楼2单元')
    expect(task).toContain('楼道灯不亮')
    expect(task).toContain(`接单 ${number}`)
    await send(page, '#worker-form', '#worker-text', `接单 ${number}`)
    await bubble(worker, `已接单 ${number}`)
    await send(page, '#worker-form', '#worker-text', `办结 ${number} 已更换灯泡`)
    await bubble(worker, `工单 ${number} 已办结`)

    // The resident hears about it in the direct chat and rates it with a digit.
    const resident = page.locator('#resident-log')
    const done = await bubble(resident, `（工单 ${number}）已处理：已更换灯泡`)
    expect(done).toContain('1-5')
    await send(page, '#resident-form', '#resident-text', '5')
    await bubble(resident, `谢谢您的评价（5 分），工单 ${number} 已记录`)

    const view = await world.service.services.cases.get(number)
    expect(view.status).toBe('closed') // a rating closes a resolved case
    expect(view.rating?.score).toBe(5)
    expect(view.assigneeId).toBe(world.seed.grids[0]?.primaryWorker.id)

    await mkdir('test-results', { recursive: true })
    await page.screenshot({ path: 'test-results/simulator-e2e.png', fullPage: true })
  }, 60_000)
})
