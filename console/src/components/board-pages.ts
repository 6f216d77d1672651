import { ref } from 'vue'
import { ApiError, api } from '../api'
import { learnNames } from '../names'
import type { CaseSummary, CountedPage } from '../types'

/**
 * One list of the community's cases, page by page: `query(cursor)` is the API query for a page.
 * A newer load wins over one still on its way (filters changed meanwhile).
 */
export function useCasePages(query: (cursor?: string) => string) {
  const items = ref<CaseSummary[]>([])
  const total = ref<number | undefined>()
  const nextCursor = ref<string | undefined>()
  const loading = ref(false)
  const error = ref('')
  let latest = 0

  async function load(more = false): Promise<void> {
    const mine = ++latest
    error.value = ''
    loading.value = true
    try {
      const page = await api<CountedPage<CaseSummary>>(
        `/community/cases?${query(more ? nextCursor.value : undefined)}`,
      )
      if (mine !== latest) return
      items.value = more ? [...items.value, ...page.items] : page.items
      if (!more) total.value = page.total
      nextCursor.value = page.nextCursor
      learnNames(page.items.map((c) => c.owner?.personId))
    } catch (err) {
      if (mine !== latest) return
      if (!more) {
        items.value = []
        total.value = undefined
      }
      error.value = err instanceof ApiError ? err.message : '加载失败，请稍后再试'
    } finally {
      if (mine === latest) loading.value = false
    }
  }

  return { items, total, nextCursor, loading, error, load }
}
