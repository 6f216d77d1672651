import { type InferSchemaType, model, Schema, type Types } from 'mongoose'
import { registryVersioned } from './registry-version.model.js'

/**
 * A group chat bound to a grid or a community by a staff command in that chat. The topic is kept so
 * the binding survives a room-id change (Wechaty ids can change across logins): a message from an
 * unknown room whose topic matches re-binds it.
 */
const roomBindingSchema = new Schema(
  {
    roomId: { type: String, required: true, unique: true },
    topic: { type: String, required: true, index: true },
    scope: { type: String, enum: ['grid', 'community'], required: true },
    gridId: { type: Schema.Types.ObjectId, ref: 'Grid' },
    gridCode: String,
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', required: true },
    communityCode: { type: String, required: true },
    boundBy: { type: Schema.Types.ObjectId, ref: 'Resident' },
    previousRoomIds: { type: [String], default: [] },
  },
  { timestamps: true },
)
// A notice's groups: one read of a community's bindings, in room order (notices/audience.ts).
roomBindingSchema.index({ communityId: 1, roomId: 1 })
// Bindings are kept in each process as registry views (see registry.cache.ts): every write of one
// gives the registry version a new value, so a re-bound or unbound group is seen by the next message.
registryVersioned(roomBindingSchema)
export const RoomBindingModel = model('RoomBinding', roomBindingSchema, 'room_bindings')
export type RoomBindingDoc = InferSchemaType<typeof roomBindingSchema> & { _id: Types.ObjectId }
