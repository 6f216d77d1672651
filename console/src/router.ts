import { ref } from 'vue'

/**
 * The console's pages, from the address under /console/ (the server answers every such path with
 * the app): `''` the case board, `cases/<number>` one case, `map` the community map, `notices` and
 * `notices/<id>` notices, `events` and `events/<id>` events, `registry…` the registry, `kb` the policy documents, `dashboard` the 数据看板, `shop` the 积分商城, `verify` a merchant's 核销, `screen` its 大屏 mode, `login` the sign-in page.
 */
export const BASE = '/console/'

export const route = ref(current())

function current(): string {
  const p = window.location.pathname
  return p.startsWith(BASE) ? decodeURIComponent(p.slice(BASE.length)) : ''
}

export function go(to: string): void {
  window.history.pushState({}, '', BASE + to)
  route.value = current()
  window.scrollTo(0, 0)
}

window.addEventListener('popstate', () => {
  route.value = current()
})
