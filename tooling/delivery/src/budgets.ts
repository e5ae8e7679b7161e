/** One app's entry in budgets.json. */
export interface Budget {
  /** Enforced ceiling for dist/index.mjs in KB (1024 bytes): over it, CI fails. */
  budgetKb: number;
  /** Where the bundle should get to (an issue's target); reported, never enforced. null: none named. */
  goalKb: number | null;
  /** Why these numbers: what today's size is made of, where the goal comes from. */
  why: string;
}

export type Budgets = Record<string, Budget>;

export type BudgetStatus = 'ok' | 'over budget' | 'no budget' | 'no dist';

export interface BudgetRow {
  app: string;
  /** dist/index.mjs in KB; undefined when the app has not been built. */
  sizeKb: number | undefined;
  budgetKb: number | undefined;
  goalKb: number | null | undefined;
  status: BudgetStatus;
  /** undefined when there is no goal or nothing to compare with it. */
  goalMet: boolean | undefined;
}

export interface BudgetReport {
  rows: BudgetRow[];
  /** One line per problem that fails the check; empty when every app is within budget. */
  failures: string[];
}

/** budgets.json is malformed; the message names every bad entry. */
export class BudgetsFileError extends Error {
  override name = 'BudgetsFileError';
}

/** Same unit as the benches: KB = 1024 bytes. */
export const bytesToKb = (bytes: number): number => bytes / 1024;

const isPositiveNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0;

/** Validates the parsed budgets.json: `{ "<app>": { budgetKb, goalKb, why } }`. */
export function parseBudgets(value: unknown, source = 'budgets.json'): Budgets {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BudgetsFileError(`${source} must be an object keyed by app name`);
  }
  const problems: string[] = [];
  for (const [app, entry] of Object.entries(value)) {
    const { budgetKb, goalKb, why } = (entry ?? {}) as Record<string, unknown>;
    if (!isPositiveNumber(budgetKb)) problems.push(`${app}: "budgetKb" must be a positive number of KB`);
    if (goalKb !== null && !isPositiveNumber(goalKb)) {
      problems.push(`${app}: "goalKb" must be a positive number of KB, or null when no goal was named`);
    }
    if (typeof why !== 'string' || why.trim() === '') problems.push(`${app}: "why" must say why`);
  }
  if (problems.length > 0) throw new BudgetsFileError(`${source} is invalid:\n${problems.join('\n')}`);
  return value as Budgets;
}

const kbText = (kb: number) => kb.toFixed(1);

/**
 * Compares each app's bundle size (bytes; undefined when not built) with its budget. Over budget, no
 * budget, no dist and a budget for an app that does not exist fail; a goal not met is only reported.
 */
export function checkBudgets(sizes: Record<string, number | undefined>, budgets: Budgets): BudgetReport {
  const failures: string[] = [];
  const rows = Object.entries(sizes)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([app, bytes]): BudgetRow => {
      const budget = Object.hasOwn(budgets, app) ? budgets[app] : undefined;
      const sizeKb = bytes === undefined ? undefined : bytesToKb(bytes);
      const goalKb = budget?.goalKb;
      const goalMet = sizeKb === undefined || goalKb == null ? undefined : sizeKb <= goalKb;
      const row = { app, sizeKb, budgetKb: budget?.budgetKb, goalKb, goalMet };
      if (sizeKb === undefined) {
        failures.push(`apps/${app}/dist/index.mjs is missing: run pnpm build first`);
        return { ...row, status: 'no dist' };
      }
      if (budget === undefined) {
        failures.push(
          `${app} has no entry in budgets.json: add "${app}": { "budgetKb": …, "goalKb": …, "why": "…" }`,
        );
        return { ...row, status: 'no budget' };
      }
      if (sizeKb > budget.budgetKb) {
        const overBytes = Math.ceil((sizeKb - budget.budgetKb) * 1024); // exact: dividing by 1024 lost nothing
        failures.push(
          `${app}: dist/index.mjs is ${kbText(sizeKb)} KB, over its ${budget.budgetKb} KB budget by ` +
            `${kbText(sizeKb - budget.budgetKb)} KB (${overBytes} B)`,
        );
        return { ...row, status: 'over budget' };
      }
      return { ...row, status: 'ok' };
    });
  for (const app of Object.keys(budgets)) {
    if (!Object.hasOwn(sizes, app)) {
      failures.push(`budgets.json has an entry for "${app}", which is not an app in apps/: remove it`);
    }
  }
  return { rows, failures };
}

function statusText(row: BudgetRow): string {
  const status = { ok: 'OK', 'over budget': 'OVER BUDGET', 'no budget': 'NO BUDGET', 'no dist': 'NOT BUILT' }[
    row.status
  ];
  if (row.goalMet === undefined || row.sizeKb === undefined || row.goalKb == null) return status;
  return row.goalMet
    ? `${status}, goal met`
    : `${status}, goal not met (${kbText(row.sizeKb - row.goalKb)} KB to go)`;
}

/** The report as an aligned text table: app, size KB, budget, goal, status. */
export function formatBudgetTable(rows: readonly BudgetRow[]): string {
  const cells = [
    ['app', 'size KB', 'budget KB', 'goal KB', 'status'],
    ...rows.map((row) => [
      row.app,
      row.sizeKb === undefined ? '–' : kbText(row.sizeKb),
      row.budgetKb === undefined ? '–' : String(row.budgetKb),
      row.goalKb == null ? '–' : String(row.goalKb),
      statusText(row),
    ]),
  ];
  const widths = [0, 1, 2, 3].map((column) => Math.max(...cells.map((line) => (line[column] ?? '').length)));
  return cells
    .map((line) =>
      line
        .map((cell, column) => {
          const width = widths[column];
          if (width === undefined) return cell; // the last column is not padded
          return column === 0 ? cell.padEnd(width) : cell.padStart(width);
        })
        .join('   '),
    )
    .join('\n');
}
