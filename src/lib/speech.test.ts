import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LlmServer, startLlmServer } from '../../test/llm-server.js'
import { loadConfig } from './config.js'
import { createTranscriber } from './speech.js'

describe('the speech-to-text client', () => {
  let server: LlmServer
  let file: string
  beforeAll(async () => {
    server = await startLlmServer({ apiKey: 'sk-speech' })
    file = path.join(mkdtempSync(path.join(os.tmpdir(), 'linli-speech-')), 'v.silk')
    writeFileSync(file, Buffer.from('#!SILK_V3 fake audio'))
  })
  afterAll(async () => {
    await server.close()
  })
  const transcriber = (key: string) =>
    createTranscriber(loadConfig({ LINLI_SPEECH_ENDPOINT: server.baseUrl, LINLI_SPEECH_API_KEY: key }, {}))

  it('is off while no endpoint is configured', () => {
    expect(createTranscriber(loadConfig({}, {}))).toBeUndefined()
  })

  it('posts the recording to /audio/transcriptions and returns the text', async () => {
    server.respond(() => ({ content: ' 三号楼电梯坏了 ' }))
    expect(await transcriber('sk-speech')?.(file)).toBe('三号楼电梯坏了')
    expect(server.requests.at(-1)?.path).toBe('/v1/audio/transcriptions')
  })

  it('fails on a refused key and on an exhausted quota, so the caller keeps the recording', async () => {
    server.respond(() => ({ content: '不该听到' }))
    await expect(transcriber('sk-wrong')?.(file)).rejects.toMatchObject({ status: 401 })
    server.respond(() => ({
      status: 429,
      body: JSON.stringify({
        error: { message: 'You exceeded your current quota', code: 'insufficient_quota' },
      }),
    }))
    const before = server.requests.length
    await expect(transcriber('sk-speech')?.(file)).rejects.toMatchObject({ status: 429 })
    expect(server.requests.length - before).toBe(1)
  })
})
