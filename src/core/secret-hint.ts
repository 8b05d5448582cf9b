/**
 * What a stored secret shows of itself to administrators: its first 3 characters and an ellipsis
 * (as Entra ID shows its secrets), enough to tell which one it is; nothing of a secret under 16
 * characters, which cannot spare any.
 */
const HINT_LENGTH = 3;
const HINT_MIN_SECRET = 16;

export function secretHint(secret: string): string {
  return secret.length >= HINT_MIN_SECRET ? `${secret.slice(0, HINT_LENGTH)}…` : '…';
}
