import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Router from '@koa/router'
import type { Context, Next } from 'koa'
import { z } from 'zod'
import type { MockWorld } from '../../bot/mock-world.js'
import type { Config } from '../../lib/config.js'
import { ForbiddenError, NotFoundError } from '../../lib/errors.js'
import type { Conversations, StoredMessage } from '../../services/conversations/conversation.service.js'
import { findLiveContactByName, linkContactByName } from '../../services/rooms/contact-link.service.js'
import type { RoomBindings } from '../../services/rooms/room-binding.service.js'
import { parseBody, parseParams } from '../validate.js'

export interface SimDeps {
  world: MockWorld
  rooms: RoomBindings
  conversations: Conversations
  /**
   * Registers a new resident with phone and household (the registry service, when wired); without
   * it a new name becomes a minimal resident record linked to the contact.
   */
  registerResident?: (input: {
    name: string
    phone?: string
    household?: string
    contactId: string
  }) => Promise<void>
}

/** The simulator runs only outside production, when enabled, and with the mock puppet. */
export function isSimulatorAllowed(config: Config): boolean {
  return (
    config.env !== 'production' && config.simulator.enabled && config.wechaty.puppet === 'wechaty-puppet-mock'
  )
}

export const RoomInput = z.object({
  topic: z.string().trim().min(1).max(60),
  gridCode: z.string().trim().min(1).max(30).optional(),
})
export const ContactInput = z.object({
  name: z.string().trim().min(1).max(30),
  phone: z.string().trim().max(20).optional(),
  household: z.string().trim().max(60).optional(),
})
export const RoomMessageInput = z.object({
  from: z.string().min(1).max(100),
  text: z.string().trim().min(1).max(2000),
  mentionBot: z.boolean().optional(),
})
export const DirectMessageInput = z.object({ text: z.string().trim().min(1).max(2000) })
export const RoomParams = z.object({ roomId: z.string().min(1).max(100) })
export const ContactParams = z.object({ contactId: z.string().min(1).max(100) })

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

async function loopbackOnly(ctx: Context, next: Next): Promise<void> {
  if (!LOOPBACK.has(ctx.request.ip) && !ctx.request.ip.startsWith('127.')) {
    throw new ForbiddenError('模拟器只能在本机访问')
  }
  await next()
}

function present(m: StoredMessage) {
  return {
    messageId: m.messageId,
    direction: m.direction,
    from: { contactId: m.senderContactId, name: m.senderName },
    text: m.text,
    type: m.type,
    at: m.receivedAt.toISOString(),
  }
}

const PAGE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'simulator', 'index.html')

/**
 * The WeChat simulator (loopback only, never in production): make rooms and contacts in the mock
 * world, make them talk to the bot, and read the transcripts from the conversation log.
 */
export function simRoutes(deps: SimDeps): Router {
  const router = new Router()
  const { world } = deps
  const hasRoom = (id: string) => world.mocker.cacheRoomPayload.has(id)
  const hasContact = (id: string) => world.mocker.cacheContactPayload.has(id)
  router.use(loopbackOnly)

  router.get('/simulator', async (ctx) => {
    ctx.type = 'html'
    ctx.body = await readFile(PAGE, 'utf8')
  })

  router.post('/api/v1/sim/rooms', async (ctx) => {
    const input = parseBody(ctx, RoomInput)
    const room = world.createRoom(input.topic)
    if (input.gridCode) {
      await deps.rooms.bindAsSystem({
        roomId: room.id,
        topic: input.topic,
        target: { scope: 'grid', code: input.gridCode },
      })
    }
    ctx.status = 201
    ctx.body = { roomId: room.id }
  })

  router.post('/api/v1/sim/contacts', async (ctx) => {
    const input = parseBody(ctx, ContactInput)
    const live = await findLiveContactByName(input.name, hasContact)
    if (live) {
      ctx.status = 201
      ctx.body = { contactId: live.contactId, personId: live.personId, roles: live.roles }
      return
    }
    const contact = world.createContact(input.name)
    const linked = await linkContactByName(input.name, contact.id)
    if (linked.created && deps.registerResident)
      await deps.registerResident({ ...input, contactId: contact.id })
    ctx.status = 201
    ctx.body = { contactId: contact.id, personId: linked.personId, roles: linked.roles }
  })

  router.post('/api/v1/sim/rooms/:roomId/messages', async (ctx) => {
    const { roomId } = parseParams(ctx, RoomParams)
    const input = parseBody(ctx, RoomMessageInput)
    if (!hasRoom(roomId)) throw new NotFoundError('群聊')
    if (!hasContact(input.from)) throw new NotFoundError('发送人')
    const messageId = world.say({ from: input.from, roomId, text: input.text, mentionBot: input.mentionBot })
    ctx.status = 202
    ctx.body = { messageId }
  })

  router.post('/api/v1/sim/contacts/:contactId/messages', async (ctx) => {
    const { contactId } = parseParams(ctx, ContactParams)
    const input = parseBody(ctx, DirectMessageInput)
    if (!hasContact(contactId)) throw new NotFoundError('联系人')
    ctx.status = 202
    ctx.body = { messageId: world.say({ from: contactId, text: input.text }) }
  })

  router.get('/api/v1/sim/rooms/:roomId/messages', async (ctx) => {
    const { roomId } = parseParams(ctx, RoomParams)
    if (!hasRoom(roomId)) throw new NotFoundError('群聊')
    ctx.body = { messages: (await deps.conversations.transcript(`room:${roomId}`)).map(present) }
  })

  router.get('/api/v1/sim/contacts/:contactId/messages', async (ctx) => {
    const { contactId } = parseParams(ctx, ContactParams)
    if (!hasContact(contactId)) throw new NotFoundError('联系人')
    ctx.body = { messages: (await deps.conversations.transcript(`dm:${contactId}`)).map(present) }
  })
  return router
}
