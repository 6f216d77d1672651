import { randomBytes } from 'node:crypto'
import { beforeEach } from 'vitest'
import { loadConfig } from '../lib/config.js'
import { silentLogger } from '../lib/logger.js'
import { buildServices } from '../main.js'
import { CommunityModel, GridModel, ResidentModel, type Role } from '../models/registry.model.js'
import { createChatHandler } from './chat-handler.js'
import type { ChatInput } from './chat-input.js'

const token = () => randomBytes(9).toString('base64url')

/** A community KH with grid KH-07, its grid worker (WeChat contact `c-wang`) and a resident `c-zhang`. */
export async function seedGridWithWorker() {
  const community = await CommunityModel.create({ code: 'KH', name: '康和社区' })
  const grid = await GridModel.create({
    code: 'KH-07',
    name: '第七网格',
    communityId: community._id,
    token: token(),
  })
  const worker = await createPerson('王芳', 'c-wang', ['grid_worker'], { staff: { gridIds: [grid._id] } })
  const resident = await createPerson('张阿姨', 'c-zhang', ['resident'], { gridId: grid._id })
  return { community, grid, worker, resident }
}

export async function createPerson(
  name: string,
  contactId: string | undefined,
  roles: Role[],
  extra: Record<string, unknown> = {},
) {
  return ResidentModel.create({
    name,
    roles,
    token: token(),
    wechat: contactId ? { contactId } : undefined,
    ...extra,
  })
}

let seq = 0
/** A plain inbound message; a group one when `room` is given. */
export function chat(text: string, over: Partial<ChatInput> = {}): ChatInput {
  seq += 1
  return {
    messageId: `m${seq}-${randomBytes(3).toString('hex')}`,
    sender: { contactId: 'c-zhang', name: '张阿姨' },
    text,
    mentionsBot: false,
    mentionIds: [],
    type: 'text',
    attachments: [],
    receivedAt: new Date(),
    ...over,
  }
}

/**
 * A chat handler over the real services and, before each test, `seedGridWithWorker` with `roomId`
 * bound to grid KH-07. Call inside a `describe` after `useTestDatabase`.
 */
export function useBoundChat(roomId: string) {
  const room = { id: roomId, topic: '康和小区7号楼' }
  const config = loadConfig({}, { overrides: { env: 'test', wechaty: { botName: '邻里小助手' } } })
  const services = buildServices(config, silentLogger)
  const handle = createChatHandler({ services, logger: silentLogger, botName: '邻里小助手' })
  const world = {
    room,
    services,
    handle,
    people: undefined as unknown as Awaited<ReturnType<typeof seedGridWithWorker>>,
  }
  beforeEach(async () => {
    world.people = await seedGridWithWorker()
    await services.rooms.bindAsSystem({ roomId, topic: room.topic, target: { scope: 'grid', code: 'KH-07' } })
  })
  return world
}
