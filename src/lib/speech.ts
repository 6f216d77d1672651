import { createReadStream } from 'node:fs'
import OpenAI from 'openai'
import type { Config } from './config.js'

/** Speech to text for a voice message file; throws when the endpoint refuses or fails. */
export type Transcriber = (filePath: string) => Promise<string>

/**
 * The transcription client for voice messages against an OpenAI-compatible `/audio/transcriptions`
 * endpoint (`speech.endpoint`, the API's base such as `https://host/v1`). Undefined while unset: voice
 * messages then go to the worker as recordings. The transcript is returned, never logged here.
 */
export function createTranscriber(config: Pick<Config, 'speech'>): Transcriber | undefined {
  const { endpoint, apiKey, model, timeoutMs } = config.speech
  if (!endpoint) return undefined
  // One retry at most: a resident waits for the answer, and a refused key or quota will not pass later.
  const client = new OpenAI({
    baseURL: endpoint,
    apiKey: apiKey ?? 'not-needed',
    timeout: timeoutMs,
    maxRetries: 0,
  })
  return async (filePath) => {
    const res = await client.audio.transcriptions.create({
      file: createReadStream(filePath),
      model,
      language: 'zh',
    })
    const text = res.text.trim()
    if (!text) throw new Error('transcription returned no text')
    return text
  }
}
