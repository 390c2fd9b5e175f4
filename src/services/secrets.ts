// Password and client-secret hashing (scrypt from node:crypto) and random identifiers.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LENGTH = 32;

function scryptAsync(secret: string, salt: Buffer, N: number): Promise<Buffer> {
  const options: ScryptOptions = { N, r: 8, p: 1, maxmem: 256 * N * 8 };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export class SecretHasher {
  constructor(private readonly cost: number) {}

  /** `scrypt$N$salt$hash`, salt and hash in base64url; N is kept so the cost can change later. */
  async hash(secret: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scryptAsync(secret, salt, this.cost);
    return `scrypt$${this.cost}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  async verify(secret: string, stored: string): Promise<boolean> {
    const [scheme, n, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !n || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64url');
    const key = await scryptAsync(secret, Buffer.from(salt, 'base64url'), Number(n));
    return key.length === expected.length && timingSafeEqual(key, expected);
  }
}

export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
