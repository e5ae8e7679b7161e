/**
 * A token's claims as a REST API's Cognito authorizer hands them to the integration: every value a
 * string, lists in brackets (`[admins, editors]`), `exp` and `iat` as dates (Java's Date#toString, in
 * UTC). What pnpm dev's local authorizer passes, and what test events carry.
 */
export function asApiGatewayPasses(payload: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload).map(([name, value]) => {
      if ((name === 'exp' || name === 'iat') && typeof value === 'number') return [name, javaDate(value)];
      if (Array.isArray(value)) return [name, `[${value.join(', ')}]`];
      return [name, typeof value === 'string' ? value : JSON.stringify(value)];
    }),
  );
}

/** Epoch seconds as API Gateway writes `exp` and `iat`. */
function javaDate(seconds: number): string {
  const [weekday, day, month, year, time] = new Date(seconds * 1000)
    .toUTCString()
    .replace(',', '')
    .split(' ');
  return `${weekday} ${month} ${day} ${time} UTC ${year}`;
}
