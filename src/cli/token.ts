// `npm run token -- --app org#app [--user NAME | --uuid UUID] [--ttl SECONDS]`: prints Agora Chat
// tokens for an app configured with an Agora App ID and App Certificate (QUNLIAO_APPS), built by
// Agora's own ChatTokenBuilder (package agora-token) as an Agora Chat app server builds them, so
// that the Agora flow can be tried without Agora's tools (README, "Agora Chat apps").
// Other flags (--apps, --db, --data-dir) and the environment are read as by the server.
import agoraToken from 'agora-token';
import { ConfigError, loadConfig, type AppSeed, type Config } from '../config.js';
import { openStore } from '../store/index.js';

const USAGE = 'usage: npm run token -- --app org#app [--user NAME | --uuid UUID] [--ttl SECONDS]';
/** The hosted service's maximum for Agora Chat tokens (generate_app_tokens.md). */
const DEFAULT_TTL = 24 * 3600;
const MAX_TTL = 10 * 365 * 24 * 3600;
const OWN_FLAGS = new Set(['app', 'user', 'uuid', 'ttl']);

class UsageError extends Error {}

interface Request {
  appKey: string;
  username?: string;
  uuid?: string;
  ttl: number;
}

/** Separates this command's flags from the server's, which go to loadConfig. */
function parse(argv: string[]): { request: Request; serverArgs: string[] } {
  const own: Record<string, string> = {};
  const serverArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!match || !OWN_FLAGS.has(match[1]!)) {
      serverArgs.push(arg);
      continue;
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined || value === '') throw new UsageError(`--${match[1]} needs a value`);
    own[match[1]!] = value;
  }
  if (!own.app) throw new UsageError('--app is required');
  if (own.user && own.uuid) throw new UsageError('give --user or --uuid, not both');
  const ttl = own.ttl === undefined ? DEFAULT_TTL : Number(own.ttl);
  if (!/^\d+$/.test(own.ttl ?? '1') || ttl < 1 || ttl > MAX_TTL) throw new UsageError(`--ttl is a number of seconds, 1..${MAX_TTL}`);
  if (own.uuid && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(own.uuid)) {
    throw new UsageError(`--uuid "${own.uuid}" is not a UUID`);
  }
  return { request: { appKey: own.app, username: own.user, uuid: own.uuid?.toLowerCase(), ttl }, serverArgs };
}

/** The user's uuid, read from the server's database (Agora user tokens name users by uuid). */
async function lookUpUuid(config: Config, seed: AppSeed, username: string): Promise<string> {
  const store = await openStore(config.db);
  try {
    const app = await store.apps.findByName(seed.org, seed.app);
    if (!app) throw new UsageError(`${seed.org}#${seed.app} is not in the database yet: start qunliao once with this configuration`);
    const user = await store.users.findByName(app.uuid, username.toLowerCase());
    if (!user) throw new UsageError(`no user "${username}" in ${seed.org}#${seed.app}`);
    return user.uuid;
  } finally {
    await store.close();
  }
}

export async function run(argv: string[]): Promise<string> {
  const { request, serverArgs } = parse(argv);
  const config = loadConfig(undefined, serverArgs);
  const seed = config.apps.find((a) => `${a.org}#${a.app}` === request.appKey);
  if (!seed) throw new UsageError(`${request.appKey} is not configured (QUNLIAO_APPS / --apps)`);
  if (!seed.agora) throw new UsageError(`${request.appKey} has no Agora App ID and App Certificate (org#app:client_id:client_secret:agora_app_id:agora_app_certificate)`);
  const { appId, appCertificate } = seed.agora;
  const out: Record<string, unknown> = {
    app: request.appKey,
    app_token: agoraToken.ChatTokenBuilder.buildAppToken(appId, appCertificate, request.ttl),
  };
  const uuid = request.uuid ?? (request.username ? await lookUpUuid(config, seed, request.username) : undefined);
  if (uuid) {
    if (request.username) out.user = request.username.toLowerCase();
    out.uuid = uuid;
    out.user_token = agoraToken.ChatTokenBuilder.buildUserToken(appId, appCertificate, uuid, request.ttl);
  }
  out.expires_in = request.ttl;
  return `${JSON.stringify(out)}\n`;
}

run(process.argv.slice(2)).then(
  (output) => process.stdout.write(output),
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`qunliao token: ${err.message}\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`qunliao token: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
