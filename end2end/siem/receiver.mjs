// A syslog receiver for the end-to-end suite: RFC 5424 messages over UDP on
// the given port, and on the same port over HTTP `/health` (for Playwright to
// wait on) and `/messages` (what arrived, one per line).
import dgram from 'node:dgram';
import http from 'node:http';

const port = Number(process.argv[2]);
const messages = [];
dgram
  .createSocket('udp4')
  .on('message', (m) => messages.push(m.toString('utf8')))
  .bind(port, '127.0.0.1');
http
  .createServer((req, res) => {
    if (req.url === '/health') return res.end('ok');
    if (req.url === '/messages') return res.end(messages.join('\n'));
    res.statusCode = 404;
    res.end();
  })
  .listen(port, '127.0.0.1');
