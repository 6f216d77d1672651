import { cachedRegistryView } from '../registry/registry.cache.js'

/**
 * Who may be on a grid's or a community's staff: found once per registry version (see
 * registry.cache.ts) and kept until any registry write in any process changes the version. The list
 * only names candidates: each is read again (from the same cache) and checked (role, scope, on duty,
 * not erased) before a case goes to them.
 */
export function rosterCandidates(key: string, load: () => Promise<string[]>): Promise<string[]> {
  return cachedRegistryView(`roster:${key}`, load)
}
