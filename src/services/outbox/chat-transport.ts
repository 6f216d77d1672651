/**
 * Where the outbox sender delivers: Wechaty in production (src/bot/wechaty-transport.ts), an
 * in-memory transport in tests and benchmarks. The sender knows nothing else of the chat side.
 */
export interface ChatTransport {
  sendToRoom(roomId: string, text: string): Promise<void>
  sendToContact(contactId: string, text: string): Promise<void>
  /** The logged-in account, for the conversation log; undefined while logged out. */
  self(): { contactId: string; name: string } | undefined
}
