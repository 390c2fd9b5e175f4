// Entry point: `npm start` (or `node dist/main.js`). Reads the configuration, opens the store,
// serves the API, and prints the credentials of an app it had to create.
import { ConfigError, loadConfig } from './config.js';
import { createQunliao } from './app.js';

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
  const shutdown = (signal: string) => {
    server.log.info({ signal }, 'shutting down');
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
