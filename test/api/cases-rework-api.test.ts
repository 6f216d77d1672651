import { describe, expect, it } from 'vitest'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { useTestDatabase } from '../db.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

describe('re-work and 重办率 over HTTP', () => {
  useTestDatabase()

  it('a 进展 note reaches the reporter; a 2-star rating sends the case back and shows in 重办率', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const resident = await w.headers('reporter')
    const worker = await w.headers('worker')
    const opened = await api.http
      .post('/api/v1/cases')
      .set(resident)
      .set('idempotency-key', 'rework-0001')
      .send({ text: '3号楼2单元楼道灯坏了' })
    const n = opened.body.case.number
    await api.http.post(`/api/v1/cases/${n}/progress`).set(worker).send({ note: '电工下午到' })
    expect(await OutboxModel.countDocuments({ 'to.id': String(w.zhang._id), text: /电工下午到/ })).toBe(1)
    await api.http.post(`/api/v1/cases/${n}/resolve`).set(worker).send({ note: '灯泡已更换' })
    const rated = await api.http
      .post(`/api/v1/cases/${n}/rate`)
      .set(resident)
      .send({ score: 2, comment: '还是不亮' })
    expect(rated.status).toBe(200)
    expect(rated.body).toMatchObject({ status: 'in_progress', reworkCount: 1, statusLabel: '处理中' })
    expect(rated.body.timeline.at(-1)).toMatchObject({ action: 'rework', actionLabel: '发回重办' })
    const inbox = await api.http.get('/api/v1/worker/cases').set(worker)
    expect(inbox.body.items.map((c: { number: string }) => c.number)).toContain(n)
    const staff = await w.headers('staff')
    const stats = await api.http.get('/api/v1/stats?by=grid&from=2026-11-01&to=2026-12-01').set(staff)
    expect(stats.body.totals.rework).toEqual({ reworked: 1, resolved: 1, rate: 1 })
    const csv = await api.http.get('/api/v1/stats.csv?by=grid&from=2026-11-01&to=2026-12-01').set(staff)
    expect(csv.text.split('\r\n')[0]).toContain('重办率')
  })
})
