import pino, { type Logger } from 'pino'
import { maskText } from './mask.js'

export type { Logger }

/** Keys whose values never reach a log line. */
const REDACT = [
  'apiKey',
  'password',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'sessionKey',
  'session_key',
  'authorization',
  'phone',
  'idNumber',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.sessionKey',
  '*.session_key',
  '*.authorization',
  '*.phone',
  '*.idNumber',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
]

export interface LoggerOptions {
  level: string
  /** Where lines go; defaults to stdout. Tests pass a stream to inspect what was logged. */
  destination?: pino.DestinationStream
}

/**
 * Structured JSON logs. Secret-bearing keys are redacted and phone/ID numbers in messages are
 * masked, so neither can leak into log storage.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'linli' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskText(a) : a)) as Parameters<
            typeof method
          >
          method.apply(this, masked)
        },
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  )
}

/** A logger that discards everything; for CLI commands that print their own output and for tests. */
export const silentLogger: Logger = pino({ level: 'silent' })
