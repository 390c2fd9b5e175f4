// POST /token answers (REFERENCE §2a): an app token names its application, a user token its user.
import type { App } from '../../services/apps.js';
import type { Grant } from '../../services/token-grants.js';
import { userEntity } from '../users/present.js';

export function grantBody(app: App, grant: Grant): Record<string, unknown> {
  const body: Record<string, unknown> = { access_token: grant.accessToken, expires_in: grant.expiresIn };
  if (grant.user) body.user = userEntity(grant.user);
  // The agora exchange answers its absolute expiry instead (REFERENCE §2a).
  else if (grant.expiresAt !== undefined) body.expire_timestamp = grant.expiresAt;
  else body.application = app.uuid;
  return body;
}
