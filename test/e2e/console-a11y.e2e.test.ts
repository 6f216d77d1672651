import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResidentModel } from '../../src/models/registry.model.js'
import { shot, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

/*
 * The checks below run inside the page. They are strings (page.evaluate of an expression) so the
 * project's Node type-check never has to include the browser's DOM types.
 */

/**
 * What a screen reader and a keyboard need: controls without a label, buttons and links without
 * text, images without alt text, and the page's language. Evaluates to readable problems.
 */
const PROBLEMS = `(() => {
  const out = []
  if (document.documentElement.lang !== 'zh-CN') out.push('lang="' + document.documentElement.lang + '"')
  const visible = (el) => el.getClientRects().length > 0
  const named = (el) => {
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
    const byId = ids.map((id) => document.getElementById(id)?.textContent || '')
    const labels = [...(el.labels || [])].map((l) => l.textContent || '')
    return [el.getAttribute('aria-label') || '', el.getAttribute('title') || '', ...byId, ...labels].join('').trim()
  }
  const what = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea'))
    if (visible(el) && !named(el)) out.push(what(el) + ' has no label')
  for (const el of document.querySelectorAll('button, [role=button], a[href]'))
    if (visible(el) && !(el.textContent.trim() || named(el))) out.push(what(el) + ' has no text')
  for (const el of document.querySelectorAll('img'))
    if (visible(el) && el.getAttribute('alt') === null) out.push(what(el) + ' has no alt text')
  return out
})()`

/** The accessible name of the focused element (a field's is its label). */
const FOCUSED = `(() => {
  const el = document.activeElement
  const label = el && el.labels && el.labels[0] ? el.labels[0].textContent : ''
  return ((el && (el.getAttribute('aria-label') || label || el.textContent)) || '').trim().replace(/\\s+/g, ' ')
})()`

/** The page's width against the window's, and the outermost elements sticking out (outside scroll boxes). */
const WIDTH = `(() => {
  const w = window.innerWidth
  const out = (el) => el.getBoundingClientRect().right > w + 1
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => out(el) && !el.closest('.table-wrap') && !(el.parentElement && out(el.parentElement)))
    .map((el) => el.tagName.toLowerCase() + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))
  return { scroll: document.documentElement.scrollWidth, width: w, wide }
})()`

/** The case table's own scroll box. */
const TABLE_BOX = `(() => {
  const box = document.querySelector('#case-table').closest('.table-wrap')
  return { scroll: box.scrollWidth, client: box.clientWidth, overflow: getComputedStyle(box).overflowX }
})()`

function problemsOf(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(PROBLEMS)
}

/** The accessible names of the elements Tab reaches, in order (up to `max` presses). */
async function tabOrder(page: Page, max = 60): Promise<string[]> {
  await page.locator('body').focus()
  const names: string[] = []
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    names.push(await page.evaluate<string>(FOCUSED))
  }
  return names
}

/** The page is no wider than the window: only tables scroll sideways, inside their own box. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const { scroll, width, wide } = await page.evaluate<{ scroll: number; width: number; wide: string[] }>(
    WIDTH,
  )
  expect(scroll, `the page scrolls sideways: ${wide.join(', ')}`).toBeLessThanOrEqual(width)
}

describe('console sign-in by QR code, role-aware pages, accessibility and phone layout (Chromium)', () => {
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-a11y-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  async function openLogin(width = 1366, height = 768): Promise<{ page: Page; ticket: string }> {
    const page = await browser.newPage({ viewport: { width, height } })
    page.on('pageerror', (err) => {
      throw err
    })
    const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/console-tickets'))
    await page.goto(`${world.service.url}/console/`)
    const ticket = ((await (await created).json()) as { ticket: string }).ticket
    await page.locator('#login-qr').waitFor()
    return { page, ticket }
  }

  /** The mini-program's side: the person's own session approves or refuses the scanned ticket. */
  async function decideAs(personId: string, ticket: string, decision: 'approve' | 'refuse') {
    const phone = await world.service.services.auth.issueSession(personId)
    return fetch(`${world.service.url}/api/v1/auth/console-tickets/${ticket}/${decision}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${phone.accessToken}`, 'content-type': 'application/json' },
      body: '{}',
    })
  }

  it('a grid worker approves the QR code in the mini-program: the console signs in and shows 我的工单 only', async () => {
    const worker = world.seed.grids[0]?.primaryWorker
    if (!worker) throw new Error('no worker in the seed')
    const { page, ticket } = await openLogin()
    expect(await page.textContent('#qr-status')).toContain('请用邻里小程序扫码')
    expect(await page.textContent('#qr-countdown')).toMatch(/^[23]:\d\d$/)
    expect(await page.getAttribute('#login-qr', 'alt')).toContain('登录二维码')
    // The token paste is tucked away under 其他方式.
    expect(await page.locator('#token').isVisible()).toBe(false)
    await shot(page, 'login-qr')

    // The mini-program's side: the worker's own session approves the scanned ticket.
    const approved = await decideAs(worker.id, ticket, 'approve')
    expect(approved.status).toBe(200)

    await expect.poll(() => page.textContent('#who-name'), { timeout: 10_000 }).toBe(worker.name)
    await expect.poll(() => page.textContent('h1')).toBe('我的工单')
    const nav = await page.locator('nav.nav a').allTextContents()
    expect(nav).toEqual(['我的工单', '通知', '活动', '投票议事', '居民台账'])
    expect(await problemsOf(page)).toEqual([])
    // A second read of the ticket hands out nothing.
    const again = await fetch(`${world.service.url}/api/v1/auth/console-tickets/${ticket}`)
    expect(await again.json()).toEqual({ status: 'used', expiresAt: expect.any(String) })
    await page.close()
  }, 60_000)

  it('the demo plays the mini-program: the heating company approves, lands on 部门抢单 and claims a case', async () => {
    // A heating complaint is posted to the heating, water and power companies to claim.
    const opened = await world.service.services.cases.open({
      channel: 'group',
      sourceKey: 'console-a11y-heating',
      text: `${world.seed.grids[0]?.buildings[0]}号楼暖气不热`,
      category: 'heating_utilities',
      hint: { communityId: world.seed.community.id },
    })
    expect(opened.case.status).toBe('posted')
    const dept = await ResidentModel.findOne({ name: '钱师傅', roles: 'department_staff' }).orFail().lean()
    const { page } = await openLogin()
    await page.getByLabel('扫码的工作人员').selectOption(String(dept._id))
    await page.getByRole('button', { name: '在小程序中确认登录' }).click()
    await expect.poll(() => page.textContent('#who-name'), { timeout: 10_000 }).toBe(dept.name)
    await expect.poll(() => page.textContent('h1')).toBe('部门抢单 · 待认领')
    expect(await page.locator('nav.nav a').allTextContents()).toEqual(['部门抢单'])
    const row = page.locator(`#claim-cases [data-number="${opened.case.number}"]`)
    await row.waitFor()
    await shot(page, 'claims')
    await row.getByRole('button', { name: '认领' }).click()
    await expect.poll(() => page.textContent('[role=status]')).toContain(`已认领工单 ${opened.case.number}`)
    await expect.poll(() => row.count()).toBe(0)
    expect((await world.service.services.cases.get(opened.case.number)).status).not.toBe('posted')
    expect(await page.locator('[role=alert]').count()).toBe(0)
    await page.close()
  }, 60_000)

  it("a refused code says so and can be refreshed; a resident's pasted token gets a plain sentence", async () => {
    const staff = world.seed.communityStaff[0]
    if (!staff) throw new Error('no staff in the seed')
    const { page, ticket } = await openLogin()
    expect((await decideAs(staff.id, ticket, 'refuse')).status).toBe(200)
    await expect.poll(() => page.textContent('#qr-status'), { timeout: 10_000 }).toContain('已在手机上拒绝')
    await page.getByRole('button', { name: '刷新二维码' }).click()
    await page.locator('#login-qr').waitFor()

    const resident = await ResidentModel.findOne({ roles: ['resident'], erasedAt: null })
      .orFail()
      .lean()
    const token = (await world.service.services.auth.issueSession(String(resident._id))).accessToken
    await page.getByText('其他方式').click()
    await page.getByLabel('访问令牌或 API 密钥').fill(token)
    await page.getByRole('button', { name: '登录', exact: true }).click()
    await expect.poll(() => page.textContent('#no-pages')).toContain('没有可用的页面')
    expect(await page.locator('nav.nav').count()).toBe(0)
    expect(await page.locator('[role=alert]').count()).toBe(0)
    await page.close()
  }, 60_000)

  it('community staff: every page has labels, button text and zh-CN; Tab reaches the main actions; phone width works', async () => {
    const staff = world.seed.communityStaff[0]
    if (!staff) throw new Error('no staff in the seed')
    const { page } = await openLogin()
    expect(await problemsOf(page)).toEqual([])
    // The probe itself can fail: an unlabelled field and an empty button are reported.
    await page.evaluate(`(() => {
      const i = document.createElement('input'); i.id = 'probe-input'; document.body.append(i)
      const b = document.createElement('button'); b.id = 'probe-button'; document.body.append(b)
    })()`)
    expect(await problemsOf(page)).toEqual([
      'input#probe-input has no label',
      'button#probe-button has no text',
    ])
    await page.evaluate(`document.querySelectorAll('#probe-input, #probe-button').forEach((e) => e.remove())`)
    const loginTabs = await tabOrder(page, 12)
    expect(loginTabs).toContain('刷新二维码')
    await page
      .getByRole('button', { name: new RegExp(staff.name) })
      .first()
      .click()
    await expect.poll(() => page.textContent('#who-name')).toBe(staff.name)
    expect(await page.locator('nav.nav a').allTextContents()).toEqual([
      '工单看板',
      '社区地图',
      '数据看板',
      '通知',
      '活动',
      '投票议事',
      '志愿服务',
      '居民台账',
      '政策库',
      '渠道状态',
      '积分商城',
    ])

    const opened = await world.service.services.cases.open({
      channel: 'group',
      sourceKey: 'console-a11y-1',
      text: `${world.seed.grids[0]?.buildings[0]}号楼楼道灯坏了`,
      category: 'facility_repair',
      hint: { communityId: world.seed.community.id },
    })
    const pages: Array<[string, string]> = [
      ['', '#case-table'],
      [`cases/${opened.case.number}`, 'h1'],
      ['dashboard', '#kpi-total'],
      ['map', 'h1'],
      ['notices', 'h1'],
      ['polls', '#poll-form'],
      ['volunteers', '#new-need-title'],
      ['channels', '.channel-card'],
      ['shop', '#shop-form'],
      [`registry/people/${world.seed.grids[0]?.primaryWorker.id}`, '#person-title'],
    ]
    for (const [path, ready] of pages) {
      await page.goto(`${world.service.url}/console/${path}`)
      await page.locator(ready).first().waitFor()
      expect(await problemsOf(page), `/console/${path}`).toEqual([])
    }

    // Keyboard: from the top, Tab reaches the skip link, the navigation and the board's case-number field.
    await page.goto(`${world.service.url}/console/`)
    await page.locator('#case-table').waitFor()
    const tabs = await tabOrder(page, 60)
    expect(tabs[0]).toBe('跳到正文')
    expect(tabs).toContain('数据看板')
    expect(tabs).toContain('工单号')
    expect(tabs).toContain('退出')

    // 200 % zoom is a 683 px wide window; a phone is 375 px: no sideways page scroll, tables scroll in place.
    for (const [width, height] of [
      [683, 384],
      [375, 812],
    ] as const) {
      await page.setViewportSize({ width, height })
      await page.goto(`${world.service.url}/console/`)
      await page.locator('#case-table').waitFor()
      await expectNoSidewaysScroll(page)
    }
    const wrap = await page.evaluate<{ scroll: number; client: number; overflow: string }>(TABLE_BOX)
    expect(wrap.overflow).toBe('auto')
    expect(wrap.scroll).toBeGreaterThan(wrap.client)
    await shot(page, 'phone-board')
    await page.goto(`${world.service.url}/console/dashboard`)
    await page.locator('#kpi-total').waitFor()
    await expectNoSidewaysScroll(page)
    await shot(page, 'phone-dashboard')
    await page.close()
  }, 120_000)
})
