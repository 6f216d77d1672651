import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import QRCode from 'qrcode'
import { type Message, types, type Wechaty, WechatyBuilder } from 'wechaty'
import type { ChatHandler } from '../handlers/chat-handler.js'
import type { Clock } from '../lib/clock.js'
import { systemClock } from '../lib/clock.js'
import type { Config } from '../lib/config.js'
import type { Logger } from '../lib/logger.js'
import { isTransientFailure } from '../lib/transient.js'
import type {
  AttachmentInput,
  Conversations,
  InboundInput,
  StoredMessage,
} from '../services/conversations/conversation.service.js'
import { chatKeyOf } from '../services/conversations/conversation.service.js'
import type { ChatTransport } from '../services/outbox/chat-transport.js'
import type { RoomBindings } from '../services/rooms/room-binding.service.js'
import { locationOf, messageTypeOf, parseQuote, toChatInput } from './message-mapper.js'
import { createWechatyTransport } from './wechaty-transport.js'

/** A puppet instance (the mock in tests and the simulator) or none: then `config.wechaty.puppet`. */
type PuppetOption = NonNullable<Parameters<typeof WechatyBuilder.build>[0]>['puppet']

/** Speech to text for voice messages, when an audio-capable model is configured. */
export type Transcribe = (filePath: string) => Promise<string>

export interface BotDeps {
  config: Config
  /** The Wechaty instance's name (its session file): one per bot account. */
  name?: string
  logger: Logger
  handler: ChatHandler
  conversations: Conversations
  rooms?: RoomBindings
  puppet?: PuppetOption
  clock?: Clock
  transcribe?: Transcribe
  /** Where images and voice files are saved; default `<dataDir>/attachments`. */
  attachmentsDir?: string
  /** Print the login QR code on the terminal (a person scans it). */
  printQr?: boolean
  /** Called after each (re)start, e.g. to log the mock account in. */
  afterStart?: () => void | Promise<void>
  /**
   * A message whose handling failed for a transient reason is handled again: at most `attempts` runs
   * in all, the first pause `baseMs`, doubling (default 5 runs, 1 s: about 15 s of retrying).
   */
  retry?: { attempts?: number; baseMs?: number }
  /**
   * Text the bot answers itself, not a resident's message (the self-test probes): true when taken,
   * then it is neither stored nor handled.
   */
  intercept?: (input: { text: string; fromContactId: string; inRoom: boolean }) => Promise<boolean>
  /** A group or contact this account heard from, before its message is handled (the pool's reach). */
  onHeard?: (target: { type: 'room' | 'contact'; id: string }) => Promise<void>
  /** Called after each login (e.g. to run a self-test at once). */
  onLogin?: () => void
}

/**
 * When the message was sent, as the puppet tells it: WeChat's time, which a re-delivery after a
 * reconnect keeps (so it tells a re-delivery from a person saying the same again). None when the
 * puppet gives no time.
 */
function sentAtOf(msg: Message): Date | undefined {
  try {
    const at = msg.date()
    return Number.isNaN(at.getTime()) ? undefined : at
  } catch {
    return undefined
  }
}

export interface BotStatus {
  loggedIn: boolean
  user?: { id: string; name: string }
  /** The login QR code's content while waiting for a scan. */
  qrcode?: string
  since: Date
}

export interface Bot {
  readonly wechaty: Wechaty
  readonly transport: ChatTransport
  start(): Promise<void>
  stop(): Promise<void>
  status(): BotStatus
  /** Processes stored-but-unprocessed messages received at least `olderThanMs` ago; returns how many. */
  recover(olderThanMs?: number): Promise<number>
  /** Resolves when every message received so far has been handled (tests, shutdown). */
  idle(): Promise<void>
  /** Messages this process finished handling since it started (for metrics and benchmarks). */
  counts(): { processed: number; failed: number }
}

/**
 * The Wechaty adapter: each message is stored first, then turned into a ChatInput and handed to the
 * handler; messages of one sender in one chat are handled in order. It shows the login QR code,
 * keeps it for admins, and restarts the puppet with back-off after a logout or an error.
 */
export function createBot(deps: BotDeps): Bot {
  const clock = deps.clock ?? systemClock
  const log = deps.logger.child({ part: 'bot' })
  const wechaty = WechatyBuilder.build({
    name: deps.name ?? 'linli',
    puppet: deps.puppet ?? (deps.config.wechaty.puppet as PuppetOption),
    puppetOptions: deps.config.wechaty.puppetToken ? { token: deps.config.wechaty.puppetToken } : undefined,
  })
  const attachmentsDir =
    deps.attachmentsDir ?? path.resolve(deps.config.database.embedded.dataDir, 'attachments')
  let status: BotStatus = { loggedIn: false, since: clock.now() }
  let stopping = false
  let backoffMs = 1000
  let restartTimer: NodeJS.Timeout | undefined
  const chains = new Map<string, Promise<void>>()
  const counts = { processed: 0, failed: 0 }
  const retry = { attempts: 5, baseMs: 1000, ...deps.retry }

  /**
   * Runs the handler; a transient failure (a busy lock, the database away) is thrown to us instead of
   * apologised for, and the message — still `received`, so a crash meanwhile replays it — is handled
   * again after a pause. Handling is idempotent (cases by source key, replies by key), so a rerun
   * completes the same work. Only the last attempt apologises.
   */
  async function runHandler(m: StoredMessage) {
    const input = toChatInput(m, status.user?.name ?? deps.config.wechaty.botName)
    let delay = retry.baseMs
    for (let attempt = 1; ; attempt++) {
      if (attempt >= retry.attempts) return deps.handler(input)
      try {
        return await deps.handler(input, { retryable: isTransientFailure })
      } catch (err) {
        if (!isTransientFailure(err)) throw err
        log.warn({ err, messageId: m.messageId, attempt }, 'message handling failed for now; retrying')
        await new Promise((r) => setTimeout(r, delay))
        delay *= 2
      }
    }
  }

  async function handleStored(m: StoredMessage): Promise<void> {
    try {
      const outcome = await runHandler(m)
      await deps.conversations.markProcessed(m.messageId, {
        outcome: outcome.outcome,
        replyKeys: outcome.replies.map((r) => r.key),
      })
      counts.processed++
    } catch (err) {
      counts.failed++
      log.error({ err, messageId: m.messageId }, 'message could not be processed')
      await deps.conversations
        .markFailed(m.messageId, err instanceof Error ? err.message : String(err))
        .catch(() => undefined)
    }
  }

  function enqueueInOrder(key: string, work: () => Promise<void>): Promise<void> {
    const next = (chains.get(key) ?? Promise.resolve()).then(work, work)
    chains.set(key, next)
    const forget = () => {
      if (chains.get(key) === next) chains.delete(key)
    }
    // Both ways: a derived promise left rejected would be an unhandled rejection (the process exits).
    next.then(forget, forget)
    return next
  }

  async function onMessage(msg: Message): Promise<void> {
    if (msg.self()) return
    if (
      deps.intercept &&
      msg.type() === types.Message.Text &&
      (await deps.intercept({ text: msg.text(), fromContactId: msg.talker().id, inRoom: !!msg.room() }))
    )
      return
    // Stored at once, even in a burst (a crash must not lose what arrived); the chain is entered at
    // once too, so one sender's messages in one chat are handled in arrival order.
    const key = `${chatKeyOf(msg.room()?.id, msg.talker().id)}|${msg.talker().id}`
    const stored = toInbound(msg).then(async (input) => {
      const saved = await deps.conversations.storeInbound(input)
      await noteHeard(input)
      return saved
    })
    stored.catch(() => undefined) // the chain below reports the failure
    await enqueueInOrder(key, async () => {
      const { message, duplicate } = await stored
      if (duplicate) {
        log.info({ messageId: message.messageId }, 're-delivered message ignored')
        return
      }
      await handleStored(message)
    })
  }

  /** The pool's reach is a routing hint: a failure to record it is logged, never fatal to the message. */
  async function noteHeard(input: InboundInput): Promise<void> {
    if (!deps.onHeard) return
    const target = input.roomId
      ? ({ type: 'room', id: input.roomId } as const)
      : ({ type: 'contact', id: input.senderContactId } as const)
    await deps.onHeard(target).catch((err: unknown) => log.warn({ err }, 'bot reach not recorded'))
  }

  async function toInbound(msg: Message): Promise<InboundInput> {
    const room = msg.room()
    const talker = msg.talker()
    const type = messageTypeOf(msg.type())
    const parsed = type === 'text' ? parseQuote(msg.text()) : { text: '' }
    const attachments =
      type === 'image' || type === 'voice' || type === 'file' ? await saveAttachment(msg, type) : []
    const transcript = attachments[0]?.transcript
    const location = type === 'location' ? await readLocation(msg) : undefined
    return {
      messageId: msg.id,
      roomId: room?.id,
      roomTopic: room ? await room.topic() : undefined,
      senderContactId: talker.id,
      senderName: talker.name(),
      text: transcript ?? parsed.text,
      type,
      mentionsBot: room ? await msg.mentionSelf() : false,
      mentionIds: room ? (await msg.mentionList()).map((c) => c.id) : [],
      quoted: parsed.quoted,
      attachments,
      location,
      receivedAt: sentAtOf(msg) ?? clock.now(),
    }
  }

  /**
   * The point of a location message, read from the puppet: Wechaty 1.x's `msg.toLocation()` throws
   * (it builds its Location class directly, which Wechaty forbids). A puppet that cannot read it
   * leaves the message without one.
   */
  async function readLocation(msg: Message) {
    try {
      const { puppet } = msg.wechaty as unknown as {
        puppet: { messageLocation(id: string): Promise<Parameters<typeof locationOf>[0]> }
      }
      return locationOf(await puppet.messageLocation(msg.id))
    } catch (err) {
      log.warn({ err, messageId: msg.id }, 'location message without a readable point')
      return undefined
    }
  }

  async function saveAttachment(msg: Message, type: 'image' | 'voice' | 'file'): Promise<AttachmentInput[]> {
    try {
      const box = await msg.toFileBox()
      await mkdir(attachmentsDir, { recursive: true })
      const safeName = `${msg.id}-${box.name}`.replace(/[^\w.\-\u4e00-\u9fa5]/g, '_').slice(0, 120)
      const file = path.join(attachmentsDir, safeName)
      await box.toFile(file, true)
      const kind = type
      const att: AttachmentInput = { kind, path: file, name: box.name, mediaType: box.mediaType }
      if (kind === 'voice' && deps.transcribe) {
        att.transcript = await deps.transcribe(file).catch((err: unknown) => {
          log.warn({ err, messageId: msg.id }, 'voice transcription failed; keeping the recording')
          return undefined
        })
      }
      return [att]
    } catch (err) {
      log.warn({ err, messageId: msg.id }, 'attachment could not be saved')
      return []
    }
  }

  function scheduleRestart(reason: string): void {
    if (stopping || restartTimer) return
    const delay = backoffMs
    backoffMs = Math.min(backoffMs * 2, 5 * 60_000)
    log.warn({ reason, delayMs: delay }, 'bot disconnected; restarting after a pause')
    restartTimer = setTimeout(() => {
      restartTimer = undefined
      void restart()
    }, delay)
    restartTimer.unref()
  }

  async function restart(): Promise<void> {
    try {
      await wechaty.stop()
      await wechaty.start()
      await deps.afterStart?.()
    } catch (err) {
      scheduleRestart(err instanceof Error ? err.message : String(err))
    }
  }

  wechaty.on('scan', (qrcode, scanStatus) => {
    status = { loggedIn: false, qrcode, since: clock.now() }
    log.info({ scanStatus }, 'scan the QR code to log the bot in (also shown to admins)')
    if (deps.printQr) {
      void QRCode.toString(qrcode, { type: 'terminal', small: true }).then((art) =>
        process.stderr.write(`${art}\n`),
      )
    }
  })
  wechaty.on('login', (user) => {
    status = { loggedIn: true, user: { id: user.id, name: user.name() }, since: clock.now() }
    backoffMs = 1000
    log.info({ user: user.name() }, 'bot logged in')
    deps.onLogin?.()
  })
  wechaty.on('logout', (user, reason) => {
    status = { loggedIn: false, since: clock.now() }
    scheduleRestart(`logout of ${user.name()}: ${reason ?? ''}`)
  })
  wechaty.on('error', (err) => {
    log.error({ err }, 'bot error')
    if (!wechaty.isLoggedIn) scheduleRestart(err.message)
  })
  wechaty.on('message', (msg) => {
    onMessage(msg).catch((err: unknown) =>
      log.error({ err, messageId: msg.id }, 'message could not be stored'),
    )
  })
  wechaty.on('room-topic', (room, newTopic) => {
    void deps.rooms
      ?.renameTopic(room.id, newTopic)
      .catch((err: unknown) => log.warn({ err }, 'topic not updated'))
  })

  return {
    wechaty,
    transport: createWechatyTransport(wechaty),
    async start() {
      stopping = false
      await wechaty.start()
      await deps.afterStart?.()
    },
    async stop() {
      stopping = true
      if (restartTimer) clearTimeout(restartTimer)
      restartTimer = undefined
      await Promise.allSettled([...chains.values()])
      await wechaty.stop()
    },
    status: () => ({ ...status }),
    async recover(olderThanMs = 0) {
      const pending = await deps.conversations.listUnprocessed(olderThanMs)
      // Entered in stored order (each sender's chain keeps it); different chats replay side by side.
      const runs = pending.map((m) => {
        log.info({ messageId: m.messageId }, 'replaying a message stored before a stop')
        return enqueueInOrder(`${m.chatKey}|${m.senderContactId}`, () => handleStored(m))
      })
      await Promise.all(runs)
      return pending.length
    },
    async idle() {
      while (chains.size > 0) await Promise.allSettled([...chains.values()])
    },
    counts: () => ({ ...counts }),
  }
}
