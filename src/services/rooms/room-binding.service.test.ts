import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { seedGridWithWorker } from '../../handlers/handler-fixtures.test-helper.js'
import { systemClock } from '../../lib/clock.js'
import { OnceMarkerModel } from '../../models/chat-message.model.js'
import { GridModel } from '../../models/registry.model.js'
import { RoomBindingModel } from '../../models/room-binding.model.js'
import { createRoomBindings } from './room-binding.service.js'

void OnceMarkerModel

describe('room bindings', () => {
  useTestDatabase()
  const rooms = createRoomBindings({ clock: systemClock })

  it('lets a grid worker bind only the grids they serve', async () => {
    const { community } = await seedGridWithWorker()
    await GridModel.create({ code: 'KH-08', name: '第八网格', communityId: community._id, token: 'g8' })
    const ok = await rooms.bind({
      roomId: 'r1@chatroom',
      topic: '7号楼',
      target: { scope: 'grid', code: 'KH-07' },
      byContactId: 'c-wang',
    })
    expect(ok).toMatchObject({ scope: 'grid', gridCode: 'KH-07', communityCode: 'KH' })
    await expect(
      rooms.bind({
        roomId: 'r2@chatroom',
        topic: '8号楼',
        target: { scope: 'grid', code: 'KH-08' },
        byContactId: 'c-wang',
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(
      rooms.bind({
        roomId: 'r2@chatroom',
        topic: '8号楼',
        target: { scope: 'grid', code: 'KH-07' },
        byContactId: 'c-zhang',
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' })
  })

  it('re-binds by topic only when exactly one binding has that topic', async () => {
    await seedGridWithWorker()
    await rooms.bindAsSystem({
      roomId: 'a@chatroom',
      topic: '同名群',
      target: { scope: 'grid', code: 'KH-07' },
    })
    await rooms.bindAsSystem({
      roomId: 'b@chatroom',
      topic: '同名群',
      target: { scope: 'community', code: 'KH' },
    })
    expect(await rooms.resolve({ id: 'c@chatroom', topic: '同名群' })).toBeUndefined()
    await rooms.bindAsSystem({
      roomId: 'd@chatroom',
      topic: '唯一群',
      target: { scope: 'grid', code: 'KH-07' },
    })
    expect((await rooms.resolve({ id: 'e@chatroom', topic: '唯一群' }))?.roomId).toBe('e@chatroom')
    expect(await RoomBindingModel.countDocuments({ roomId: 'd@chatroom' })).toBe(0)
  })

  it('follows a renamed group so a later re-bind by topic still finds it', async () => {
    await seedGridWithWorker()
    await rooms.bindAsSystem({
      roomId: 'a@chatroom',
      topic: '旧群名',
      target: { scope: 'grid', code: 'KH-07' },
    })
    await rooms.renameTopic('a@chatroom', '新群名')
    expect((await rooms.resolve({ id: 'z@chatroom', topic: '新群名' }))?.gridCode).toBe('KH-07')
  })

  it('hands out the unbound notice once per room, even to concurrent callers', async () => {
    const claims = await Promise.all([1, 2, 3].map(() => rooms.claimUnboundNotice('x@chatroom')))
    expect(claims.filter(Boolean)).toHaveLength(1)
    expect(await rooms.claimUnboundNotice('y@chatroom')).toBe(true)
  })
})
