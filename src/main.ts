// Entry point: `npm start` (or `node dist/main.js`). Reads the configuration, opens the store,
// serves the API, and prints the credentials of an app it had to create.
import { ConfigError, loadConfig } from './config.js';
import { createQunliao } from './app.js';

/** How long a shutdown may take before the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 20_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`qunliao: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const qunliao = await createQunliao(config);
  const { server, generatedApp } = qunliao;
  if (generatedApp) {
    console.log(
      [
        'qunliao: no app was configured, so one was created (shown only this once):',
        `  app key:       ${generatedApp.org}#${generatedApp.app}`,
        `  client_id:     ${generatedApp.clientId}`,
        `  client_secret: ${generatedApp.clientSecret}`,
        'Set QUNLIAO_APPS=org#app:client_id:client_secret to choose your own.',
      ].join('\n'),
    );
  }
  // Graceful shutdown (docs/deploy.md): /health answers 503 from now on, the listener stops
  // accepting, requests under way finish, sockets are closed with 1012 ("service restart") so
  // that clients reconnect — through the load balancer, to another process — and device positions
  // are stored before the database goes.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    qunliao.health.drain();
    server.log.info({ signal }, 'shutting down');
    // Past this, whatever still hangs is cut off.
    setTimeout(() => process.exit(1), SHUTDOWN_LIMIT_MS).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const address = await server.listen({ port: config.port, host: config.host });
  console.log(`qunliao: serving the REST API on ${address} (database: ${config.db.kind})`);
}

main().catch((err: unknown) => {
  console.error('qunliao: failed to start:', err);
  process.exit(1);
});
