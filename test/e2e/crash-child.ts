import { startServiceWorld } from './service-world.js'

// A whole Linli process for the crash-replay test: the real service on the database given in
// LINLI_TEST_DB_URI, the demo seeded and bound. Prints one JSON line when ready; SIGTERM stops it
// gracefully, SIGKILL is the crash under test.

const uri = process.env.LINLI_TEST_DB_URI
if (!uri) throw new Error('LINLI_TEST_DB_URI is not set')
const world = await startServiceWorld(uri)
const room = world.rooms[0]
process.stdout.write(`${JSON.stringify({ url: world.service.url, roomId: room?.id })}\n`)
process.on('SIGTERM', () => {
  void world.stop({ drop: false }).then(() => process.exit(0))
})
