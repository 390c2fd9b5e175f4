// The ceiling for the benchmark: a bare node:http server that does the least work an HTTP JSON
// API can do (read the whole body, answer a fixed ~400-byte JSON envelope shaped like qunliao's
// user response). Whatever qunliao loses against it is the cost of fastify, auth, the store and
// serialisation, not of Node's HTTP stack or of the load generator.
//
// Usage: node --import tsx bench/baseline-server.ts [port]   (or BASELINE_PORT=…; 0 = any free port)
// Prints `listening <port>` once it accepts connections.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const port = Number(process.argv[2] ?? process.env.BASELINE_PORT ?? 0);

const server = http.createServer((req, res) => {
  // Drain the body like a real handler would, so POST cases cost the baseline what they cost qunliao
  // at the socket level, then answer once the request is complete.
  req.on('data', () => {});
  req.on('end', () => {
    const now = Date.now();
    const body = JSON.stringify({
      action: 'get',
      application: '5124b8c8-3ce7-4d85-9667-fb0b767cf7d9',
      path: '/users/alice',
      uri: `http://${req.headers.host ?? 'localhost'}/acme/chat/users/alice`,
      entities: [
        {
          uuid: '54a8cc73-893c-4104-9c99-a308cc94f32b',
          type: 'user',
          created: 1_700_000_000_000,
          modified: 1_700_000_000_000,
          username: 'alice',
          activated: true,
        },
      ],
      timestamp: now,
      duration: 0,
      organization: 'acme',
      applicationName: 'chat',
      count: 1,
    });
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});

// Exit promptly when the driver stops us.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
