import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/** What the stand-in LLM received, so tests can check prompts (e.g. that no phone number was sent). */
export interface RecordedRequest {
  path: string
  /** When it arrived (ms since epoch). */
  at?: number
  /** For a request left hanging: how long until the client gave up and closed it. */
  abandonedAfterMs?: number
  body: {
    model?: string
    messages?: Array<{ role: string; content: string }>
    input?: string | string[]
    response_format?: unknown
  }
}

/** How the stand-in answers one request: a chat content string, an embedding, or a failure mode. */
export type LlmReply =
  | { content: string }
  | { embeddings: number[][] }
  | { status: number; body?: string }
  | { hang: true }

export interface LlmServerOptions {
  /** When set, only `Authorization: Bearer <apiKey>` is accepted; any other key gets 401. */
  apiKey?: string
}

export interface LlmServer {
  baseUrl: string
  requests: RecordedRequest[]
  /** Sets how to answer each next request (called with the request). */
  respond(fn: (req: RecordedRequest) => LlmReply): void
  close(): Promise<void>
}

/** An error as the OpenAI API writes it. */
function apiError(message: string, type: string, code: string | null): string {
  return JSON.stringify({ error: { message, type, param: null, code } })
}

/**
 * What the real API refuses before any model runs: no or a wrong API key (401), an unknown path
 * (404), a chat request without a model or messages (400). Undefined when the request is acceptable.
 */
function refusal(
  req: IncomingMessage,
  recorded: RecordedRequest,
  options: LlmServerOptions,
): { status: number; body: string } | undefined {
  const auth = req.headers.authorization ?? ''
  const key = /^Bearer (.+)$/.exec(auth)?.[1]
  if (!key)
    return {
      status: 401,
      body: apiError("You didn't provide an API key.", 'invalid_request_error', null),
    }
  if (options.apiKey !== undefined && key !== options.apiKey)
    return {
      status: 401,
      body: apiError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),
    }
  const path = recorded.path.replace(/\?.*$/, '')
  if (!/\/(chat\/completions|embeddings|audio\/transcriptions)$/.test(path))
    return { status: 404, body: apiError(`Unknown request URL: ${path}`, 'invalid_request_error', null) }
  if (path.endsWith('/chat/completions')) {
    const { model, messages } = recorded.body
    if (!model)
      return {
        status: 400,
        body: apiError('you must provide a model parameter', 'invalid_request_error', null),
      }
    if (!Array.isArray(messages) || messages.length === 0)
      return {
        status: 400,
        body: apiError("'messages' is a required property", 'invalid_request_error', null),
      }
  }
  return undefined
}

/**
 * A small OpenAI-compatible server on 127.0.0.1 for tests: `/v1/chat/completions` and `/v1/embeddings`,
 * answering what the test says, or hanging, or failing, so the real `openai` client is exercised.
 * Like the real API it refuses a missing (or, with `apiKey`, a wrong) key with 401 before answering.
 */
export async function startLlmServer(options: LlmServerOptions = {}): Promise<LlmServer> {
  const requests: RecordedRequest[] = []
  let responder: (req: RecordedRequest) => LlmReply = () => ({ content: '{}' })
  const hanging: ServerResponse[] = []
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = ''
    req.on('data', (c: Buffer) => {
      raw += c.toString('utf8')
    })
    req.on('end', () => {
      const isJson = (req.headers['content-type'] ?? '').includes('application/json')
      const recorded: RecordedRequest = {
        at: Date.now(),
        path: req.url ?? '',
        body: raw && isJson ? (JSON.parse(raw) as RecordedRequest['body']) : {},
      }
      requests.push(recorded)
      const refused = refusal(req, recorded, options)
      if (refused) {
        res.writeHead(refused.status, { 'content-type': 'application/json' })
        res.end(refused.body)
        return
      }
      const reply = responder(recorded)
      if ('hang' in reply) {
        hanging.push(res)
        res.once('close', () => {
          recorded.abandonedAfterMs = Date.now() - (recorded.at ?? Date.now())
        })
        return
      }
      if ('status' in reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json' })
        res.end(reply.body ?? JSON.stringify({ error: { message: 'stand-in failure' } }))
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      if (recorded.path.includes('/audio/transcriptions') && 'content' in reply) {
        res.end(JSON.stringify({ text: reply.content }))
        return
      }
      if ('embeddings' in reply) {
        res.end(
          JSON.stringify({
            object: 'list',
            data: reply.embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })),
            model: 'stand-in',
          }),
        )
        return
      }
      res.end(
        JSON.stringify({
          id: `cmpl-${requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: recorded.body.model ?? 'stand-in',
          choices: [
            { index: 0, message: { role: 'assistant', content: reply.content }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      )
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    respond: (fn) => {
      responder = fn
    },
    close: async () => {
      for (const r of hanging) r.destroy()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
