// One simulated user: the unmodified official web SDK (easemob-websdk 4.21.1) in its own worker
// thread (instances share module-level state), driven by a small RPC over postMessage
// (test/support/sdk/client.ts); every SDK event is posted back as it happens. Plain JavaScript so
// that a worker starts in a fifth of a second (no TypeScript loader per thread).
//
// Before the SDK loads, it gets what it needs from a browser (PROTOCOL.md §10): `self`, `window`
// with `window.WebSocket` (the `ws` class: it makes the SDK take its browser code path), an
// XMLHttpRequest for its REST calls (the password login), and `localStorage` / `navigator`.
/* global process, Buffer, FormData, Response, File */
import http from 'node:http';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);

/** `ws` emits 'error' events that the SDK does not listen to (it uses onerror/onclose). */
class BrowserWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    this.on('error', () => undefined);
  }
}

/** Enough of XMLHttpRequest for the SDK's ajax helper: JSON requests, text answers. */
class NodeXMLHttpRequest {
  readyState = 0;
  status = 0;
  statusText = '';
  responseText = '';
  response = '';
  responseURL = '';
  responseType = '';
  responseXML = null;
  timeout = 0;
  withCredentials = false;
  upload = { addEventListener: () => undefined };
  onreadystatechange = null;
  onload = null;
  onerror = null;
  ontimeout = null;
  onabort = null;
  #method = 'GET';
  #url = '';
  #headers = {};
  #responseHeaders = {};
  #listeners = new Map();
  #request;

  open(method, url) {
    this.#method = String(method).toUpperCase();
    this.#url = url;
    this.readyState = 1;
  }

  setRequestHeader(name, value) {
    this.#headers[name] = value;
  }

  overrideMimeType() {}

  addEventListener(type, listener) {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  removeEventListener(type, listener) {
    this.#listeners.set(type, (this.#listeners.get(type) ?? []).filter((l) => l !== listener));
  }

  getResponseHeader(name) {
    const v = this.#responseHeaders[String(name).toLowerCase()];
    return v === undefined ? null : String(v);
  }

  getAllResponseHeaders() {
    return Object.entries(this.#responseHeaders)
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join('\r\n');
  }

  abort() {
    this.#request?.destroy();
    this.#fire('abort');
  }

  #fire(type) {
    const handler = this[`on${type}`];
    if (typeof handler === 'function') handler.call(this);
    for (const l of this.#listeners.get(type) ?? []) l.call(this, { type, target: this });
  }

  send(body) {
    // Multipart uploads (shared files, attachments) hand over a FormData, as in a browser: encode it
    // the way fetch would, with its boundary in the Content-Type.
    if (body instanceof FormData) {
      const encoded = new Response(body);
      this.#headers['Content-Type'] = encoded.headers.get('content-type');
      encoded.arrayBuffer().then((bytes) => this.#send(Buffer.from(bytes)));
      return;
    }
    this.#send(body === undefined || body === null ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  }

  #send(payload) {
    // As a browser's XHR does: Node sends a DELETE's body with neither Content-Length nor chunking.
    const headers = payload === undefined ? this.#headers : { ...this.#headers, 'Content-Length': Buffer.byteLength(payload) };
    const req = http.request(this.#url, { method: this.#method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        this.status = res.statusCode ?? 0;
        this.statusText = res.statusMessage ?? '';
        this.#responseHeaders = res.headers;
        this.responseURL = this.#url;
        this.responseText = Buffer.concat(chunks).toString('utf8');
        this.response = this.responseType === 'json' ? JSON.parse(this.responseText || 'null') : this.responseText;
        this.readyState = 4;
        this.#fire('readystatechange');
        this.#fire('load');
        this.#fire('loadend');
      });
    });
    this.#request = req;
    if (this.timeout > 0) {
      req.setTimeout(this.timeout, () => {
        req.destroy();
        this.#fire('timeout');
      });
    }
    req.on('error', () => {
      if (this.readyState === 4) return;
      this.readyState = 4;
      this.status = 0;
      this.#fire('readystatechange');
      this.#fire('error');
    });
    req.end(payload);
  }
}

class MemoryStorage {
  #items = new Map();
  getItem(key) {
    return this.#items.get(key) ?? null;
  }
  setItem(key, value) {
    this.#items.set(key, String(value));
  }
  removeItem(key) {
    this.#items.delete(key);
  }
  clear() {
    this.#items.clear();
  }
  key(i) {
    return [...this.#items.keys()][i] ?? null;
  }
  get length() {
    return this.#items.size;
  }
}

globalThis.self = globalThis;
globalThis.window = globalThis;
globalThis.WebSocket = BrowserWebSocket;
globalThis.XMLHttpRequest = NodeXMLHttpRequest;
// Per worker: the device resource the SDK saves here stays the same across reconnects and logins.
globalThis.localStorage = new MemoryStorage();
if (!('navigator' in globalThis)) globalThis.navigator = { userAgent: 'node', onLine: true };

const EVENTS = [
  'onOpened', 'onConnected', 'onDisconnected', 'onReconnecting', 'onError', 'onTokenWillExpire', 'onTokenExpired',
  'onTextMessage', 'onImageMessage', 'onAudioMessage', 'onVideoMessage', 'onFileMessage', 'onLocationMessage',
  'onCmdMessage', 'onCustomMessage', 'onReceivedMessage', 'onDeliveredMessage', 'onReadMessage', 'onRecallMessage',
  'onChannelMessage', 'onModifiedMessage', 'onStatisticMessage', 'onGroupEvent', 'onChatroomEvent', 'onGroupChange',
  'onChatroomChange', 'onPresence', 'onOfflineMessageSyncStart', 'onOfflineMessageSyncFinish', 'onMultiDeviceEvent',
];

/** A plain copy that survives postMessage: no functions, no XHR objects, no cycles. */
function plain(value) {
  const seen = new WeakSet();
  const text = JSON.stringify(value ?? null, (key, v) => {
    if (key === 'xhr' || typeof v === 'function') return undefined;
    if (typeof v === 'bigint') return v.toString();
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return undefined;
      seen.add(v);
    }
    return v;
  });
  return JSON.parse(text ?? 'null');
}

process.on('unhandledRejection', (reason) => parentPort.postMessage({ event: 'unhandledRejection', data: String(reason?.stack ?? reason) }));

let sdk;
let conn;

async function run(op, args) {
  switch (op) {
    case 'init': {
      sdk = require('easemob-websdk');
      if (!args.logs) sdk.logger.disableAll();
      conn = new sdk.connection(args.options);
      const handlers = {};
      for (const name of EVENTS) handlers[name] = (data) => parentPort.postMessage({ event: name, data: plain(data) });
      conn.addEventHandler('qunliao-test', handlers);
      return null;
    }
    case 'send':
      return conn.send(sdk.message.create(args));
    case 'modify':
      return conn.modifyMessage({ messageId: args.messageId, modifiedMessage: sdk.message.create(args.message) });
    case 'call': {
      const method = conn[args.method];
      if (typeof method !== 'function') throw new Error(`no connection method ${String(args.method)}`);
      return method.apply(conn, args.args ?? []);
    }
    case 'get':
      return conn[args.property];
    case 'upload':
      // An upload method that reports through callbacks only (uploadGroupSharedFile…): settles with
      // what onFileUploadComplete gets, rejects with what onFileUploadError gets.
      return new Promise((resolve, reject) => {
        const file = { data: new File([args.content], args.filename, { type: 'text/plain' }), filename: args.filename };
        conn[args.method]({ ...args.params, file, onFileUploadComplete: resolve, onFileUploadError: reject });
      });
    default:
      throw new Error(`unknown op ${op}`);
  }
}

parentPort.on('message', (msg) => {
  run(msg.op, msg.args).then(
    (value) => parentPort.postMessage({ id: msg.id, ok: true, value: plain(value) }),
    (err) => parentPort.postMessage({ id: msg.id, ok: false, error: plain(err instanceof Error ? { message: err.message, stack: err.stack } : err) }),
  );
});
