import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'

/**
 * Requests Node's HTTP parser rejects before the app sees them (a URL or headers over the 16 KiB
 * limit, a malformed request line) get the API's JSON error body instead of Node's bare status line.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW'
    const status = tooLarge ? 431 : 400
    const body = JSON.stringify({
      error: tooLarge
        ? { code: 'PAYLOAD_TOO_LARGE', message: '网址或请求头太长' }
        : { code: 'INVALID_INPUT', message: '请求格式不正确' },
    })
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  })
}
