/** Which resources are created (their Condition holds) and in what order (after what they refer to). */
import { serverlessFunctions, type Template } from '@repo/sam-template/read-template';
import { referencedIds } from '@repo/sam-template/template-values';
import { type Properties, ProvisionError } from './provision-context.ts';

/** A resource that is created: its type, its properties (Globals merged in), its DependsOn. */
export interface ActiveResource {
  Type: string;
  properties: Properties;
  dependsOn: string[];
}

/** Resources whose Condition holds; functions with their Globals merged in. */
export function activeResources(template: Template, conditions: Record<string, boolean>) {
  const functions = new Map(serverlessFunctions(template).map((fn) => [fn.logicalId, fn.properties]));
  const active: Record<string, ActiveResource> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined) {
      if (!(resource.Condition in conditions)) {
        throw new ProvisionError(`Resources.${logicalId}: unknown Condition ${resource.Condition}`);
      }
      if (!conditions[resource.Condition]) continue;
    }
    active[logicalId] = {
      Type: resource.Type,
      properties: functions.get(logicalId) ?? resource.Properties ?? {},
      dependsOn: [resource.DependsOn ?? []].flat(),
    };
  }
  return active;
}

/** Logical ids, each after every resource its properties refer to; a cycle is an error naming it. */
export function creationOrder(resources: Record<string, ActiveResource>): string[] {
  const order: string[] = [];
  const visiting: string[] = [];
  const visit = (logicalId: string) => {
    if (order.includes(logicalId)) return;
    if (visiting.includes(logicalId)) {
      const cycle = [...visiting.slice(visiting.indexOf(logicalId)), logicalId];
      throw new ProvisionError(`Circular dependency between resources: ${cycle.join(' -> ')}`);
    }
    visiting.push(logicalId);
    const { Type, properties, dependsOn } = resources[logicalId] as ActiveResource;
    // A function's Events are wired after all resources exist, so they impose no order.
    const own = Type === 'AWS::Serverless::Function' ? { ...properties, Events: undefined } : properties;
    for (const dependency of new Set([...referencedIds(own), ...dependsOn])) {
      if (dependency in resources) visit(dependency);
    }
    visiting.pop();
    order.push(logicalId);
  };
  for (const logicalId of Object.keys(resources)) visit(logicalId);
  return order;
}
