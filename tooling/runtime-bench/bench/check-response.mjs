// @ts-check
// What each function's answer to the bench's event must be (bench/functions.ts says which event), checked
// by @repo/testing's cold-start child after its timing and by bench/warm-child.mjs after each batch. A
// wrong answer means the handler took another path (an AWS call, a crash turned into a 500): the run fails.

/** @type {Record<string, (response: any) => boolean>} */
const expected = {
  empty: (response) => response?.statusCode === 200,
  'users-api': (response) =>
    response?.statusCode === 404 && JSON.parse(response.body ?? '{}').error === 'UserNotFound',
  'uploads-api': (response) => response?.statusCode === 400,
  'upload-processor': skippedOutsidePrefix,
  'image-resizer': skippedOutsidePrefix,
  'batch-worker': (response) => response?.batchItemFailures?.length === 1,
};

/**
 * @param {any} response what the handler returned
 * @param {string} app whose answer it is (`empty` for the empty handler)
 * @returns {string | undefined} why the response is wrong, if it is
 */
export function checkResponse(response, app) {
  const check = expected[app];
  if (!check) return `no expected answer for ${app}`;
  return check(response) ? undefined : `${app}: unexpected answer ${JSON.stringify(response)}`;
}

/** @param {any} response */
function skippedOutsidePrefix(response) {
  return (
    Array.isArray(response) &&
    response.length === 1 &&
    response[0].status === 'skipped' &&
    response[0].reason === 'outside-input-prefix'
  );
}
