/** What CloudFormation would know at deploy time, for a stack that only exists locally. */
export interface LocalStack {
  region: string;
  accountId: string;
  stackName: string;
  /** Template parameter values (defaults unless overridden). */
  parameters: Record<string, string>;
  /** Physical names of created resources by logical id (what `!Ref` returns for tables, queues …). */
  physicalIds: Record<string, string>;
  /** `!GetAtt` values of created resources by logical id, e.g. `{ Jobs: { Arn: 'arn:…', QueueName: 'jobs' } }`. */
  attributes?: Record<string, Record<string, string>>;
  /** Evaluated template conditions. */
  conditions: Record<string, boolean>;
}

/**
 * Resolves CloudFormation intrinsics (long form, as read-template produces) to plain values for a
 * local stack: Ref (parameters, pseudo parameters, resources), Fn::GetAtt (`Arn` and `<Name>` of known
 * resources), Fn::Sub, Fn::Join, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::Select, Fn::Split.
 * Anything it cannot resolve is an error naming it, rather than a silently wrong value.
 */
export function resolveIntrinsics(value: unknown, stack: LocalStack): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, stack));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    return resolveFunction(first[0], first[1], stack);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, stack)]));
}

/** Evaluates every condition in a template's `Conditions` section (they may refer to each other). */
export function evaluateConditions(
  conditions: Record<string, unknown>,
  stack: Omit<LocalStack, 'conditions'>,
): Record<string, boolean> {
  const evaluated: Record<string, boolean> = {};
  const local: LocalStack = { ...stack, conditions: evaluated };
  const evaluate = (name: string, seen: string[]): boolean => {
    if (name in evaluated) return evaluated[name] as boolean;
    if (seen.includes(name)) throw new Error(`Condition ${name} refers to itself`);
    const definition = conditions[name];
    if (definition === undefined) throw new Error(`Unknown condition ${name}`);
    const result = Boolean(
      resolveIntrinsics(
        substituteConditions(definition, (inner) => evaluate(inner, [...seen, name])),
        local,
      ),
    );
    evaluated[name] = result;
    return result;
  };
  for (const name of Object.keys(conditions)) evaluate(name, []);
  return evaluated;
}

function substituteConditions(value: unknown, evaluate: (name: string) => boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => substituteConditions(item, evaluate));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (typeof record.Condition === 'string' && Object.keys(record).length === 1)
    return evaluate(record.Condition);
  return Object.fromEntries(
    Object.entries(record).map(([key, item]) => [key, substituteConditions(item, evaluate)]),
  );
}

function resolveFunction(name: string, argument: unknown, stack: LocalStack): unknown {
  const resolve = (value: unknown) => resolveIntrinsics(value, stack);
  switch (name) {
    case 'Ref':
      return ref(String(argument), stack);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
      return getAtt(String(logicalId), String(attribute), stack);
    }
    case 'Fn::Sub': {
      const [template, variables] = Array.isArray(argument) ? argument : [argument, {}];
      const extra = resolve(variables) as Record<string, unknown>;
      return String(template).replace(/\$\{([^}!]+)\}/g, (_, expression: string) => {
        if (expression in extra) return String(extra[expression]);
        const [logicalId, attribute] = expression.split('.');
        return String(attribute ? getAtt(String(logicalId), attribute, stack) : ref(expression, stack));
      });
    }
    case 'Fn::Join': {
      const [separator, items] = argument as [string, unknown[]];
      return (resolve(items) as unknown[]).join(separator);
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
      if (!(condition in stack.conditions)) throw new Error(`Unknown condition ${condition}`);
      return resolve(stack.conditions[condition] ? whenTrue : whenFalse);
    }
    case 'Fn::Equals': {
      const [left, right] = resolve(argument) as [unknown, unknown];
      return String(left) === String(right);
    }
    case 'Fn::Not':
      return !(resolve(argument) as boolean[])[0];
    case 'Fn::And':
      return (resolve(argument) as boolean[]).every(Boolean);
    case 'Fn::Or':
      return (resolve(argument) as boolean[]).some(Boolean);
    case 'Fn::Select': {
      const [index, items] = resolve(argument) as [number | string, unknown[]];
      return items[Number(index)];
    }
    case 'Fn::Split': {
      const [separator, text] = resolve(argument) as [string, string];
      return text.split(separator);
    }
    default:
      throw new Error(`${name} is not supported locally`);
  }
}

function ref(name: string, stack: LocalStack): string {
  const pseudo: Record<string, string> = {
    'AWS::Region': stack.region,
    'AWS::AccountId': stack.accountId,
    'AWS::StackName': stack.stackName,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::NoValue': '',
  };
  const value = pseudo[name] ?? stack.parameters[name] ?? stack.physicalIds[name];
  if (value === undefined) throw new Error(`!Ref ${name}: no such parameter or local resource`);
  return value;
}

function getAtt(logicalId: string, attribute: string, stack: LocalStack): string {
  const known = stack.attributes?.[logicalId]?.[attribute];
  if (known !== undefined) return known;
  const physicalId = stack.physicalIds[logicalId];
  if (physicalId === undefined) throw new Error(`!GetAtt ${logicalId}.${attribute}: no such local resource`);
  if (attribute === 'Arn')
    return `arn:aws:local:${stack.region}:${stack.accountId}:${logicalId}/${physicalId}`;
  return physicalId;
}
