import type { WechatyInterface } from 'wechaty/impls'
import type { ChatTransport } from '../services/outbox/chat-transport.js'

/** Sends through a running Wechaty: `Room.find({id})` / `Contact.find({id})` → `say`. */
export function createWechatyTransport(wechaty: WechatyInterface): ChatTransport {
  return {
    async sendToRoom(roomId, text) {
      const room = await wechaty.Room.find({ id: roomId })
      if (!room) throw new Error(`room ${roomId} not found`)
      await room.say(text)
    },
    async sendToContact(contactId, text) {
      const contact = await wechaty.Contact.find({ id: contactId })
      if (!contact) throw new Error(`contact ${contactId} not found`)
      await contact.say(text)
    },
    self() {
      if (!wechaty.isLoggedIn) return undefined
      const me = wechaty.currentUser
      return { contactId: me.id, name: me.name() }
    },
  }
}
