import { isDeepStrictEqual } from 'node:util';
import type { Resource, Template } from '@repo/sam-template/read-template';

/**
 * Per-function deploys into the one stack that template.yaml describes.
 *
 * Ownership: a function belongs to the app its CodeUri names (`apps/users-api`); any other resource with
 * `Metadata: { App: users-api }` belongs to that app. Everything else — resources without an app,
 * Globals, Parameters, Conditions, Mappings — is the platform's.
 *
 * A team's deploy starts from the template that is deployed now (CloudFormation's "Original" stage: the
 * packaged template, every function's code an S3 object) and swaps in only the app's own resources from
 * the working tree, its functions pointing at their fresh build. Every other function keeps the exact
 * artifact it runs today: another team's unbuilt, stale or unreleased code cannot ride along, and nor
 * can their or the platform's template edits.
 */

export class DeployError extends Error {
  override readonly name = 'DeployError';
}

/** The app whose CodeUri a function builds from (`apps/<app>`), or the `Metadata.App` of any resource. */
export function ownerOf(resource: Resource): string | undefined {
  const app = resource.Metadata?.App;
  if (typeof app === 'string' && app !== '') return app;
  if (resource.Type === 'AWS::Serverless::Function') {
    const codeUri = resource.Properties?.CodeUri;
    if (typeof codeUri === 'string') return /^(?:\.\/)?apps\/([^/]+)\/?$/.exec(codeUri)?.[1];
  }
  return undefined;
}

/** app → its resources' logical ids, in template order. */
export function resourcesByApp(template: Template): Map<string, string[]> {
  const apps = new Map<string, string[]>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const app = ownerOf(resource);
    if (app) apps.set(app, [...(apps.get(app) ?? []), logicalId]);
  }
  return apps;
}

/** The app's functions (`AWS::Serverless::Function`), which `sam build` builds. */
export function functionsOf(template: Template, app: string): string[] {
  return (resourcesByApp(template).get(app) ?? []).filter(
    (logicalId) => template.Resources[logicalId]?.Type === 'AWS::Serverless::Function',
  );
}

/** The owner of a resource that may exist in only one of two templates (the working tree, the stack). */
function ownerOfEither(one: Resource | undefined, other: Resource | undefined): string | undefined {
  return (one && ownerOf(one)) ?? (other && ownerOf(other));
}

const pseudoParameter = /^AWS::/;

/** The logical ids (resources, parameters, conditions) a template value refers to. */
export function referencesIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencesIn(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') found.add(inner);
      else if (key === 'Fn::GetAtt') {
        const target = Array.isArray(inner)
          ? inner[0]
          : typeof inner === 'string'
            ? inner.split('.')[0]
            : undefined;
        if (typeof target === 'string') found.add(target);
        else referencesIn(inner, found);
      } else if (key === 'Fn::Sub') {
        const [text, variables] = Array.isArray(inner) ? inner : [inner, {}];
        const local = new Set(Object.keys((variables as Record<string, unknown>) ?? {}));
        if (typeof text === 'string') {
          for (const [, name] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
            const target = (name as string).split('.')[0] as string;
            if (!local.has(target)) found.add(target);
          }
        }
        referencesIn(variables, found);
      } else if ((key === 'Condition' || key === 'Fn::If') && typeof inner === 'string') found.add(inner);
      else if (key === 'Fn::If' && Array.isArray(inner)) {
        if (typeof inner[0] === 'string') found.add(inner[0]);
        referencesIn(inner.slice(1), found);
      } else referencesIn(inner, found);
    }
  }
  for (const id of found) if (pseudoParameter.test(id)) found.delete(id);
  return found;
}

function referencesOfResource(resource: Resource): Set<string> {
  const found = referencesIn(resource.Properties ?? {});
  for (const dependency of [resource.DependsOn ?? []].flat()) found.add(dependency);
  if (resource.Condition) found.add(resource.Condition);
  return found;
}

export interface Composition {
  /** The template to `sam deploy`: what is deployed, with the app's own resources from the working tree. */
  template: Template;
  /** The app's resources taken from the working tree (added or replaced). */
  shipped: string[];
  /** The app's resources that are deployed but no longer in the working tree: deleted by this deploy. */
  removed: string[];
  /** What this deploy leaves as deployed although the working tree differs: for its owners to ship. */
  notShipped: string[];
}

export interface ComposeOptions {
  app: string;
  /** The working tree's template.yaml. */
  local: Template;
  /** The stack's deployed template ("Original" stage), or undefined when the stack does not exist. */
  deployed: Template | undefined;
  /** Where `sam build` put a function's artifact (an absolute folder): its CodeUri in the result. */
  builtCodeUri: (logicalId: string) => string;
  stackName: string;
}

/** Builds the template for deploying one app's resources, leaving everything else as deployed. */
export function composeAppDeploy({
  app,
  local,
  deployed,
  builtCodeUri,
  stackName,
}: ComposeOptions): Composition {
  const localApps = resourcesByApp(local);
  const owned = localApps.get(app) ?? [];
  if (owned.length === 0) {
    const apps = [...localApps.keys()].join(', ');
    throw new DeployError(`template.yaml has no resources of ${app} (apps: ${apps})`);
  }
  if (!deployed) {
    throw new DeployError(
      `Stack ${stackName} does not exist yet: create it once with every function, ` +
        '`pnpm run deploy --all --stage <stage>`, then deploy one function at a time.',
    );
  }
  const template = structuredClone(deployed);
  const ownedSet = new Set(owned);
  const deployedOwned = Object.keys(deployed.Resources).filter(
    (logicalId) => ownedSet.has(logicalId) || ownerOf(deployed.Resources[logicalId] as Resource) === app,
  );
  const removed = deployedOwned.filter((logicalId) => !ownedSet.has(logicalId));
  for (const logicalId of removed) delete template.Resources[logicalId];

  for (const logicalId of owned) {
    const resource = structuredClone(local.Resources[logicalId] as Resource);
    if (resource.Type === 'AWS::Serverless::Function') {
      resource.Properties = { ...resource.Properties, CodeUri: builtCodeUri(logicalId) };
      // Built already: `sam deploy` only zips and uploads the folder.
      const { BuildMethod: _built, BuildProperties: _properties, ...metadata } = resource.Metadata ?? {};
      resource.Metadata = { ...metadata, App: app };
    }
    template.Resources[logicalId] = resource;
  }

  // Outputs about the app's resources follow them; outputs about removed ones go with them.
  const outputs = { ...(template.Outputs ?? {}) };
  for (const [name, output] of Object.entries(local.Outputs ?? {})) {
    if ([...referencesIn(output)].some((id) => ownedSet.has(id))) outputs[name] = structuredClone(output);
  }
  for (const [name, output] of Object.entries(outputs)) {
    if ([...referencesIn(output)].some((id) => removed.includes(id))) delete outputs[name];
  }
  if (Object.keys(outputs).length > 0) template.Outputs = outputs;

  assertResolvable(template, app, owned, removed);
  return { template, shipped: owned, removed, notShipped: driftLeftBehind(local, deployed, app) };
}

/** Every reference of the composed template must resolve in it; say whose change is missing if not. */
function assertResolvable(template: Template, app: string, owned: string[], removed: string[]): void {
  const known = new Set([
    ...Object.keys(template.Resources),
    ...Object.keys(template.Parameters ?? {}),
    ...Object.keys(template.Conditions ?? {}),
  ]);
  const problems: string[] = [];
  for (const logicalId of owned) {
    const missing = [...referencesOfResource(template.Resources[logicalId] as Resource)].filter(
      (id) => !known.has(id),
    );
    if (missing.length > 0) {
      problems.push(
        `${logicalId} refers to ${missing.join(', ')}, which the stack does not have yet: that is a platform ` +
          'change (Globals/Parameters/Conditions or a shared resource) — ship it first with `pnpm run deploy --all`',
      );
    }
  }
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (owned.includes(logicalId)) continue;
    const gone = [...referencesOfResource(resource)].filter((id) => removed.includes(id));
    if (gone.length > 0) {
      problems.push(
        `${logicalId} (not ${app}'s) still refers to ${gone.join(', ')}, which this deploy would delete: ` +
          `ship ${logicalId}'s change first, or keep ${gone.join(', ')} until then`,
      );
    }
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    const missing = [...referencesIn(output)].filter((id) => !known.has(id));
    if (missing.length > 0)
      problems.push(`output ${name} refers to ${missing.join(', ')}, which is not in the stack`);
  }
  if (problems.length > 0)
    throw new DeployError(`Cannot deploy ${app} alone:\n  - ${problems.join('\n  - ')}`);
}

/** The template-wide sections, all the platform's, that differ between two templates. */
function changedSharedSections(one: Template, other: Template): string[] {
  return (['Globals', 'Parameters', 'Conditions', 'Mappings'] as const).filter(
    (section) => !isDeepStrictEqual(one[section] ?? {}, other[section] ?? {}),
  );
}

/** The working tree's changes outside the app that this deploy does not ship, named for their owners. */
function driftLeftBehind(local: Template, deployed: Template, app: string): string[] {
  const notes = changedSharedSections(local, deployed).map(
    (section) => `${section} (platform; ships with \`pnpm run deploy --all\`)`,
  );
  const ids = new Set([...Object.keys(local.Resources), ...Object.keys(deployed.Resources)]);
  for (const logicalId of ids) {
    const mine = local.Resources[logicalId];
    const theirs = deployed.Resources[logicalId];
    const owner = ownerOfEither(mine, theirs);
    if (owner === app) continue;
    if (mine?.Type === 'AWS::Serverless::Function' && theirs) {
      // Deployed code is an S3 object; only the rest of the definition is comparable.
      const { CodeUri: _local, ...localRest } = mine.Properties ?? {};
      const { CodeUri: _deployed, ...deployedRest } = theirs.Properties ?? {};
      const { BuildMethod: _a, ...localMetadata } = mine.Metadata ?? {};
      const { BuildMethod: _b, ...deployedMetadata } = theirs.Metadata ?? {};
      if (isDeepStrictEqual(localRest, deployedRest) && isDeepStrictEqual(localMetadata, deployedMetadata)) {
        notes.push(`${logicalId}'s code (${owner}; ships with \`pnpm run deploy ${owner}\`)`);
        continue;
      }
    } else if (isDeepStrictEqual(mine, theirs)) continue;
    const who = owner
      ? `${owner}; ships with \`pnpm run deploy ${owner}\``
      : 'platform; ships with `pnpm run deploy --all`';
    notes.push(`${logicalId} (${who})${mine ? (theirs ? '' : ' — new') : ' — deleted in the working tree'}`);
  }
  return notes;
}

/**
 * Which apps a change touches: the apps turbo says are affected (their code or a package they use
 * changed), plus those whose own resources differ between the two templates. `platform` is true when a
 * shared part of the template changed, which only a full deploy ships.
 */
export function affectedApps(options: {
  current: Template;
  base: Template | undefined;
  changedWorkspaces: string[];
}): { apps: string[]; platform: boolean } {
  const { current, base, changedWorkspaces } = options;
  const currentApps = resourcesByApp(current);
  const apps = new Set(
    changedWorkspaces
      .map((path) => /^apps\/([^/]+)$/.exec(path)?.[1])
      .filter((app): app is string => app !== undefined && currentApps.has(app)),
  );
  if (!base) return { apps: [...currentApps.keys()].sort(), platform: true };
  const ids = new Set([...Object.keys(current.Resources), ...Object.keys(base.Resources)]);
  let platform = false;
  for (const logicalId of ids) {
    const now = current.Resources[logicalId];
    const before = base.Resources[logicalId];
    if (isDeepStrictEqual(now, before)) continue;
    const owner = ownerOfEither(now, before);
    if (owner) apps.add(owner);
    else platform = true;
  }
  if (changedSharedSections(current, base).length > 0) platform = true;
  return { apps: [...apps].filter((app) => currentApps.has(app)).sort(), platform };
}
