// A test OpenTelemetry collector for rogue-hunter's test suite: an OTLP/HTTP JSON logs receiver on
// loopback that validates every payload against the real OTLP protobuf schema, records what it
// received, and answers as the test scripts it.
//
//   node collector.js [--port N]      prints {"port": N} on stdout once listening
//
// Validation: the payload is round-tripped through ExportLogsServiceRequest.fromObject/toObject of
// @opentelemetry/otlp-transformer's generated protobuf root, with 64-bit integers as strings and
// enums as numbers, and must come back identical. So snake_case keys (unknown to the schema, they
// vanish), 64-bit integers as JSON numbers (they come back as strings), enum names (they come back
// as numbers), and empty arrays all fail. Trace and span ids must be absent or non-empty hex.
//
// Control (JSON):
//   GET  /control/requests   every request received so far, with its validation
//   POST /control/script     {"responses": [R...], "default": R}: the next requests get the
//                            responses in order, then the default. R = {"status": 200,
//                            "headers": {...}, "body": "...", "hang": false}; a hanging response
//                            never answers (the connection stays open until the client leaves).
//   POST /control/reset      forgets the requests received
// Any other POST is taken as an OTLP request.

'use strict';

const http = require('http');
const zlib = require('zlib');
const util = require('util');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const ExportLogsServiceRequest = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
const kMaxBody = 64 << 20;

let port = 0;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--port') port = Number(process.argv[++i]);
}

const requests = [];
let script = [];
let fallback = { status: 200, body: '{}' };
const sockets = new Set();

// Where two JSON values differ, as "path: a vs b" lines.
function differences(a, b, path, out) {
  if (out.length >= 20) return out;
  if (util.isDeepStrictEqual(a, b)) return out;
  const objects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object';
  if (!objects || Array.isArray(a) !== Array.isArray(b)) {
    out.push(`${path || '/'}: sent ${JSON.stringify(a)}, schema gives ${JSON.stringify(b)}`);
    return out;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) differences(a[k], b[k], `${path}/${k}`, out);
  return out;
}

// Trace and span ids anywhere: absent, or non-empty hex of the right length.
function checkIds(value, path, errors) {
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    const where = `${path}/${k}`;
    if (k === 'traceId' || k === 'spanId') {
      const length = k === 'traceId' ? 32 : 16;
      if (typeof v !== 'string' || v.length !== length || !/^[0-9a-fA-F]+$/.test(v)) {
        errors.push(`${where}: must be absent or ${length} hex digits, got ${JSON.stringify(v)}`);
      }
    }
    checkIds(v, where, errors);
  }
}

function validate(req, body) {
  const errors = [];
  const contentType = req.headers['content-type'] || '';
  if (contentType !== 'application/json') {
    errors.push(`Content-Type must be application/json, got ${JSON.stringify(contentType)}`);
  }
  let text = body;
  if ((req.headers['content-encoding'] || '') === 'gzip') {
    try {
      text = zlib.gunzipSync(body);
    } catch (e) {
      errors.push(`gzip: ${e.message}`);
      return { errors, payload: null };
    }
  }
  let payload;
  try {
    payload = JSON.parse(text.toString('utf8'));
  } catch (e) {
    errors.push(`JSON: ${e.message}`);
    return { errors, payload: null };
  }
  try {
    const message = ExportLogsServiceRequest.fromObject(payload);
    const back = ExportLogsServiceRequest.toObject(message, {
      longs: String,
      enums: Number,
      bytes: String,
      defaults: false,
      json: true,
    });
    for (const d of differences(payload, back, '', [])) errors.push(`round trip: ${d}`);
  } catch (e) {
    errors.push(`fromObject: ${e.message}`);
  }
  checkIds(payload, '', errors);
  let records = 0;
  for (const rl of payload.resourceLogs || []) {
    for (const sl of rl.scopeLogs || []) records += (sl.logRecords || []).length;
  }
  if (records === 0) errors.push('no log records (an empty envelope)');
  return { errors, payload };
}

function sendJson(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req, done) {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= kMaxBody) chunks.push(chunk);
  });
  req.on('end', () => done(Buffer.concat(chunks), size));
}

const server = http.createServer((req, res) => {
  readBody(req, (body, size) => {
    if (req.url === '/control/requests' && req.method === 'GET') return sendJson(res, 200, requests);
    if (req.url === '/control/reset' && req.method === 'POST') {
      requests.length = 0;
      return sendJson(res, 200, {});
    }
    if (req.url === '/control/script' && req.method === 'POST') {
      const parsed = JSON.parse(body.toString('utf8') || '{}');
      script = parsed.responses || [];
      if (parsed.default) fallback = parsed.default;
      return sendJson(res, 200, {});
    }
    if (req.method !== 'POST') return sendJson(res, 405, { message: 'POST only' });

    const result = size > kMaxBody ? { errors: ['body over 64 MiB'], payload: null } : validate(req, body);
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = v;
    requests.push({
      receivedAtMs: Date.now(),
      method: req.method,
      path: req.url,
      headers,
      valid: result.errors.length === 0,
      errors: result.errors,
      payload: result.payload,
    });
    const response = script.length > 0 ? script.shift() : fallback;
    if (response.hang) return;  // never answer
    const text = response.body === undefined ? '{}' : response.body;
    res.writeHead(response.status || 200, Object.assign({
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    }, response.headers || {}));
    res.end(text);
  });
});

server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

function shutdown() {
  server.close();
  for (const socket of sockets) socket.destroy();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
