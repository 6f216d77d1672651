import { afterEach, describe, expect, it } from 'vitest'
import { WeComGroupDraftModel } from '../../src/models/wecom-group-draft.model.js'
import { useTestDatabase } from '../db.js'
import type { WeComStandin } from '../standins/wecom-standin.js'
import { type ApiApp, makeApiApp, makeApiWorld } from './api-world.js'
import { startWeComApi } from './wecom-world.js'

/** 企业群发 drafts of a notice for a staff member's customer groups, over HTTP. */
describe('POST /api/v1/notices/:id/wecom-group-drafts (企业群发)', () => {
  useTestDatabase()
  let standin: WeComStandin | undefined
  afterEach(() => standin?.close())

  async function noticeWorld(api: ApiApp) {
    const w = await makeApiWorld(api)
    const admin = { personId: String(w.admin._id), roles: ['admin' as const], communityIds: [], gridIds: [] }
    const notice = await api.services.notices.create(
      {
        communityId: String(w.community._id),
        gridIds: [String(w.grid._id)],
        title: '停水通知',
        body: '明天上午9点至12点3号楼停水，请提前储水。',
      },
      admin,
    )
    const draft = async (who: Parameters<typeof w.headers>[0], body: Record<string, unknown> = {}) =>
      api.http
        .post(`/api/v1/notices/${notice.id}/wecom-group-drafts`)
        .set(await w.headers(who))
        .send(body)
    return { w, notice, draft }
  }

  async function setup() {
    const groups = { zhangsan: ['wrGroupA', 'wrGroupB'] }
    const world = await startWeComApi({ kf: { openKfIds: [], senders: ['zhangsan', 'ghost'], groups } })
    standin = world.standin
    const x = await noticeWorld(world.api)
    await world.api.services.registry.updateResident(String(x.w.staff._id), { wecomUserId: 'zhangsan' })
    return { api: world.api, standin: world.standin, ...x }
  }

  it('creates the draft once for the staff member, records its msgid, and shows it in the notice', async () => {
    const { api, standin, w, notice, draft } = await setup()
    // Two clicks at once: one draft in WeCom (the other call waits on the claim: 409 or the same).
    const race = await Promise.all([draft('staff'), draft('staff')])
    expect(race.map((r) => r.status).sort()).toEqual(expect.arrayContaining([200]))
    expect(race.every((r) => r.status === 200 || r.status === 409)).toBe(true)
    const first = race.find((r) => r.status === 200) as (typeof race)[number]
    expect(first.body).toMatchObject({
      sender: 'zhangsan',
      state: 'created',
      sendStatus: 'unsent',
      sentGroups: 0,
    })
    expect(standin.kf.drafts).toHaveLength(1)
    expect(standin.kf.drafts[0]?.content).toBe('【停水通知】\n明天上午9点至12点3号楼停水，请提前储水。')
    expect(standin.kf.drafts[0]?.msgid).toBe(first.body.msgid)
    // Asked again (and twice at once): the recorded draft, no second one in WeCom.
    const again = await Promise.all([draft('staff'), draft('staff', { sender: 'zhangsan' })])
    expect(again.map((r) => [r.status, r.body.msgid])).toEqual([
      [200, first.body.msgid],
      [200, first.body.msgid],
    ])
    expect(standin.kf.drafts).toHaveLength(1)
    const detail = await api.http.get(`/api/v1/notices/${notice.id}`).set(await w.headers('staff'))
    expect(detail.status).toBe(200)
    expect(detail.body.wecomGroupDrafts).toEqual([
      expect.objectContaining({ sender: 'zhangsan', msgid: first.body.msgid, sendStatus: 'unsent' }),
    ])
  })

  it('refresh records when the staff member sent it, and to how many groups', async () => {
    const { api, standin, w, notice, draft } = await setup()
    const { body } = await draft('staff')
    const refresh = async () =>
      api.http.post(`/api/v1/notices/${notice.id}/wecom-group-drafts/refresh`).set(await w.headers('staff'))
    expect((await refresh()).body).toEqual([expect.objectContaining({ sendStatus: 'unsent', sentGroups: 0 })])
    standin.kf.confirmDraft(body.msgid)
    const after = await refresh()
    expect(after.status).toBe(200)
    expect(after.body).toEqual([expect.objectContaining({ sendStatus: 'sent', sentGroups: 2 })])
    const detail = await api.http.get(`/api/v1/notices/${notice.id}`).set(await w.headers('staff'))
    expect(detail.body.wecomGroupDrafts[0]).toMatchObject({ sendStatus: 'sent', sentGroups: 2 })
  })

  it('refuses other senders, other roles and what WeCom refuses with Chinese 4xx, leaving no draft behind', async () => {
    const { api, standin, draft, w } = await setup()
    const stranger = await draft('staff', { sender: 'lisi' })
    expect(stranger.status).toBe(403)
    expect(stranger.body.error.message).toBe('发送人必须是本社区关联了企业微信的工作人员')
    expect((await draft('worker')).status).toBe(403)
    expect((await draft('otherStaff')).status).toBe(403)
    expect((await draft('staff', { sender: 'bad sender!' })).status).toBe(400)
    // A staff member whose account WeCom does not know: WeCom refuses (60111); nothing stays recorded.
    await api.services.registry.updateResident(String(w.admin._id), { wecomUserId: 'nobody' })
    const refused = await draft('admin')
    expect(refused.status).toBe(422)
    expect(refused.body.error.message).toContain('企业微信拒绝了这条群发')
    expect(await WeComGroupDraftModel.countDocuments({ sender: 'nobody' })).toBe(0)
    expect(standin.kf.drafts).toHaveLength(0)
  })

  it('when the answer from WeCom is lost, the claim stays (no second draft) until it is stale', async () => {
    const { api, standin, draft } = await setup()
    standin.kf.loseNextAnswer('/cgi-bin/externalcontact/add_msg_template')
    const lost = await draft('staff')
    expect(lost.status).toBe(503)
    expect(lost.body.error.message).toBe('企业微信暂时无法连接，请两分钟后再试')
    expect(standin.kf.drafts).toHaveLength(1) // WeCom did create it
    expect((await draft('staff')).status).toBe(409)
    expect(standin.kf.drafts).toHaveLength(1)
    api.clock.advance(3 * 60_000)
    const retried = await draft('staff')
    expect(retried.status).toBe(200)
    expect(retried.body.state).toBe('created')
  })

  it('answers 409 in Chinese when WeCom is not set up', async () => {
    const api = makeApiApp()
    const { draft } = await noticeWorld(api)
    const res = await draft('staff')
    expect(res.status).toBe(409)
    expect(res.body.error).toMatchObject({
      code: 'CONFLICT',
      message: '企业微信尚未配置，不能创建客户群群发',
    })
  })
})
