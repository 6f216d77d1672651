import type { ApiApp, ApiWorld } from './api-world.js'

/** Gives a person points (a staff adjustment of the admin's), once per key. */
export async function givePoints(
  api: ApiApp,
  w: ApiWorld,
  personId: unknown,
  delta: number,
  key = `gift:${String(personId)}`,
) {
  await api.services.points.adjust({
    personId: String(personId),
    delta,
    refKey: key,
    note: '测试发放',
    byId: String(w.admin._id),
  })
}

/** A KH shop item (stock 50, 10 per household) made through the service, with 张三's open redemption of it. */
export async function shopTargets(api: ApiApp, w: ApiWorld) {
  const item = await api.services.shop.createItem(
    { communityId: String(w.community._id), title: '环保购物袋', cost: 10, stock: 50, perHouseholdLimit: 10 },
    String(w.staff._id),
  )
  await givePoints(api, w, w.zhang._id, 100)
  const r = await api.services.shop.redeem({
    itemId: item.id,
    personId: String(w.zhang._id),
    key: 'setup-redemption',
    channel: 'api',
  })
  return { shopItemId: item.id, redemptionId: r.id, code: r.code as string }
}
