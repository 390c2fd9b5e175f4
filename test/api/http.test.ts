// Request plumbing: error bodies for unknown routes, wrong methods, malformed bodies, and the wire
// quirks official SDKs rely on (CLIENTS.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, startApp, type TestApp } from '../support/harness.js';
import { expectErrorBody } from '../support/expect.js';

describe.each(databases)('HTTP plumbing (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
    await t.createUsers('alice');
  });
  afterAll(() => t.close());

  it('answers 404 with an error body for an unknown route', async () => {
    for (const url of ['/', '/nope', '/acme/chat/nothing/here/at/all']) {
      const res = await t.request('GET', url);
      expect(res.status).toBe(404);
      expectErrorBody(res.body);
      expect(res.body.error).toBe('service_resource_not_found');
    }
  });

  it('answers 405 with an error body for a known path and the wrong method', async () => {
    const res = await t.api('PATCH', '/users/alice');
    expect(res.status).toBe(405);
    expectErrorBody(res.body);
    expect(res.body.error).toBe('web_application');
  });

  it('answers 404 organization_application_not_found for an unknown org or app on any route', async () => {
    const res = await t.request('GET', '/acme/nothere/users/alice', { token: t.adminToken });
    expect(res.status).toBe(404);
    expectErrorBody(res.body);
    expect(res.body.error_description).toBe('Could not find application for acme/nothere from URI: acme/nothere/users/alice');
  });

  it('answers 400 json_parse for malformed JSON and changes nothing', async () => {
    const res = await t.api('POST', '/users', { payload: '{"username": "broken", "password" "x"}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expectErrorBody(res.body);
    expect(res.body.error).toBe('json_parse');
    expect((await t.api('GET', '/users/broken')).status).toBe(404);
  });

  it('accepts JSON bodies with no Content-Type header', async () => {
    const res = await t.api('POST', '/users', { payload: '{"username":"noctype","password":"pw"}' });
    expect(res.status).toBe(200);
  });

  it('accepts JSON sent as text/plain, and refuses other non-JSON bodies with 415', async () => {
    const plain = await t.api('POST', '/users', { payload: '{"username":"plain","password":"pw"}', headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(200);
    const xml = await t.api('POST', '/users', { payload: '<user/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.status).toBe(415);
    expectErrorBody(xml.body);
  });

  it('accepts an empty body with Content-Type: application/json on POST', async () => {
    const res = await t.api('POST', '/users/alice/deactivate', { payload: '', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    await t.api('POST', '/users/alice/activate');
  });

  it('refuses bodies over 1 MB with 413 and an error body', async () => {
    const res = await t.api('POST', '/users', { payload: `{"username":"big","password":"${'x'.repeat(1024 * 1024)}"}`, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expectErrorBody(res.body);
  });

  it('ignores __proto__ keys in bodies', async () => {
    const res = await t.api('POST', '/users', { payload: '{"username":"proto","password":"pw","__proto__":{"admin":true}}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
  });

  it('sends x-request-id, taking the caller’s when given', async () => {
    const res = await t.api('GET', '/users/alice', { headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers['x-request-id']).toBe('trace-123');
  });

  it('answers a badly encoded URL with 400 and an error body', async () => {
    const res = await t.request('GET', '/acme/chat/users/%E0%A4%A', { token: t.adminToken });
    expect(res.status).toBe(400);
    expectErrorBody(res.body);
  });

  it('treats an Authorization header that is not a bearer token as a corrupt token', async () => {
    for (const authorization of ['Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Bearer', 'Bearer    ']) {
      const res = await t.api('GET', '/users/alice', { token: null, headers: { authorization } });
      expect(res.status).toBe(401);
      expectErrorBody(res.body);
    }
  });

  it('answers CORS preflights for browser apps, as the web SDK sends them', async () => {
    const pre = await t.request('OPTIONS', '/acme/chat/chatgroups/123/share_files', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,restrict-access,x-requested-with' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(String(pre.headers['access-control-allow-methods'])).toContain('DELETE');
    expect(String(pre.headers['access-control-allow-headers']).toLowerCase()).toContain('restrict-access');
    const get = await t.api('GET', '/users/alice', { headers: { origin: 'https://app.example.com' } });
    expect(get.status).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBe('*');
    const refused = await t.api('GET', '/users/nobody', { headers: { origin: 'https://app.example.com' } });
    expect(refused.headers['access-control-allow-origin']).toBe('*');
  });

  it('limits CORS to the configured origins', async () => {
    const only = await startApp(kind, { cors: ['https://app.example.com'] });
    try {
      const ok = await only.api('GET', '/users/alice', { headers: { origin: 'https://app.example.com' } });
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
      const other = await only.api('GET', '/users/alice', { headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await only.close();
    }
  });

  it('builds the envelope with the documented fields', async () => {
    const res = await t.api('GET', '/users/alice');
    expect(Object.keys(res.body)).toEqual([
      'action', 'application', 'path', 'uri', 'entities', 'timestamp', 'duration', 'organization', 'applicationName', 'count',
    ]);
    expect(res.body.path).toBe('/users/alice');
    expect(res.body.uri).toBe('http://localhost:80/acme/chat/users/alice');
  });
});
