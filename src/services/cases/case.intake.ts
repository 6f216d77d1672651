import { Types } from 'mongoose'
import { z } from 'zod'
import { isDuplicateKeyError, NotFoundError, UnavailableError } from '../../lib/errors.js'
import type { LngLat } from '../../lib/geo.js'
import { batchedInserts, claimKey, lookupKey, putKey } from '../../lib/storage/index.js'
import {
  CASE_CHANNELS,
  CASE_URGENCIES,
  type CaseDoc,
  CaseModel,
  hasOwner,
  OPEN_CASE_STATUSES,
  placeKeysOf,
} from '../../models/case.model.js'
import { IntakeEntryModel, IntakeSetModel } from '../../models/intake-set.model.js'
import { CommunityModel, GridModel, HouseholdModel } from '../../models/registry.model.js'
import { findGridOfBuilding } from '../registry/registry.buildings.js'
import { cachedGrid, messageResident } from '../registry/registry.cache.js'
import { findPlace } from '../registry/registry.places.js'
import { type CaseChange, type CaseContext, parseInput } from './case.context.js'
import { DUPLICATE_THRESHOLD, duplicateScore, extractLocation, normaliseLocationPart } from './case.dedupe.js'
import { followCase } from './case.follows.js'
import { nextCaseNumber } from './case.number.js'
import { plannedOwner, routeOrHold } from './case.routing.js'
import { keyUpdate } from './case.workload.js'

const ObjectIdString = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确')
const Short = (max: number) => z.string().trim().max(max)

export const CaseAttachmentInput = z.object({
  kind: z.enum(['image', 'voice', 'file']),
  ref: z.string().trim().min(1).max(2000),
  name: Short(200).optional(),
})

/** The one input every channel uses to report a problem. */
export const OpenCaseInput = z.object({
  channel: z.enum(CASE_CHANNELS),
  /** Idempotency key: the chat message id, the mini-program request id, `cli:<uuid>` … */
  sourceKey: z.string().trim().min(1).max(200),
  reporter: z
    .object({
      personId: ObjectIdString.optional(),
      contactId: Short(200).optional(),
      roomId: Short(200).optional(),
    })
    .default({}),
  text: z.string().trim().min(2, '请简单描述一下遇到的问题').max(2000, '描述太长了，请控制在 2000 字以内'),
  /** Given by staff or the mini-program's picker; otherwise triage decides. */
  category: Short(40).min(1).optional(),
  urgency: z.enum(CASE_URGENCIES).optional(),
  location: z
    .object({
      gridId: ObjectIdString.optional(),
      gridCode: Short(40).min(1).optional(),
      householdId: ObjectIdString.optional(),
      building: Short(20).optional(),
      unit: Short(20).optional(),
      room: Short(20).optional(),
      /** Where the reporter is (a WeChat location message, an Open311 lat/long): WGS-84 degrees. */
      lng: z.number().min(-180).max(180).optional(),
      lat: z.number().min(-90).max(90).optional(),
    })
    .default({}),
  /**
   * Where the report came from, weaker than `location`: the grid or community of the group it was
   * written in, the community a stranger named. Used after the place named in the text and the
   * reporter's household (see `resolvePlace`).
   */
  hint: z
    .object({
      gridId: ObjectIdString.optional(),
      communityId: ObjectIdString.optional(),
      communityCode: Short(40).min(1).optional(),
    })
    .default({}),
  attachments: z.array(CaseAttachmentInput).max(9, '附件最多 9 个').default([]),
  /** Walk-in entry (代录): the staff member who typed it in for the resident. */
  enteredById: ObjectIdString.optional(),
  /**
   * Reported by a proxy (代办: family member or 联户长) for this household, whose link the caller has
   * checked; the reporter is the proxy, the place the household's.
   */
  proxyFor: z.object({ householdId: ObjectIdString }).strict().optional(),
})
export type OpenCaseInput = z.input<typeof OpenCaseInput>
type OpenInput = z.infer<typeof OpenCaseInput>

/** What `open` did: created a case, found the same report again, or joined an open duplicate. */
export interface OpenOutcome {
  doc: CaseDoc
  created: boolean
  /** Set when the report joined an existing case as a subscriber (避免多头派单). */
  duplicateOf?: string
}

interface Place {
  communityId?: Types.ObjectId
  gridId?: Types.ObjectId
  householdId?: Types.ObjectId
  building: string
  unit: string
  room: string
  /** The point given with the report (WGS-84), kept on the case as given. */
  coords?: LngLat
}

interface Facts {
  category: string
  urgency: 'urgent' | 'normal'
  isRequest: boolean
  place: Place
  reporterId?: Types.ObjectId
}

/** `caseService.open`: the only way a case comes into being. */
export async function openCase(ctx: CaseContext, raw: unknown): Promise<OpenOutcome> {
  const input = parseInput(OpenCaseInput, raw)
  const facts = await establishFacts(ctx, input)
  // The source key is claimed first, for the id the case will have: one unique insert decides between
  // racing retries, and a replay learns from it what the first run did.
  const claim = await claimKey('case-source', input.sourceKey, new Types.ObjectId().toString(), ctx.now())
  let earlier: CaseDoc | null = null
  if (!claim.claimed) {
    earlier = await CaseModel.findById(claim.ref).lean<CaseDoc>().exec()
    const replay = earlier && outcomeFor(earlier, input.sourceKey)
    // A replay after a crash between storing and routing finishes the routing.
    if (replay) return finishReplay(ctx, replay)
  }
  // The key names a case this report was to join, but the process died before it joined (the key
  // and the subscription are two writes) and that case takes no more reports now: the report opens
  // its own case after all (unless it finds another to join), under a new id the key is moved to.
  let id = claim.ref
  if (earlier) {
    id = new Types.ObjectId().toString()
    await putKey('case-source', input.sourceKey, id, ctx.now())
  }
  const caseId = new Types.ObjectId(id)
  const dup = await enterIntake(
    ctx,
    intakeKey(facts),
    { text: input.text, place: facts.place },
    facts,
    caseId,
  )
  if (dup) return outcomeFor(dup, input.sourceKey) ?? subscribe(ctx, dup, input, facts)
  const opened = await createCase(ctx, input, facts, caseId)
  // Routing met a passing failure: the case is stored unrouted, and the caller's retry routes it.
  if (opened.retry) throw opened.retry
  return opened
}

/**
 * A report seen again (a replay after a crash): when the first run died between storing the case and
 * routing it, the case is now entered in its intake set (so a neighbour's report of the same problem
 * joins it) and routed, or held at the desk. Both steps are idempotent; a case someone took needs
 * neither.
 */
async function finishReplay(ctx: CaseContext, replay: OpenOutcome): Promise<OpenOutcome> {
  const c = replay.doc
  // A case still `received` (not routed, or waiting in a queue with nobody assigned) is routed again.
  if (replay.duplicateOf || (c.status !== 'received' && hasOwner(c))) return replay
  const key = intakeKeyOf(c.category, c.location?.gridId, c.location?.communityId)
  if (c.location?.gridId || c.location?.communityId) {
    const entries = await IntakeEntryModel.find({ set: key }).lean<IntakeEntry[]>().exec()
    await claimSlot(key, entries, entryOf(c))
  }
  return { ...replay, doc: await routeOrHold(ctx, c) }
}

/** The case a report's source key opened or joined, read through its `case-source:` lookup key. */
async function findBySource(sourceKey: string): Promise<OpenOutcome | undefined> {
  const ref = await lookupKey('case-source', sourceKey)
  const doc = ref ? await CaseModel.findById(ref).lean<CaseDoc>().exec() : null
  return doc ? outcomeFor(doc, sourceKey) : undefined
}

function outcomeFor(doc: CaseDoc, sourceKey: string): OpenOutcome | undefined {
  if (doc.sourceKey === sourceKey) return { doc, created: false }
  if (doc.subscribers.some((s) => s.sourceKey === sourceKey))
    return { doc, created: false, duplicateOf: doc.number }
  return undefined
}

/** The slow way, by searching: for cases stored before lookup keys existed. */
async function searchBySource(sourceKey: string): Promise<OpenOutcome | undefined> {
  const own = await CaseModel.findOne({ sourceKey }).lean<CaseDoc>().exec()
  if (own) return { doc: own, created: false }
  const joined = await CaseModel.findOne({ 'subscribers.sourceKey': sourceKey }).lean<CaseDoc>().exec()
  return joined ? { doc: joined, created: false, duplicateOf: joined.number } : undefined
}

/** Serialises check-and-open per grid and category: two reports of one problem yield one case. */
function intakeKey(f: Facts): string {
  return intakeKeyOf(f.category, f.place.gridId, f.place.communityId)
}

function intakeKeyOf(category: string, gridId?: unknown, communityId?: unknown): string {
  const where = gridId ? `g${gridId}` : communityId ? `c${communityId}` : 'none'
  return `intake:${where}:${category}`
}

async function establishFacts(ctx: CaseContext, input: OpenInput): Promise<Facts> {
  const base = await resolvePlace(input)
  const needTriage = !input.category || !input.urgency
  const triaged = needTriage || !input.location.building ? await runTriage(ctx, input.text, base) : undefined
  const category = input.category ?? triaged?.category ?? 'other'
  ctx.responsibility.rule(category) // unknown category → INVALID_INPUT before anything is stored
  const fromText = triaged?.location ?? extractLocation(input.text)
  const pick = (hint: string | undefined, text: string | null | undefined, home: string) =>
    normaliseLocationPart(hint) ?? normaliseLocationPart(text ?? undefined) ?? home
  const textNamesBuilding = Boolean(input.location.building || fromText.building)
  const place: Place = {
    ...base.place,
    building: pick(input.location.building, fromText.building, base.place.building),
    unit: pick(input.location.unit, fromText.unit, textNamesBuilding ? '' : base.place.unit),
    room: input.location.room ?? fromText.room ?? (textNamesBuilding ? '' : base.place.room),
  }
  if (textNamesBuilding) await placeBuilding(ctx, place, base.place.building)
  return {
    category,
    urgency: input.urgency ?? triaged?.urgency ?? 'normal',
    isRequest: triaged?.isRequest ?? true,
    place,
    reporterId: base.reporterId,
  }
}

async function runTriage(ctx: CaseContext, text: string, base: { place: Place }) {
  if (!ctx.triage) return undefined
  try {
    return await ctx.triage(text, {
      gridId: base.place.gridId?.toString(),
      householdId: base.place.householdId?.toString(),
    })
  } catch (err) {
    ctx.logger?.warn({ err }, 'triage failed; opening the case with defaults')
    return undefined
  }
}

/**
 * The building named (in the text or the location) decides the grid when the registry knows which
 * grid of the community holds it — over the group's grid and the reporter's household. A household
 * in another building no longer describes the place.
 */
async function placeBuilding(ctx: CaseContext, place: Place, householdBuilding: string): Promise<void> {
  if (place.householdId && place.building !== householdBuilding) place.householdId = undefined
  if (!place.communityId || !place.building) return
  const gridId = await findGridOfBuilding(place.communityId, place.building, ctx.now())
  if (!gridId || place.gridId?.equals(gridId)) return
  place.gridId = gridId
  place.householdId = undefined
}

type ReporterPlace = {
  _id: Types.ObjectId
  householdId?: Types.ObjectId | null
  gridId?: Types.ObjectId | null
  communityId?: Types.ObjectId | null
}

/**
 * Where the report is, before the text is read. In order: an explicit location (household, grid)
 * given by staff or a picker; the reporter's household; the hint's grid (the group's); the grid and
 * community on the reporter's record; the hint's community. The building named in the text then
 * overrides the grid (see `placeBuilding`).
 */
async function resolvePlace(input: OpenInput): Promise<{ place: Place; reporterId?: Types.ObjectId }> {
  const place: Place = { building: '', unit: '', room: '' }
  const reporter = input.reporter.personId
    ? ((await messageResident(input.reporter.personId)) as ReporterPlace | null)
    : null
  if (input.reporter.personId && !reporter) throw new NotFoundError('报告人')
  const explicitGrid = input.location.gridId || input.location.gridCode
  const { lng, lat } = input.location
  const coords = lng !== undefined && lat !== undefined ? { lng, lat } : undefined
  // A point sent with the report says where the problem is, over where the reporter lives.
  const householdId =
    input.proxyFor?.householdId ??
    input.location.householdId ??
    (explicitGrid || coords ? undefined : reporter?.householdId)
  if (householdId) {
    const hh = await HouseholdModel.findById(householdId).lean().exec()
    if (!hh) throw new NotFoundError('住户')
    Object.assign(place, { householdId: hh._id, gridId: hh.gridId, communityId: hh.communityId })
    Object.assign(place, { building: hh.building, unit: hh.unit ?? '', room: hh.room })
  }
  if (explicitGrid) {
    const grid = await (input.location.gridId
      ? GridModel.findById(input.location.gridId)
      : GridModel.findOne({ code: input.location.gridCode })
    )
      .lean()
      .exec()
    if (!grid) throw new NotFoundError(`网格 ${input.location.gridCode ?? ''}`.trim())
    Object.assign(place, { gridId: grid._id, communityId: grid.communityId })
  } else if (!place.gridId && coords) {
    const hit = await findPlace(coords)
    if (hit)
      Object.assign(place, { gridId: hit.gridId, communityId: hit.communityId, building: hit.building ?? '' })
  }
  if (!explicitGrid && !place.gridId) Object.assign(place, await placeOfHints(input.hint, reporter))
  if (coords) place.coords = coords
  return { place, reporterId: reporter?._id }
}

/** The group's grid, else the reporter's recorded grid or community, else the hint's community. */
async function placeOfHints(
  hint: OpenInput['hint'],
  reporter: ReporterPlace | null,
): Promise<Pick<Place, 'gridId' | 'communityId'>> {
  const grid = hint.gridId ? await cachedGrid(hint.gridId) : null
  if (grid) return { gridId: grid._id, communityId: grid.communityId }
  if (reporter?.gridId) return { gridId: reporter.gridId, communityId: reporter.communityId ?? undefined }
  if (reporter?.communityId) return { communityId: reporter.communityId }
  const community = hint.communityId
    ? await CommunityModel.findById(hint.communityId, { _id: 1 }).lean().exec()
    : hint.communityCode
      ? await CommunityModel.findOne({ code: hint.communityCode }, { _id: 1 }).lean().exec()
      : null
  if ((hint.communityId || hint.communityCode) && !community)
    throw new NotFoundError(`社区 ${hint.communityCode ?? ''}`.trim())
  return community ? { communityId: community._id } : {}
}

/**
 * The open case this report repeats, among the cases opened under the same intake key within the
 * duplicate window. The set's entries carry each case's text and place, so the comparison needs no
 * reads; only the cases that score as duplicates are read (best first) to check they are still open
 * (a case entered a moment ago by a report running beside this one is waited for, see `caseOfEntry`).
 */
async function findOpenDuplicate(
  ctx: CaseContext,
  set: IntakeEntry[] | undefined,
  text: string,
  f: Facts,
): Promise<CaseDoc | undefined> {
  const since = windowStart(ctx)
  if (!set) return undefined // nowhere to compare
  const report = { text, location: f.place }
  // An entry written before entries carried their text is compared once its case is read.
  const likely = set
    .filter((e) => e.at >= since)
    .map((e) => ({ e, score: e.text == null ? 1 : duplicateScore(report, entryCandidate(e)) }))
    .filter((m) => m.score >= DUPLICATE_THRESHOLD)
    .sort((a, b) => b.score - a.score || +b.e.at - +a.e.at)
  for (const { e } of likely) {
    const c = await caseOfEntry(e)
    if (!c || !isOpenAlike(c, f, since)) continue
    if (
      e.text == null &&
      duplicateScore(report, { text: c.description, location: c.location ?? undefined }) < DUPLICATE_THRESHOLD
    )
      continue
    return c
  }
  return undefined
}

/** Still open, of the report's category and place, opened within the window. */
function isOpenAlike(c: CaseDoc, f: Facts, since: Date): boolean {
  const samePlace = f.place.gridId
    ? c.location?.gridId?.equals(f.place.gridId)
    : c.location?.communityId?.equals(f.place.communityId as Types.ObjectId) &&
      c.location?.building === f.place.building
  return (
    c.category === f.category &&
    (OPEN_CASE_STATUSES as readonly string[]).includes(c.status) &&
    c.createdAt >= since &&
    samePlace === true
  )
}

interface IntakeEntry {
  seq?: number
  caseId: Types.ObjectId
  at: Date
  writtenAt?: Date
  text?: string | null
  building?: string | null
  unit?: string | null
  room?: string | null
}

const entryCandidate = (e: IntakeEntry) => ({
  text: e.text ?? '',
  location: { building: e.building ?? undefined, unit: e.unit ?? undefined, room: e.room ?? undefined },
})

function entryOf(c: Pick<CaseDoc, '_id' | 'createdAt' | 'description' | 'location'>): IntakeEntry {
  return {
    caseId: c._id,
    at: c.createdAt,
    text: c.description,
    building: c.location?.building ?? undefined,
    unit: c.location?.unit ?? undefined,
    room: c.location?.room ?? undefined,
  }
}

const windowStart = (ctx: CaseContext) =>
  new Date(ctx.now().getTime() - ctx.config.cases.duplicateWindowHours * 3_600_000)

/** How long a report waits for the case of an entry just written by a report beside it. */
const ENTRY_PATIENCE_MS = 15_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * The case of an entry. An entry is written before its case: when the case is not there yet and the
 * entry is fresh, the report that wrote it is still opening it (a moment's work), so it is waited for;
 * an entry older than that whose case never came is from a report that died, and is passed over.
 */
async function caseOfEntry(e: IntakeEntry): Promise<CaseDoc | null> {
  for (;;) {
    const c = await CaseModel.findById(e.caseId).lean<CaseDoc>().exec()
    if (c || !e.writtenAt || Date.now() - e.writtenAt.getTime() > ENTRY_PATIENCE_MS) return c
    await sleep(25)
  }
}

/**
 * Decides whether a report opens a case (`caseId`) or repeats an open one (returned), with no lock:
 * the key's entries are read by one equality and compared (see `findOpenDuplicate`); with no
 * duplicate the report takes the set's next slot by a unique insert. Two reports of one problem at
 * once both try the same slot and one insert fails: that report reads the set again and finds the
 * other's entry. A report with no place has no set (nothing to compare, nothing to enter).
 */
async function enterIntake(
  ctx: CaseContext,
  key: string,
  report: { text: string; place: Place },
  f: Facts,
  caseId: Types.ObjectId,
): Promise<CaseDoc | undefined> {
  if (!f.place.gridId && !f.place.communityId) return undefined
  // Only a grid, or a community with a building, is a place to compare reports of.
  const comparable = Boolean(f.place.gridId || f.place.building)
  const entry: IntakeEntry = {
    caseId,
    at: ctx.now(),
    text: report.text,
    building: report.place.building,
    unit: report.place.unit,
    room: report.place.room,
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const entries = await IntakeEntryModel.find({ set: key }).lean<IntakeEntry[]>().exec()
    const others = entries.filter((e) => !e.caseId.equals(caseId))
    const dup = comparable ? await findOpenDuplicate(ctx, others, report.text, f) : undefined
    if (dup) return dup
    if (await claimSlot(key, entries, entry, 1)) return undefined
  }
  throw new UnavailableError('系统繁忙，请稍后再试', { intake: key })
}

/** Slots taken together share one insert command (each decided by its own unique `_id`). */
const insertEntry = batchedInserts(IntakeEntryModel)

/**
 * Enters the case in the set after the `entries` read (nothing when it is there already): true when
 * entered, false when another report took the slot first (`tries` spent; read the set again).
 */
async function claimSlot(
  key: string,
  entries: IntakeEntry[],
  entry: IntakeEntry,
  tries = 20,
): Promise<boolean> {
  if (entries.some((e) => e.caseId.equals(entry.caseId))) return true
  let seq = Math.max(0, ...entries.map((e) => e.seq ?? 0))
  for (let i = 0; i < tries; i++) {
    seq++
    try {
      await insertEntry({ ...entry, _id: `${key}#${seq}`, set: key, seq, writtenAt: new Date() })
      return true
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err
    }
  }
  return false
}

async function subscribe(ctx: CaseContext, dup: CaseDoc, input: OpenInput, f: Facts): Promise<OpenOutcome> {
  // The key was claimed for a case of its own: it names the case joined now.
  await putKey('case-source', input.sourceKey, String(dup._id), ctx.now())
  await followCase(f.reporterId, dup._id, 'subscriber', ctx.now())
  // Under the case's lock: a retry of this report running beside it joins once.
  const joined = (c: CaseDoc) => c.subscribers.some((s) => s.sourceKey === input.sourceKey)
  const doc = await ctx.mutate(dup, (c) => (joined(c) ? { timeline: [] } : joinChange(ctx, c, input, f)))
  return { doc, created: false, duplicateOf: doc.number }
}

/** The report added to the case it repeats: its reporter as a subscriber, its words in the timeline. */
function joinChange(ctx: CaseContext, c: CaseDoc, input: OpenInput, f: Facts): CaseChange {
  return {
    push: {
      subscribers: [
        {
          personId: f.reporterId,
          contactId: input.reporter.contactId,
          roomId: input.reporter.roomId,
          channel: input.channel,
          sourceKey: input.sourceKey,
          at: ctx.now(),
        },
      ],
      attachments: input.attachments,
    },
    timeline: [
      {
        actorId: f.reporterId?.toString(),
        actorRole: 'resident',
        action: 'subscribed',
        note: input.text,
        attachments: input.attachments.length ? input.attachments : undefined,
        to: c.number,
      },
    ],
  }
}

/**
 * Stores a new case under `_id` (the id its source key names), numbered and already routed: its owner
 * is planned before the insert (see `plannedOwner`), so one insert writes it whole. `retry` is a
 * passing failure of routing: the case is then stored unrouted, for a retry to route.
 */
async function createCase(
  ctx: CaseContext,
  input: OpenInput,
  f: Facts,
  _id: Types.ObjectId,
): Promise<OpenOutcome & { retry?: unknown }> {
  const at = ctx.now()
  const deadlines = ctx.responsibility.deadlines(f.category, f.urgency, at)
  const enteredBy = input.enteredById
  const followers = await proxyFollowers(ctx, input, f)
  const draft = {
    _id,
    number: '',
    sourceKey: input.sourceKey,
    channel: input.channel,
    reporterId: f.reporterId,
    reporter: { contactId: input.reporter.contactId, roomId: input.reporter.roomId },
    ...(input.proxyFor
      ? { proxyFor: { householdId: new Types.ObjectId(input.proxyFor.householdId) }, actedById: f.reporterId }
      : {}),
    subscribers: followers.map((personId) => ({ personId, channel: input.channel, at })),
    category: f.category,
    urgency: f.urgency,
    isRequest: f.isRequest,
    location: { ...f.place, text: input.text.slice(0, 200) },
    // Top-level copies of the place's ids: the community's and the grid's lists filter on these.
    ...placeKeysOf(f.place),
    description: input.text,
    attachments: input.attachments,
    status: 'received' as const,
    deadlines,
    timeline: [
      {
        at,
        actorId: enteredBy ?? f.reporterId,
        actorRole: enteredBy ? ('grid_worker' as const) : ('resident' as const),
        action: 'opened' as const,
        note: enteredBy ? '网格员代录' : input.proxyFor ? '代办人代报' : undefined,
        attachments: input.attachments.length ? input.attachments : undefined,
      },
    ],
    createdAt: at,
    updatedAt: at,
  } as unknown as CaseDoc
  await followCase(f.reporterId, _id, 'reporter', at)
  // A household's proxies follow its cases (我的工单, updates) as subscribers.
  for (const personId of followers) await followCase(personId, _id, 'subscriber', at)
  draft.number = await nextCaseNumber(at, ctx.config.timezone)
  const { change, retry } = await plannedOwner(ctx, draft)
  const routed = change ? withChange(draft, change, at) : draft
  // The keys the lists read (open workload, 无人负责), as every later write keeps them.
  Object.assign(routed, keyUpdate(routed, {}, []).set)
  for (let attempt = 1; ; attempt++) {
    try {
      const doc = (await CaseModel.create(routed)).toObject() as CaseDoc
      await change?.after?.(doc)
      return { doc, created: true, retry }
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err
      // The number was taken (by another process) or the report was stored already (a replay).
      const existing = numberTaken(err)
        ? undefined
        : ((await findBySource(input.sourceKey)) ?? (await searchBySource(input.sourceKey)))
      if (existing) return existing
      if (attempt >= 100) throw err
      routed.number = await nextCaseNumber(at, ctx.config.timezone)
    }
  }
}

/** True when a duplicate-key error names the `number` index (MongoDB says so; otherwise the source is read). */
function numberTaken(err: unknown): boolean {
  const e = err as { keyPattern?: Record<string, unknown>; message?: string }
  return Boolean(e.keyPattern?.number) || /\bnumber_1\b/.test(e.message ?? '')
}

/** The draft as `change` leaves it (what `mutate` would write), timeline entries stamped `at`. */
function withChange(draft: CaseDoc, change: CaseChange, at: Date): CaseDoc {
  const doc: Record<string, unknown> = { ...draft, ...change.set }
  for (const k of change.unset ?? []) delete doc[k]
  doc.timeline = [...draft.timeline, ...change.timeline.map((t) => ({ ...t, at }))]
  return doc as unknown as CaseDoc
}

/**
 * The household's proxies (family, 联户长) who follow a case of that household: its updates reach
 * them as subscribers. Not the reporter, and none when a proxy reported it (the proxy is the reporter).
 */
async function proxyFollowers(ctx: CaseContext, input: OpenInput, f: Facts): Promise<Types.ObjectId[]> {
  const householdId = f.place.householdId
  if (!householdId || input.proxyFor || !ctx.householdProxies) return []
  const ids = await ctx.householdProxies(String(householdId))
  return ids.filter((id) => id !== f.reporterId?.toString()).map((id) => new Types.ObjectId(id))
}

/**
 * Housekeeping of the intake sets: entries past the duplicate window are deleted, and sets still in
 * the older one-document-per-key layout (`intake_sets`) become entries. A periodic job, not a
 * per-report path. Returns how many entries were moved and deleted.
 */
export async function tidyIntakeEntries(
  now: Date,
  windowHours: number,
): Promise<{ moved: number; deleted: number }> {
  const since = new Date(now.getTime() - windowHours * 3_600_000)
  let moved = 0
  for await (const legacy of IntakeSetModel.find({}).lean<{ _id: string; cases: IntakeEntry[] }>().cursor()) {
    for (const { caseId, at, text, building, unit, room } of legacy.cases) {
      if (at < since) continue
      const entries = await IntakeEntryModel.find({ set: legacy._id }).lean<IntakeEntry[]>().exec()
      if (await claimSlot(legacy._id, entries, { caseId, at, text, building, unit, room })) moved++
    }
    await IntakeSetModel.deleteOne({ _id: legacy._id }).exec()
  }
  const res = await IntakeEntryModel.deleteMany({ at: { $lt: since } }).exec()
  return { moved, deleted: res.deletedCount }
}

export { departmentStaff, routeCase } from './case.routing.js'
