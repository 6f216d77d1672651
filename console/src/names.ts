import { reactive } from 'vue'
import { api } from './api'

/**
 * Names of the people cases mention (owners), read through the staff API `/residents/:id`
 * (numbers masked there; the API decides who may see whom). Unknown or refused: 「工作人员」.
 */
export const names = reactive<Record<string, string>>({})
const asked = new Set<string>()

export function learnNames(ids: Array<string | undefined>): void {
  for (const id of ids) {
    if (!id || asked.has(id) || names[id]) continue
    asked.add(id)
    api<{ name: string }>(`/residents/${id}`).then(
      (r) => {
        names[id] = r.name
      },
      () => {
        names[id] = '工作人员'
      },
    )
  }
}
