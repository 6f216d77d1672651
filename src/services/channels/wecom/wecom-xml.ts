/**
 * A strict reader for WeCom's flat callback XML (document path/90239 接收消息格式, path/90968 加密):
 * `<xml>` holding only `<Name>text</Name>` or `<Name><![CDATA[text]]></Name>` children. No entities,
 * no DTD, no attributes, no nesting: anything else is refused (so no XXE, no surprises).
 */
export class WeComXmlError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WeComXmlError'
  }
}

const FIELD = /^<([A-Za-z][A-Za-z0-9_]*)>(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<&]*))<\/\1>/

export function parseFlatXml(xml: string): Record<string, string> {
  let rest = xml.trim()
  if (rest.startsWith('<?xml')) {
    const end = rest.indexOf('?>')
    if (end < 0) throw new WeComXmlError('unterminated XML declaration')
    rest = rest.slice(end + 2).trim()
  }
  if (!rest.startsWith('<xml>') || !rest.endsWith('</xml>')) throw new WeComXmlError('not an <xml> document')
  rest = rest.slice(5, -6).trim()
  const fields: Record<string, string> = {}
  while (rest.length > 0) {
    const m = FIELD.exec(rest)
    if (!m) throw new WeComXmlError('unexpected content in <xml>')
    const name = m[1] as string
    if (name in fields) throw new WeComXmlError(`repeated field ${name}`)
    fields[name] = m[2] ?? m[3] ?? ''
    rest = rest.slice(m[0].length).trim()
  }
  return fields
}
