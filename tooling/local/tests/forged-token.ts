import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// Signs with the key moto signs every user pool's tokens with (moto/cognitoidp/resources), using the
// JOSE library moto itself uses: moto's private JWK carries no CRT parameters, which Node's crypto needs.
const signWithMotosKey = `
import json, sys
from joserfc import jwt, jwk
from moto.utilities.utils import load_resource
key = jwk.RSAKey.import_key(load_resource("moto.cognitoidp.models", "resources/jwks-private.json"))
print(jwt.encode({"kid": "dummy", "alg": "RS256"}, json.load(sys.stdin), key))
`;

/**
 * A token Cognito never would issue — expired, for another audience, of another use — yet signed with
 * the local user pools' own key, so that only the claim under test can make the authorizer refuse it.
 * Runs the Python that moto_server runs (its shebang's, else python3).
 */
export function signedByMoto(payload: Record<string, unknown>): string {
  const server = execFileSync('which', ['moto_server'], { encoding: 'utf8' }).trim();
  const shebang = readFileSync(server, 'utf8').split('\n')[0]?.replace(/^#!/, '').trim() ?? '';
  const interpreters = [...(shebang.includes('python') ? [shebang.split(' ')] : []), ['python3']];
  let failure: unknown;
  for (const [command = 'python3', ...args] of interpreters) {
    try {
      return execFileSync(command, [...args, '-c', signWithMotosKey], {
        input: JSON.stringify(payload),
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      }).trim();
    } catch (error) {
      failure = error;
    }
  }
  throw new Error(`cannot sign with moto's key: ${(failure as Error)?.message}`);
}

/** The payload of a JWT, decoded (not verified). */
export const payloadOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
