// Loaded by path (the SDK require()s it in workers and clients, and bundles it into the workflow
// sandbox), so it is CommonJS written as plain JavaScript: Node loads it from source too.
// Error messages and stack traces go into a payload, which the codec then encrypts: history
// keeps no response body or token-bearing message in clear.
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
