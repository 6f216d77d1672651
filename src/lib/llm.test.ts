import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LlmServer, startLlmServer } from '../../test/llm-server.js'
import { loadConfig } from './config.js'
import { createLlm } from './llm.js'

describe('the LLM client', () => {
  let server: LlmServer
  beforeAll(async () => {
    server = await startLlmServer()
  })
  afterAll(async () => {
    await server.close()
  })

  const configWith = (env: Record<string, string>) =>
    loadConfig(
      { OPENAI_BASE_URL: server.baseUrl, OPENAI_MODEL: 'stand-in', LINLI_LLM_TIMEOUT_MS: '2000', ...env },
      {},
    )

  it('is absent when no endpoint is configured, so callers use rules and extractive answers', () => {
    expect(createLlm(loadConfig({}, {}))).toBeUndefined()
  })

  it('transcribes a voice message through the audio endpoint only when an audio model is set', async () => {
    expect(createLlm(configWith({}))?.transcribe).toBeUndefined()
    const llm = createLlm(configWith({ OPENAI_AUDIO_MODEL: 'whisper-stand-in' }))
    server.respond(() => ({ content: '三号楼二单元电梯坏了' }))
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'linli-voice-')), 'v.mp3')
    writeFileSync(file, Buffer.from('ID3 fake audio'))
    expect(await llm?.transcribe?.(file)).toBe('三号楼二单元电梯坏了')
    expect(server.requests.at(-1)?.path).toBe('/v1/audio/transcriptions')
  })

  it('asks for embeddings as floats and returns one vector per text', async () => {
    const llm = createLlm(configWith({ OPENAI_EMBEDDING_MODEL: 'embed-stand-in' }))
    server.respond(() => ({
      embeddings: [
        [0.1, 0.2, 0.3],
        [0.4, 0.5, 0.6],
      ],
    }))
    expect(await llm?.embed?.(['医保', '低保'])).toEqual([
      [0.1, 0.2, 0.3],
      [0.4, 0.5, 0.6],
    ])
    const body = server.requests.at(-1)?.body as { encoding_format?: string } | undefined
    expect(body?.encoding_format).toBe('float')
  })
})

describe('the LLM client against an endpoint that checks the API key', () => {
  let server: LlmServer
  beforeAll(async () => {
    server = await startLlmServer({ apiKey: 'sk-right' })
  })
  afterAll(async () => {
    await server.close()
  })

  const llmWithKey = (key: string) =>
    createLlm(
      loadConfig(
        {
          OPENAI_BASE_URL: server.baseUrl,
          OPENAI_MODEL: 'stand-in',
          OPENAI_API_KEY: key,
        },
        {},
      ),
    )

  it('answers with the right key and is refused with 401 with a wrong one or none', async () => {
    server.respond(() => ({ content: '好的' }))
    expect(await llmWithKey('sk-right')?.chatText({ system: 's', user: 'u' })).toBe('好的')
    await expect(llmWithKey('sk-wrong')?.chatText({ system: 's', user: 'u' })).rejects.toMatchObject({
      status: 401,
    })
    const bare = await fetch(`${server.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stand-in', messages: [{ role: 'user', content: 'u' }] }),
    })
    expect(bare.status).toBe(401)
  })
})
