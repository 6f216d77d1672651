import { createReadStream } from 'node:fs'
import OpenAI from 'openai'
import type { Config } from './config.js'

/**
 * The LLM as Linli uses it: chat completions with a JSON answer, embeddings, transcription, against
 * any OpenAI-compatible endpoint. Every call has a hard deadline; callers fall back to rules or
 * extractive answers when a call fails, so an LLM outage never stops the service.
 */
export interface Llm {
  model: string
  /** Asks for a JSON object matching `schema` (JSON Schema); returns the parsed object or throws. */
  chatJson(request: ChatJsonRequest): Promise<unknown>
  /** Plain text completion. */
  chatText(request: ChatTextRequest): Promise<string>
  /** Embeddings, when an embedding model is configured. */
  embed?: (texts: string[]) => Promise<number[][]>
  /** Speech to text for voice messages, when an audio model is configured. */
  transcribe?: (filePath: string) => Promise<string>
}

export interface ChatJsonRequest {
  system: string
  user: string
  schemaName: string
  schema: Record<string, unknown>
  timeoutMs?: number
}

export interface ChatTextRequest {
  system: string
  user: string
  timeoutMs?: number
  maxTokens?: number
}

/** Returns undefined when no LLM is configured (OPENAI_BASE_URL or OPENAI_MODEL unset). */
export function createLlm(config: Config): Llm | undefined {
  const { baseUrl, apiKey, model, embeddingModel, audioModel, timeoutMs, maxRetries } = config.llm
  if (!baseUrl || !model) return undefined
  const client = new OpenAI({
    baseURL: baseUrl,
    apiKey: apiKey ?? 'not-needed',
    timeout: timeoutMs,
    maxRetries,
  })
  const llm: Llm = {
    model,
    async chatJson(req) {
      const res = await client.chat.completions.create(
        {
          model,
          temperature: 0,
          messages: [
            { role: 'system', content: req.system },
            { role: 'user', content: req.user },
          ],
          response_format: {
            type: 'json_schema',
            json_schema: { name: req.schemaName, schema: req.schema, strict: true },
          },
        },
        { timeout: req.timeoutMs ?? timeoutMs },
      )
      const content = res.choices[0]?.message?.content
      if (!content) throw new Error('LLM returned no content')
      return JSON.parse(stripFences(content)) as unknown
    },
    async chatText(req) {
      const res = await client.chat.completions.create(
        {
          model,
          temperature: 0.2,
          max_tokens: req.maxTokens ?? 400,
          messages: [
            { role: 'system', content: req.system },
            { role: 'user', content: req.user },
          ],
        },
        { timeout: req.timeoutMs ?? timeoutMs },
      )
      const content = res.choices[0]?.message?.content?.trim()
      if (!content) throw new Error('LLM returned no content')
      return content
    },
  }
  if (embeddingModel) {
    llm.embed = async (texts) => {
      const res = await client.embeddings.create(
        { model: embeddingModel, input: texts, encoding_format: 'float' },
        { timeout: timeoutMs },
      )
      return res.data.map((d) => d.embedding)
    }
  }
  if (audioModel) {
    llm.transcribe = async (filePath) => {
      const res = await client.audio.transcriptions.create(
        { file: createReadStream(filePath), model: audioModel, language: 'zh' },
        { timeout: timeoutMs },
      )
      const text = res.text.trim()
      if (!text) throw new Error('transcription returned no text')
      return text
    }
  }
  return llm
}

/** Some models wrap JSON in ``` fences even when asked not to. */
function stripFences(s: string): string {
  const m = /^```(?:json)?\s*([\s\S]*?)\s*```$/.exec(s.trim())
  return m ? (m[1] as string) : s
}
