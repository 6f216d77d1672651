import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabaseUri } from '../db.js'
import { type ServiceWorld, startServiceWorld } from '../e2e/service-world.js'
import { ensurePromlint, promlintProblems } from '../promlint.js'

/**
 * The running service's own /metrics, after real traffic (requests answered 200, 401 and 404, a
 * chat message that opens a case and sends replies), checked with Prometheus' promlint: any
 * problem with a metric's name, type, unit or help fails the test.
 */
describe('/metrics follows the Prometheus naming rules (promlint)', () => {
  let world: ServiceWorld
  let lint: string
  beforeAll(async () => {
    ;[world, lint] = await Promise.all([startServiceWorld(testDatabaseUri('promlint')), ensurePromlint()])
  }, 600_000)
  afterAll(async () => world?.stop())

  async function scrape(): Promise<string> {
    const token = await world.service.services.auth.issueSession(world.seed.admin.id)
    const res = await fetch(`${world.service.url}/metrics`, {
      headers: { authorization: `Bearer ${token.accessToken}` },
    })
    expect(res.status).toBe(200)
    return res.text()
  }

  it('has no promlint problem, and names the outbox counter for what it counts', async () => {
    const url = world.service.url
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    expect((await fetch(`${url}/api/v1/cases/mine`)).status).toBe(401)
    expect((await fetch(`${url}/api/v1/no-such-route`)).status).toBe(404)
    const mock = world.service.bot?.mock
    const room = world.rooms[0]
    if (!mock || !room) throw new Error('the demo world has no mock bot or bound room')
    const from = mock.createContact('周阿姨').id
    mock.say({ from, text: '1号楼2单元楼道灯不亮了', roomId: room.id, mentionBot: true })
    let text = ''
    for (let i = 0; i < 100 && !text.includes('linli_outbox_send_attempts_total{outcome="sent"}'); i++) {
      await new Promise((r) => setTimeout(r, 100))
      text = await scrape()
    }
    expect(text).toMatch(/^linli_outbox_send_attempts_total\{outcome="sent"\} [1-9]/m)
    expect(text).toMatch(/^linli_http_requests_total\{.*status="404"\} [1-9]/m)
    expect(text).not.toContain('linli_outbox_sent_total')
    expect(await promlintProblems(lint, text)).toEqual([])
  })

  it('fails on a misnamed metric (the linter is really run)', async () => {
    const bad = '# HELP linli_queue_total Queued now\n# TYPE linli_queue_total gauge\nlinli_queue_total 3\n'
    expect(await promlintProblems(lint, bad)).toEqual([
      expect.stringMatching(/^linli_queue_total: non-counter metrics should not have "_total" suffix/),
    ])
  })
})
