import { describe, expect, it } from 'vitest'
import { inboundOf } from './wecom-inbox.js'
import { parseFlatXml } from './wecom-xml.js'

describe('WeCom flat XML', () => {
  it('reads CDATA and plain fields, then the inbound message', () => {
    const fields = parseFlatXml(
      '<?xml version="1.0"?>\n<xml><FromUserName><![CDATA[lina]]></FromUserName>\n<CreateTime>1409659813</CreateTime>' +
        '<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[进展 261207-0001 <已处理> & 完成]]></Content>' +
        '<MsgId>42</MsgId><AgentID>1000002</AgentID></xml>',
    )
    expect(fields.Content).toBe('进展 261207-0001 <已处理> & 完成')
    expect(inboundOf(fields)).toEqual({
      id: 'wecom:42',
      fromUserId: 'lina',
      msgType: 'text',
      text: '进展 261207-0001 <已处理> & 完成',
      agentId: 1000002,
      createTime: new Date(1409659813 * 1000),
    })
    const event = inboundOf(
      parseFlatXml(
        '<xml><FromUserName>lina</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>enter_agent</Event></xml>',
      ),
    )
    expect(event?.id).toBe('wecom-event:lina:1:enter_agent')
  })

  it('refuses DTDs, entities, nesting, attributes and repeated fields', () => {
    for (const bad of [
      '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><A>&x;</A></xml>',
      '<xml><A>&amp;</A></xml>',
      '<xml><A><B>1</B></A></xml>',
      '<xml><A id="1">1</A></xml>',
      '<xml><A>1</A><A>2</A></xml>',
      '<xml><A>1</B></xml>',
      '<root><A>1</A></root>',
    ]) {
      expect(() => parseFlatXml(bad), bad).toThrow()
    }
  })
})
