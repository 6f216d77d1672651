/**
 * A tiny XML serializer for small documents of plain data (Open311 GeoReport answers): objects become
 * child elements in key order, arrays repeat an item element (named through `items`), null an empty
 * element. Text is escaped; characters XML 1.0 cannot carry are dropped.
 */
export type XmlValue = string | number | boolean | null | undefined | XmlValue[] | { [key: string]: XmlValue }

const NAME = /^[A-Za-z_][\w.-]*$/
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 forbids
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
}

export function escapeXml(text: string): string {
  return text.replace(INVALID, '').replace(/[&<>"']/g, (c) => ENTITIES[c] as string)
}

function element(name: string, value: XmlValue, items: Record<string, string>): string {
  if (!NAME.test(name)) throw new Error(`not an XML element name: ${name}`)
  if (value === null || value === undefined) return `<${name}/>`
  if (Array.isArray(value)) {
    const item = items[name] ?? 'item'
    return `<${name}>${value.map((v) => element(item, v, items)).join('')}</${name}>`
  }
  if (typeof value === 'object')
    return `<${name}>${Object.entries(value)
      .map(([k, v]) => element(k, v, items))
      .join('')}</${name}>`
  return `<${name}>${escapeXml(String(value))}</${name}>`
}

/** `<?xml …?>` and the root element; `items` names the element of each array (`{ services: 'service' }`). */
export function toXml(root: string, value: XmlValue, items: Record<string, string> = {}): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${element(root, value, items)}\n`
}
