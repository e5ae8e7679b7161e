// @ts-check
// users-api's check of a cold start's first response, run by @repo/testing's cold-start child after the
// timing: a 200 always; with an expected user id (a real bundle), user Ada under that id.

/**
 * @param {any} response what the handler returned
 * @param {string} [expectedUserId]
 * @returns {string | undefined} why the response is wrong, if it is
 */
export function checkResponse(response, expectedUserId) {
  if (response?.statusCode !== 200) return `expected a 200, got ${JSON.stringify(response)}`;
  if (expectedUserId) {
    const user = JSON.parse(response.body);
    if (user.id !== expectedUserId || user.name !== 'Ada') return `expected user Ada, got ${response.body}`;
  }
  return undefined;
}
