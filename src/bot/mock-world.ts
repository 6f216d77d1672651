import { randomBytes } from 'node:crypto'
import { types } from 'wechaty'
import { mock, PuppetMock } from 'wechaty-puppet-mock'
import { PROBE_PREFIX, RECEIPT_PREFIX } from '../services/channels/self-test.js'

/** A message the bot sent inside the mock world, as a member of the room (or the contact) sees it. */
export interface DeliveredMessage {
  messageId: string
  /** Room id, or the contact id of a direct chat. */
  to: string
  text: string
  at: Date
}

/** The mock WeChat world the simulator and the tests drive: contacts, rooms, and what they say. */
export interface MockWorld {
  mocker: mock.Mocker
  puppet: PuppetMock
  /** The bot's own contact. */
  botUser: mock.ContactMock
  /** Everything the bot has said so far, in order (self-test probes apart). */
  delivered: DeliveredMessage[]
  /**
   * The watch contact the bot's self-test probes go to; it answers each probe with its receipt, like
   * another account of the pool does, while `echo` is on. Turn it off to play a silently banned
   * account (WeChat takes the messages, nobody gets them).
   */
  watch: { contact: mock.ContactMock; echo: boolean; probes: number }
  createContact(name: string): mock.ContactMock
  /** A group with the bot in it (room ids end in `@chatroom`, as WeChat's do). */
  createRoom(topic: string, members?: mock.ContactMock[]): mock.RoomMock
  /** A contact speaks in a room (optionally @-mentioning the bot) or to the bot directly. */
  say(input: {
    from: string
    roomId?: string
    text: string
    mentionBot?: boolean
    messageId?: string
    /** WeChat's time of the message; default now (a puppet re-delivering keeps the original one). */
    at?: Date
    /** A location message instead of text: the point as WeChat sends it (GCJ-02). */
    location?: { longitude: number; latitude: number; name: string; address: string }
  }): string
  /** Delivers an already-sent message again under the same id (a puppet re-delivery). */
  redeliver(messageId: string): void
}

/** Builds a mock world whose bot account is named `botName`. */
export function createMockWorld(botName: string): MockWorld {
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  // The mock puppet answers every location with one fixed point; the world's own points come first.
  const locations = new Map<
    string,
    { accuracy: number; longitude: number; latitude: number; name: string; address: string }
  >()
  const fixedLocation = puppet.messageLocation.bind(puppet)
  puppet.messageLocation = async (messageId: string) => locations.get(messageId) ?? fixedLocation(messageId)
  const botUser = mocker.createContact({ name: botName })
  const delivered: DeliveredMessage[] = []
  const watch = { contact: mocker.createContact({ name: '自检助手' }), echo: true, probes: 0 }
  puppet.on('message', ({ messageId }) => {
    const p = mocker.messagePayload(messageId) as {
      talkerId?: string
      roomId?: string
      listenerId?: string
      text?: string
    }
    if (p?.talkerId !== botUser.id) return
    if (p.listenerId === watch.contact.id && p.text?.startsWith(PROBE_PREFIX)) {
      watch.probes++
      const receipt = `${RECEIPT_PREFIX}${p.text.slice(PROBE_PREFIX.length)}`
      if (watch.echo) setImmediate(() => world.say({ from: watch.contact.id, text: receipt }))
      return
    }
    delivered.push({ messageId, to: p.roomId ?? p.listenerId ?? '', text: p.text ?? '', at: new Date() })
  })
  const world: MockWorld = {
    mocker,
    puppet,
    botUser,
    delivered,
    watch,
    createContact: (name) => mocker.createContact({ name }),
    createRoom(topic, members = []) {
      return mocker.createRoom({
        topic,
        memberIdList: [botUser.id, ...members.map((m) => m.id)],
        adminIdList: [],
      })
    },
    say(input) {
      const from = mocker.ContactMock.load(input.from)
      const id = input.messageId ?? `sim-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
      const timestamp = input.at?.getTime() ?? Date.now()
      const type = input.location ? types.Message.Location : types.Message.Text
      const base = { id, talkerId: from.id, timestamp, type }
      if (input.location) locations.set(id, { accuracy: 15, ...input.location })
      if (input.roomId) {
        const room = mocker.RoomMock.load(input.roomId)
        if (!room.payload.memberIdList.includes(from.id)) room.payload.memberIdList.push(from.id)
        const text = input.mentionBot ? `@${botUser.payload.name}\u2005${input.text}` : input.text
        mocker.MessageMock.create({
          ...base,
          text,
          roomId: room.id,
          mentionIdList: input.mentionBot ? [botUser.id] : [],
        })
      } else {
        mocker.MessageMock.create({ ...base, text: input.text, listenerId: botUser.id })
      }
      puppet.emit('message', { messageId: id })
      return id
    },
    redeliver(messageId) {
      puppet.emit('message', { messageId })
    },
  }
  return world
}
