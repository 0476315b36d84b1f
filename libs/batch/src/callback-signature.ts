/**
 * The batch callback's signature: `X-Divblur-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with the
 * configured secret (CALLBACK_SECRET). A receiver recomputes it over the bytes it received and compares in constant
 * time (`verifyCallbackSignature`); every delivery of one batch carries the same body, so the same signature.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CALLBACK_SIGNATURE_HEADER = 'x-divblur-signature';

export function signCallback(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function verifyCallbackSignature(secret: string, body: string | Uint8Array, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signCallback(secret, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
