import { randomBytes } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import type { StackFile } from './local-stack.ts';

/** Signs a local user in and returns their ID token (what the API's Cognito authorizer accepts). */
export async function localIdToken(
  stack: Pick<StackFile, 'endpoint' | 'region' | 'resources'>,
  { email, admin = false }: { email: string; admin?: boolean },
): Promise<string> {
  const byType = (type: string) =>
    Object.values(stack.resources).filter((resource) => resource.type === type);
  const [pool] = byType('AWS::Cognito::UserPool');
  const [client] = byType('AWS::Cognito::UserPoolClient');
  const groups = byType('AWS::Cognito::UserPoolGroup');
  if (!pool || !client) throw new Error('the stack has no Cognito user pool with an app client');
  if (admin && groups.length !== 1) {
    throw new Error(`--admin needs exactly one user pool group in the stack, found ${groups.length}`);
  }
  const cognito = new CognitoIdentityProviderClient({
    endpoint: stack.endpoint,
    region: stack.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    const UserPoolId = pool.ref;
    try {
      await cognito.send(
        new AdminCreateUserCommand({
          UserPoolId,
          Username: email,
          UserAttributes: [
            { Name: 'email', Value: email },
            { Name: 'email_verified', Value: 'true' },
          ],
          MessageAction: 'SUPPRESS',
        }),
      );
    } catch (error) {
      if (!(error instanceof UsernameExistsException)) throw error;
    }
    // A fresh password each time: nobody needs to know it, the token is what the API wants.
    const password = `Local-${randomBytes(12).toString('base64url')}1a`;
    await cognito.send(
      new AdminSetUserPasswordCommand({ UserPoolId, Username: email, Password: password, Permanent: true }),
    );
    if (admin) {
      await cognito.send(
        new AdminAddUserToGroupCommand({ UserPoolId, Username: email, GroupName: groups[0]?.ref }),
      );
    }
    const { AuthenticationResult } = await cognito.send(
      new AdminInitiateAuthCommand({
        UserPoolId,
        ClientId: client.ref,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    );
    if (!AuthenticationResult?.IdToken) throw new Error(`no ID token for ${email}`);
    return AuthenticationResult.IdToken;
  } finally {
    cognito.destroy();
  }
}
