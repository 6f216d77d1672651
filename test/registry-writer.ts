// Another process writing to the registry, as a second service instance or the console would:
// `tsx test/registry-writer.ts <mongo uri> <person id> <off-duty|no-roles>`. Writes through the
// project's models (so the registry version moves as it does in production) and exits.
import mongoose from 'mongoose'
import { ResidentModel } from '../src/models/registry.model.js'

const [uri, personId, change] = process.argv.slice(2)
if (!uri || !personId || !change)
  throw new Error('usage: registry-writer <uri> <person id> <off-duty|no-roles>')
await mongoose.connect(uri, { serverSelectionTimeoutMS: 5000 })
const update = change === 'off-duty' ? { $set: { 'staff.onDuty': false } } : { $set: { roles: ['resident'] } }
await ResidentModel.updateOne({ _id: personId }, update)
await mongoose.disconnect()
