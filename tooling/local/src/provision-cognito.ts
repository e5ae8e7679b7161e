/** Cognito user pools (moto issues their tokens), their app clients and groups. */
import {
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  type ExplicitAuthFlowsType,
  type UsernameAttributeType,
  type VerifiedAttributeType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Properties, ProvisionContext } from './provision-context.ts';
import { generatedName } from './provision-names.ts';
import { isTrue, reportWithoutLocalEffect, text } from './provision-properties.ts';
import type { LocalResource } from './types.ts';

// Protection, recovery and sign-up settings that change nothing the API or a function sees locally.
const userPoolPropertiesWithoutLocalEffect = [
  'DeletionProtection',
  'AccountRecoverySetting',
  'MfaConfiguration',
  'EnabledMfas',
  'AdminCreateUserConfig',
  'EmailConfiguration',
  'LambdaConfig',
  'UserPoolAddOns',
];

/** A user pool in the local AWS (moto issues its RS256 tokens and serves their JWKS). */
export async function createUserPool(
  context: ProvisionContext,
  logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const { stack, clients } = context;
  reportWithoutLocalEffect(context, logicalId, properties, userPoolPropertiesWithoutLocalEffect);
  const { UserPool } = await clients.cognito.send(
    new CreateUserPoolCommand({
      PoolName: text(properties.UserPoolName) ?? generatedName(stack.stackName, logicalId, 128),
      UsernameAttributes: properties.UsernameAttributes as UsernameAttributeType[] | undefined,
      AutoVerifiedAttributes: properties.AutoVerifiedAttributes as VerifiedAttributeType[] | undefined,
      Policies: properties.Policies as never,
    }),
  );
  const id = UserPool?.Id ?? '';
  const providerName = `cognito-idp.${stack.region}.amazonaws.com/${id}`;
  return {
    type: 'AWS::Cognito::UserPool',
    ref: id,
    attributes: {
      Arn: UserPool?.Arn ?? `arn:aws:cognito-idp:${stack.region}:${stack.accountId}:userpool/${id}`,
      ProviderName: providerName,
      ProviderURL: `https://${providerName}`,
      UserPoolId: id,
    },
  };
}

/** An app client of a pool, allowing the template's auth flows and the admin flow `pnpm id-token` uses. */
export async function createUserPoolClient(
  context: ProvisionContext,
  _logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const { clients } = context;
  const { UserPoolClient } = await clients.cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: text(properties.UserPoolId),
      ClientName: text(properties.ClientName) ?? 'local',
      GenerateSecret: isTrue(properties.GenerateSecret),
      // The template's flows, and the one `pnpm id-token` signs local users in with.
      ExplicitAuthFlows: [
        ...new Set([
          ...((properties.ExplicitAuthFlows as ExplicitAuthFlowsType[] | undefined) ?? []),
          'ALLOW_ADMIN_USER_PASSWORD_AUTH' as const,
        ]),
      ],
    }),
  );
  const id = UserPoolClient?.ClientId ?? '';
  return {
    type: 'AWS::Cognito::UserPoolClient',
    ref: id,
    attributes: { ClientId: id, Name: UserPoolClient?.ClientName ?? '' },
  };
}

/** A group of a user pool. */
export async function createUserPoolGroup(
  context: ProvisionContext,
  _logicalId: string,
  properties: Properties,
): Promise<LocalResource> {
  const name = text(properties.GroupName) ?? 'group';
  await context.clients.cognito.send(
    new CreateGroupCommand({
      GroupName: name,
      UserPoolId: text(properties.UserPoolId),
      Description: text(properties.Description),
    }),
  );
  return { type: 'AWS::Cognito::UserPoolGroup', ref: name, attributes: {} };
}
