import {
  CognitoIdentityProviderClient,
  ListUserPoolClientsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { asApiGatewayPasses } from '@repo/aws-local/api-gateway-claims';
import { serverlessFunctions, type Template } from '@repo/sam-template/read-template';
import { CognitoJwtVerifier } from 'aws-jwt-verify';

/** A route's Cognito user pool authorizer, as the template declares it (intrinsics resolved). */
export interface CognitoRouteAuthorizer {
  /** The authorizer's name under the API's `Auth.Authorizers`, for messages. */
  name: string;
  /** `UserPoolArn`: one pool, or several (a token of any of them is accepted). */
  userPoolArns: string[];
  /** The request header the token comes in (`Identity.Header`, default `Authorization`), lower case. */
  header: string;
  /** `AddDefaultAuthorizerToCorsPreflight: false` on a default authorizer: OPTIONS requests pass unchecked. */
  openPreflight: boolean;
}

/** What API Gateway's authorizer puts in `requestContext.authorizer`, or why it answers 401. */
export type Authorization = { claims: Record<string, string> } | { unauthorized: string };

/**
 * API Gateway's Cognito user pool authorizer for a REST API, against the local AWS: the token comes
 * from the route's header (raw, or after `Bearer `), must be an ID token of the user pool — signed by
 * the pool's key (moto's JWKS), issued by the pool, for one of the pool's app clients, not expired —
 * and its claims reach the function as API Gateway passes them: every value a string, lists in
 * brackets (`[admins, editors]`), `exp` and `iat` as dates. Anything else is a 401 before the function
 * runs.
 *
 * Built on aws-jwt-verify (AWS's own verifier, the one a Lambda authorizer would use); written here only
 * where moto differs from Cognito: the JWKS is read from the local endpoint over HTTP and handed to the
 * verifier, which fetches only over HTTPS.
 */
export function cognitoAuthorizer({
  endpoint,
  region,
  credentials,
}: {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}) {
  const cognito = new CognitoIdentityProviderClient({ endpoint, region, credentials });
  const verifiers = new Map<string, ReturnType<typeof verifierFor>>();

  async function verifierFor(userPoolId: string) {
    const { UserPoolClients = [] } = await cognito.send(
      new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }),
    );
    const clientIds = UserPoolClients.map((client) => client.ClientId ?? '').filter(Boolean);
    const verifier = CognitoJwtVerifier.create({
      userPoolId,
      tokenUse: 'id',
      clientId: clientIds.length > 0 ? clientIds : null,
    });
    const jwks = await fetch(`${endpoint}/${userPoolId}/.well-known/jwks.json`);
    if (!jwks.ok) throw new Error(`no JWKS for user pool ${userPoolId} at ${endpoint} (${jwks.status})`);
    verifier.cacheJwks((await jwks.json()) as Parameters<typeof verifier.cacheJwks>[0]);
    return verifier;
  }

  return {
    async authorize(authorizer: CognitoRouteAuthorizer, headers: [string, string][]): Promise<Authorization> {
      const value = headers.findLast(([name]) => name.toLowerCase() === authorizer.header)?.[1];
      if (!value) return { unauthorized: `no ${authorizer.header} header` };
      const token = value.replace(/^Bearer\s+/i, '').trim();
      const reasons: string[] = [];
      for (const arn of authorizer.userPoolArns) {
        const userPoolId = arn.split('/').at(-1) ?? '';
        const verifier = verifiers.get(userPoolId) ?? verifierFor(userPoolId);
        if (!verifiers.has(userPoolId)) {
          verifiers.set(userPoolId, verifier);
          // A pool that could not be read is read again on the next request, not cached as broken.
          verifier.catch(() => verifiers.delete(userPoolId));
        }
        try {
          const payload = await (await verifier).verify(token);
          return { claims: asApiGatewayPasses(payload) };
        } catch (error) {
          reasons.push((error as Error).message);
        }
      }
      return { unauthorized: reasons.join('; ') };
    },
    close: () => cognito.destroy(),
  };
}

/**
 * The authorizer API Gateway runs for `route`, from the template: the event's own `Auth.Authorizer`,
 * else its API's `Auth.DefaultAuthorizer` (`NONE`: none). Cognito user pool authorizers are enforced
 * locally; any other kind is returned as `unsupported`, and its routes answer 401 (fail closed).
 */
export function routeAuthorizer(
  template: Template,
  route: { functionId: string; eventName: string; restApiId: string },
  resolve: (value: unknown) => unknown,
): CognitoRouteAuthorizer | { unsupported: string } | undefined {
  const global = (template.Globals?.Api as { Auth?: ApiAuth } | undefined)?.Auth;
  const api = template.Resources[route.restApiId];
  const auth = { ...global, ...((api?.Properties?.Auth as ApiAuth | undefined) ?? {}) };
  const event = serverlessFunctions(template).find(({ logicalId }) => logicalId === route.functionId)
    ?.properties.Events as Record<string, { Properties?: { Auth?: { Authorizer?: string } } }> | undefined;
  const own = event?.[route.eventName]?.Properties?.Auth?.Authorizer;
  const name = own ?? auth.DefaultAuthorizer;
  if (!name || name === 'NONE') return undefined;
  const where = `Resources.${route.restApiId}.Auth.Authorizers.${name}`;
  const definition = auth.Authorizers?.[name];
  if (!definition) return { unsupported: `${where}: not declared (its routes answer 401)` };
  if (definition.UserPoolArn === undefined) {
    return {
      unsupported: `${where}: only Cognito user pool authorizers run locally (its routes answer 401)`,
    };
  }
  const arns = resolve(definition.UserPoolArn);
  return {
    name,
    userPoolArns: (Array.isArray(arns) ? arns : [arns]).map(String),
    header: (definition.Identity?.Header ?? 'Authorization').toLowerCase(),
    openPreflight: own === undefined && auth.AddDefaultAuthorizerToCorsPreflight === false,
  };
}

interface ApiAuth {
  DefaultAuthorizer?: string;
  AddDefaultAuthorizerToCorsPreflight?: boolean;
  Authorizers?: Record<
    string,
    { UserPoolArn?: unknown; FunctionArn?: unknown; Identity?: { Header?: string } }
  >;
}
