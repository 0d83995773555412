// Package wire is what the powerschool and oneroster SDKs share on the
// wire: the URL policy (https unless loopback or explicitly allowed), the
// redirect policy (never carry credentials to another host or to http), an
// OAuth 2 token source that can be invalidated after a 401 and whose fetch
// is bounded, one retry policy (reads are retried, writes are not repeated
// blindly), per-attempt deadlines, a size limit on every response body, and
// the redaction of secrets and query strings from errors.
//
// It knows nothing of either API; each SDK wraps its errors in its own words.
package wire
