import { Types } from 'mongoose'
import { AuthSessionModel, RefreshTokenModel } from '../../models/auth.model.js'
import { bumpTopic } from '../../models/cache-version.model.js'

/**
 * Ends every session of a person at once: their access tokens stop working on the next request and
 * their refresh tokens are revoked. Called on erasure and by `revokeAll` (lost phone, staff leaving).
 */
export async function endPersonSessions(personId: string, now: Date): Promise<void> {
  if (!Types.ObjectId.isValid(personId)) return
  const pid = new Types.ObjectId(personId)
  await AuthSessionModel.deleteMany({ personId: pid })
  // After the delete: every process's remembered sessions are read again on their next request.
  await bumpTopic('auth')
  await RefreshTokenModel.updateMany({ personId: pid, revokedAt: null }, { $set: { revokedAt: now } })
}

/** Ends one login (a refresh-token family): logout, or a reused refresh token. */
export async function endSession(family: string, now: Date): Promise<void> {
  await AuthSessionModel.deleteOne({ _id: family })
  await bumpTopic('auth')
  await RefreshTokenModel.updateMany({ family }, { $set: { revokedAt: now } })
}
