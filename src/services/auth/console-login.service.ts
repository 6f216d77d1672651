import { createHash, randomBytes } from 'node:crypto'
import QRCode from 'qrcode'
import type { Clock } from '../../lib/clock.js'
import { ConflictError, ForbiddenError, isDuplicateKeyError, NotFoundError } from '../../lib/errors.js'
import { AuditModel } from '../../models/audit.model.js'
import { ConsoleTicketModel, ConsoleTicketStepModel } from '../../models/auth.model.js'
import type { Actor, Session } from './auth.service.js'

/** A ticket lives three minutes: long enough to take out a phone and scan, short enough to be useless later. */
export const CONSOLE_TICKET_TTL_MS = 3 * 60_000
/** Tickets and their steps stay a day after they expire (a late poll reads "expired"), then the retention job deletes them. */
const PURGE_AFTER_MS = 24 * 3600_000
/** An approval made in time may still be collected this long after the ticket expires (a slow poll). */
const COLLECT_GRACE_MS = 60_000

/** What the mini-program reads from the scanned code: `linli:c:<ticket>`. */
export function consoleTicketPayload(ticket: string): string {
  return `linli:c:${ticket}`
}

export type ConsoleTicketStatus = 'pending' | 'approved' | 'refused' | 'expired' | 'used'

export interface ConsoleTicketPoll {
  status: ConsoleTicketStatus
  expiresAt: Date
  /** Only on the one poll that finds the ticket approved first: the console's session. */
  session?: Session
}

function hashOf(ticket: string): string {
  return createHash('sha256').update(ticket).digest('hex')
}

/** Staff roles sign in to the console; a plain resident (or party member) does not. */
function isStaff(actor: Actor): boolean {
  return actor.roles.some((r) => r !== 'resident' && r !== 'party_member')
}

export interface ConsoleLoginDeps {
  clock: Clock
  /** Issues a console session for the approving staff member (the auth service's issueSession). */
  issueSession(personId: string): Promise<Session>
}

/**
 * 扫码登录: the console asks for a ticket and shows it as a QR code; a staff member signed in to the
 * mini-program scans it and approves (or refuses); the console's poll then receives a session for
 * that staff member, exactly once. Who decided and the hand-over are each one unique `_id` insert, so
 * two approvals or two polls racing each other have one winner on MongoDB and FerretDB alike.
 */
export function createConsoleLoginService(deps: ConsoleLoginDeps) {
  const { clock } = deps

  /** A new ticket, its QR code (an SVG data URL) and when it expires (`expiresIn`: seconds, for a countdown). */
  async function createTicket(): Promise<{ ticket: string; qr: string; expiresAt: Date; expiresIn: number }> {
    const ticket = randomBytes(24).toString('base64url')
    const now = clock.now().getTime()
    const expiresAt = new Date(now + CONSOLE_TICKET_TTL_MS)
    await ConsoleTicketModel.create({
      _id: hashOf(ticket),
      expiresAt,
      purgeAt: new Date(expiresAt.getTime() + PURGE_AFTER_MS),
    })
    const svg = await QRCode.toString(consoleTicketPayload(ticket), {
      type: 'svg',
      errorCorrectionLevel: 'M',
      margin: 2,
    })
    const qr = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`
    return { ticket, qr, expiresAt, expiresIn: CONSOLE_TICKET_TTL_MS / 1000 }
  }

  async function findTicket(ticket: string) {
    const doc = await ConsoleTicketModel.findById(hashOf(ticket)).lean()
    if (!doc) throw new NotFoundError('登录二维码')
    return doc
  }

  /** The staff member in the mini-program says yes (approve) or no (refuse) to a console's ticket. */
  async function decide(
    ticket: string,
    actor: Actor,
    decision: 'approved' | 'refused',
  ): Promise<{ status: ConsoleTicketStatus }> {
    if (!isStaff(actor)) throw new ForbiddenError('居民账号不能登录社区工作台，请使用工作人员账号扫码')
    const doc = await findTicket(ticket)
    const now = clock.now()
    if (doc.expiresAt <= now) throw new ConflictError('二维码已过期，请在电脑上刷新二维码后重新扫码')
    try {
      await ConsoleTicketStepModel.create({
        _id: `${doc._id}:decision`,
        ticketId: doc._id,
        decision,
        personId: actor.personId,
        at: now,
        purgeAt: doc.purgeAt,
      })
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new ConflictError('这个二维码已经确认过了，请在电脑上刷新二维码')
      throw err
    }
    if (decision === 'approved') {
      await AuditModel.create({
        action: 'approve_console_login',
        actorId: actor.personId,
        subject: `console_ticket:${doc._id}`,
        reason: '在小程序中扫码确认登录社区工作台',
        at: now,
      })
    }
    return { status: decision }
  }

  /**
   * The console's poll: pending, refused, expired, or approved — and then the session, on the first
   * poll only (its delivery step is inserted before the session is issued); any later poll reads "used".
   */
  async function poll(ticket: string): Promise<ConsoleTicketPoll> {
    const doc = await findTicket(ticket)
    const { expiresAt } = doc
    const now = clock.now()
    const decision = await ConsoleTicketStepModel.findById(`${doc._id}:decision`).lean()
    if (decision?.decision === 'refused') return { status: 'refused', expiresAt }
    if (decision?.decision !== 'approved')
      return { status: expiresAt <= now ? 'expired' : 'pending', expiresAt }
    if (expiresAt.getTime() + COLLECT_GRACE_MS <= now.getTime()) return { status: 'expired', expiresAt }
    try {
      await ConsoleTicketStepModel.create({
        _id: `${doc._id}:delivery`,
        ticketId: doc._id,
        at: now,
        purgeAt: doc.purgeAt,
      })
    } catch (err) {
      if (isDuplicateKeyError(err)) return { status: 'used', expiresAt }
      throw err
    }
    return { status: 'approved', expiresAt, session: await deps.issueSession(String(decision.personId)) }
  }

  return { createTicket, decide, poll }
}

/** Deletes tickets and their steps past their `purgeAt` (the retention job, daily); returns how many. */
export async function purgeConsoleTickets(now: Date): Promise<number> {
  const steps = await ConsoleTicketStepModel.deleteMany({ purgeAt: { $lte: now } })
  const tickets = await ConsoleTicketModel.deleteMany({ purgeAt: { $lte: now } })
  return steps.deletedCount + tickets.deletedCount
}

export type ConsoleLoginService = ReturnType<typeof createConsoleLoginService>
