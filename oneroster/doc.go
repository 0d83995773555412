// Package oneroster is a client for the IMS (1EdTech) OneRoster 1.1 REST
// binding: rostering reads and gradebook writes (grade passback).
//
// A Client authenticates with OAuth 2 client credentials (the main path, and
// the one PowerSchool uses, with its token endpoint at
// {server}/oauth/access_token) or with OAuth 1.0a request signing for older
// providers. Collections are read through iter.Seq2 iterators that follow
// limit/offset paging whether or not the provider sends X-Total-Count or Link
// headers. Gradebook records (categories, lineItems, results) are created and
// replaced with PUT under a sourcedId the caller chooses; PutOutcome tells
// whether the provider created or replaced the record.
//
// The wire behaviour is the powerschool SDK's, under the same option names:
// reads are retried and writes never repeated blindly (WithRetryPolicy),
// every attempt has a deadline (WithTimeout) and every answer a size limit
// (WithMaxResponseSize), redirects stay on the provider's scheme and host,
// and the token request follows none.
//
// Provider errors come back as *Error, decoded leniently from the imsx status
// formats providers actually send. errors.Is(err, ErrNotFound) reports a 404.
//
// The OneRoster base path on a PowerSchool server is not settled by public
// evidence (/ims/oneroster/v1p1 or /api/ims/oneroster/v1p1), so it is an
// option: WithBasePath.
package oneroster
