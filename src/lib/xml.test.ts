import { describe, expect, it } from 'vitest'
import { escapeXml, toXml } from './xml.js'

describe('toXml', () => {
  it('writes nested objects, repeated items and empty elements', () => {
    const xml = toXml('services', [{ service_code: 'noise', metadata: false, keywords: null }], {
      services: 'service',
    })
    expect(xml).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<services><service><service_code>noise</service_code><metadata>false</metadata><keywords/></service></services>\n',
    )
  })

  it('escapes markup and drops characters XML 1.0 cannot carry', () => {
    const nasty = '3号楼 <script>&"\'\u0001]]>'
    const xml = toXml('errors', [{ code: 400, description: nasty }], { errors: 'error' })
    expect(xml).toContain(
      '<errors><error><code>400</code><description>3号楼 &lt;script&gt;&amp;&quot;&apos;]]&gt;</description></error></errors>',
    )
    expect(escapeXml('a&b')).toBe('a&amp;b')
  })

  it('refuses element names XML cannot carry', () => {
    expect(() => toXml('a b', 'x')).toThrow()
  })
})
