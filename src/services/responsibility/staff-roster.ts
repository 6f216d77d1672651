/**
 * Who may be on a grid's or a community's staff, remembered for a minute per process. Finding them
 * means searching every person (on FerretDB's SQLite backend a read of the whole residents
 * collection); routing a case needs them every time. The remembered list only names candidates: each
 * is read again by id and checked (role, scope, on duty, not erased) before a case goes to them, so a
 * stale list can miss someone added in another process for up to a minute, never pick someone wrong.
 * The registry forgets the lists whenever it grants or withdraws a staff role.
 */
const ROSTER_TTL_MS = 60_000
const rosters = new Map<string, { at: number; ids: string[] }>()

/** The remembered candidates for `key`, or what `load` finds (then remembered). */
export async function rosterCandidates(key: string, load: () => Promise<string[]>): Promise<string[]> {
  const hit = rosters.get(key)
  if (hit && Date.now() - hit.at < ROSTER_TTL_MS) return hit.ids
  const ids = await load()
  rosters.set(key, { at: Date.now(), ids })
  return ids
}

/** Forgets every remembered list (a staff role was granted or withdrawn). */
export function forgetStaffRosters(): void {
  rosters.clear()
}
