/**
 * The smallest WebSocket client that reads a Vite HMR socket: Node 20 has no WebSocket without a
 * flag, and the test needs only the server's text frames.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { Socket } from 'node:net';

export interface WsClient {
  messages: Array<Record<string, unknown>>;
  close(): void;
}

export async function connectWs(port: number, protocol: string): Promise<WsClient> {
  const request = http.request({
    host: '127.0.0.1',
    port,
    path: '/',
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Protocol': protocol,
    },
  });
  request.end();
  const [, socket, head] = (await once(request, 'upgrade')) as [http.IncomingMessage, Socket, Buffer];
  const messages: Array<Record<string, unknown>> = [];
  let buffer = head;
  const parse = () => {
    for (;;) {
      if (buffer.length < 2) return;
      const opcode = buffer[0]! & 0x0f;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return;
      const payload = buffer.subarray(offset, offset + length);
      buffer = buffer.subarray(offset + length);
      if (opcode === 1) messages.push(JSON.parse(payload.toString('utf8')) as Record<string, unknown>);
    }
  };
  parse();
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    parse();
  });
  socket.on('error', () => undefined);
  return { messages, close: () => socket.destroy() };
}
