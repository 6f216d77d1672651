import type { ChatTransport } from './chat-transport.js'

/** One message the in-memory transport delivered. */
export interface Delivered {
  to: { type: 'room' | 'contact'; id: string }
  text: string
  at: Date
}

export interface MemoryTransport extends ChatTransport {
  /** Everything delivered, in order. */
  readonly delivered: Delivered[]
  /** Makes a room or contact known (sends to unknown ones fail, like a dissolved group). */
  addRoom(id: string): string
  addContact(id: string): string
  /** Calls fn after each delivery (benchmarks time replies with it). */
  onDeliver(fn: (d: Delivered) => void): void
}

/**
 * A transport that keeps what it is given: for tests of the sender and for benchmarks, so neither
 * needs a puppet. `latencyMs` stands for WeChat's own time per send.
 */
export function createMemoryTransport(
  options: { self?: { contactId: string; name: string }; latencyMs?: number } = {},
): MemoryTransport {
  const me = options.self ?? { contactId: 'bot', name: '邻里小助手' }
  const rooms = new Set<string>()
  const contacts = new Set<string>()
  const delivered: Delivered[] = []
  const listeners: Array<(d: Delivered) => void> = []
  async function deliver(to: Delivered['to'], text: string, known: Set<string>) {
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs))
    if (!known.has(to.id)) throw new Error(`${to.type} ${to.id} not found`)
    const d = { to, text, at: new Date() }
    delivered.push(d)
    for (const fn of listeners) fn(d)
  }
  return {
    delivered,
    addRoom(id) {
      rooms.add(id)
      return id
    },
    addContact(id) {
      contacts.add(id)
      return id
    },
    onDeliver(fn) {
      listeners.push(fn)
    },
    sendToRoom: (id, text) => deliver({ type: 'room', id }, text, rooms),
    sendToContact: (id, text) => deliver({ type: 'contact', id }, text, contacts),
    self: () => me,
  }
}
