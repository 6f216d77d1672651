import { Types } from 'mongoose'
import type { Clock } from '../../../lib/clock.js'
import type { Config } from '../../../lib/config.js'
import { isDuplicateKeyError } from '../../../lib/errors.js'
import {
  MpSubscriptionGrantModel,
  MpSubscriptionModel,
  MpSubscriptionUseModel,
  type SubscribeResult,
} from '../../../models/mp-subscription.model.js'

export type MpTemplates = Config['miniprogram']['templates']

export interface SubscriptionView {
  templateId: string
  kind: 'once' | 'long'
  result: SubscribeResult
  /** Messages that may still be sent: one-time grants not yet used; long-term: 1 while accepted. */
  available: number
}

/**
 * The record of subscribe-message answers (data, as the mini-program reports them) and the spending of
 * one-time grants. Template kinds come from `miniprogram.templates`; a template not configured is one-time.
 */
export function createMpSubscriptions(deps: { clock: Clock; templates: MpTemplates }) {
  const kindOf = (templateId: string) =>
    Object.values(deps.templates).find((t) => t.id === templateId)?.kind ?? 'once'

  async function view(personId: string, templateIds?: string[]): Promise<SubscriptionView[]> {
    const pid = new Types.ObjectId(personId)
    const rows = await MpSubscriptionModel.find({
      personId: pid,
      ...(templateIds ? { templateId: { $in: templateIds } } : {}),
    })
      .sort({ templateId: 1 })
      .lean()
    const out: SubscriptionView[] = []
    for (const r of rows) {
      let available = r.kind === 'long' ? (r.lastResult === 'accept' ? 1 : 0) : 0
      if (r.kind === 'once') {
        const [grants, uses] = await Promise.all([
          MpSubscriptionGrantModel.countDocuments({ personId: pid, templateId: r.templateId }),
          MpSubscriptionUseModel.countDocuments({ personId: pid, templateId: r.templateId }),
        ])
        available = Math.max(0, grants - uses)
      }
      out.push({ templateId: r.templateId, kind: r.kind, result: r.lastResult, available })
    }
    return out
  }

  return {
    kindOf,
    view,
    /** Records the answers of one `wx.requestSubscribeMessage` call. */
    async record(personId: string, results: Record<string, SubscribeResult>): Promise<SubscriptionView[]> {
      const pid = new Types.ObjectId(personId)
      const at = deps.clock.now()
      for (const [templateId, result] of Object.entries(results)) {
        const kind = kindOf(templateId)
        const update = {
          $set: { kind, lastResult: result, updatedAt: at },
          $inc: { accepts: result === 'accept' ? 1 : 0 },
        }
        try {
          await MpSubscriptionModel.updateOne({ personId: pid, templateId }, update, { upsert: true })
        } catch (err) {
          // Two concurrent first answers: the unique index let one insert; the other updates.
          if (!isDuplicateKeyError(err)) throw err
          await MpSubscriptionModel.updateOne({ personId: pid, templateId }, update)
        }
        if (result === 'accept' && kind === 'once') {
          await MpSubscriptionGrantModel.create({ personId: pid, templateId, at })
        }
      }
      return view(personId, Object.keys(results))
    },
    /**
     * Spends one subscription for a message. Long-term: allowed while the latest answer is accept (nothing
     * spent). One-time: the oldest unused grant, claimed by a unique insert of its use. Returns a release
     * function (give the grant back when WeChat did not deliver for a reason that leaves it unspent), or
     * undefined when there is nothing to spend.
     */
    async consume(
      personId: string,
      templateId: string,
      key: string,
    ): Promise<{ release(): Promise<void> } | undefined> {
      const pid = new Types.ObjectId(personId)
      if (kindOf(templateId) === 'long') {
        const row = await MpSubscriptionModel.findOne({ personId: pid, templateId }).lean()
        return row?.lastResult === 'accept' ? { release: async () => undefined } : undefined
      }
      const grants = await MpSubscriptionGrantModel.find({ personId: pid, templateId })
        .sort({ at: 1, _id: 1 })
        .lean()
      if (grants.length === 0) return undefined
      const used = new Set(
        (
          await MpSubscriptionUseModel.find(
            { grantId: { $in: grants.map((g) => g._id) } },
            { grantId: 1 },
          ).lean()
        ).map((u) => String(u.grantId)),
      )
      for (const g of grants) {
        if (used.has(String(g._id))) continue
        try {
          const use = await MpSubscriptionUseModel.create({
            grantId: g._id,
            personId: pid,
            templateId,
            key,
            at: deps.clock.now(),
          })
          return { release: async () => void (await MpSubscriptionUseModel.deleteOne({ _id: use._id })) }
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err
          // Another send took this grant first; try the next one.
        }
      }
      return undefined
    },
  }
}

export type MpSubscriptions = ReturnType<typeof createMpSubscriptions>
