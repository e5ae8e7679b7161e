import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findWorkspaceRoot, readTemplate } from '@repo/sam-template/read-template';
import { describe, expect, it } from 'vitest';

const file = join(findWorkspaceRoot(), 'infra', 'github-oidc.yaml');
const template = readTemplate(file);

/** The JSON policy text inside a `!Sub [text, vars]`. */
const policyText = (value: unknown) => ((value as { 'Fn::Sub': [string, unknown] })['Fn::Sub'] ?? [])[0];

describe('infra/github-oidc.yaml (CI access without keys)', () => {
  it('is valid CloudFormation', () => {
    const lint = spawnSync('cfn-lint', [file], { encoding: 'utf8' });
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
  });

  it.each([
    ['DevDeployRole', 'dev', 'prod'],
    ['ProdDeployRole', 'prod', 'dev'],
  ])('lets only this repository’s %s jobs in GitHub environment "%s" assume it', (role, stage, other) => {
    const properties = template.Resources[role]?.Properties ?? {};
    const trust = JSON.parse(policyText(properties.AssumeRolePolicyDocument).replaceAll(/\$\{[^}]+\}/g, 'X'));
    const [statement] = trust.Statement;
    expect(statement.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(statement.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': `repo:X:environment:${stage}`,
      },
    });
    // Its rights reach its own stack and the SAM artifacts, never the other stage's stack.
    const policies = properties.Policies as { PolicyDocument: unknown }[];
    const rights = policies.map((policy) => policyText(policy.PolicyDocument)).join('\n');
    expect(rights).toContain(`stack/\${StackPrefix}-${stage}/*`);
    expect(rights).not.toContain(`-${other}/`);
    expect(rights).not.toMatch(/"Action": "\*"|"iam:\*"/);
  });
});
