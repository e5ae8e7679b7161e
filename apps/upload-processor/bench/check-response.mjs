// @ts-check
// upload-processor's check of a cold start's first response, run by @repo/testing's cold-start child after
// the timing. With an expected SHA-256 the response must be one `recorded` outcome with a messageId for an
// object of that digest (so the S3 body really went through the scan); without, an empty handler's `[]`.

/**
 * @param {any} response what the handler returned
 * @param {string} [expectedSha256]
 * @returns {string | undefined} why the response is wrong, if it is
 */
export function checkResponse(response, expectedSha256) {
  if (!Array.isArray(response)) return `expected an array of outcomes, got ${JSON.stringify(response)}`;
  if (expectedSha256) {
    const [outcome] = response;
    if (
      response.length !== 1 ||
      outcome?.status !== 'recorded' ||
      typeof outcome.messageId !== 'string' ||
      outcome.messageId === '' ||
      outcome.record?.sha256 !== expectedSha256
    ) {
      return `expected one 'recorded' outcome with a messageId, got ${JSON.stringify(response)}`;
    }
  } else if (response.length !== 0) {
    return `expected [] from the empty handler, got ${JSON.stringify(response)}`;
  }
  return undefined;
}
