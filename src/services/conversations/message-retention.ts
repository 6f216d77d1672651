import { ChatMessageModel } from '../../models/chat-message.model.js'

/** How many chat records lost their words in one retention pass. */
export interface MessagePurge {
  messageTexts: number
  quotedTexts: number
  transcripts: number
}

/**
 * Blanks the bodies of chat messages received before `cutoff` (PIPL retention): message text, quoted
 * text and voice transcripts go; the record of who, when and which case stays.
 */
export async function purgeOldMessageTexts(cutoff: Date): Promise<MessagePurge> {
  const old = { receivedAt: { $lt: cutoff } }
  const texts = await ChatMessageModel.updateMany({ ...old, text: { $ne: '' } }, { $set: { text: '' } })
  const quotes = await ChatMessageModel.updateMany(
    { ...old, 'quoted.text': { $exists: true, $ne: '' } },
    { $set: { 'quoted.text': '' } },
  )
  const voiced = await ChatMessageModel.find(
    { ...old, 'attachments.transcript': { $exists: true } },
    { attachments: 1 },
  ).lean()
  for (const m of voiced) {
    const attachments = (m.attachments ?? []).map(({ transcript: _t, ...rest }) => rest)
    await ChatMessageModel.updateOne({ _id: m._id }, { $set: { attachments } })
  }
  return { messageTexts: texts.modifiedCount, quotedTexts: quotes.modifiedCount, transcripts: voiced.length }
}
