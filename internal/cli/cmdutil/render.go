package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pskit/pskit/oneroster"
	"github.com/pskit/pskit/powerschool"
)

// ErrorMessage is the text psctl prints for err: the SDKs' errors speak to
// Go programmers (WithTimeout, WithReadOnly, ...); here every such hint is
// rewritten into the flag or setting a psctl user has. This is the one
// place that translation lives.
func ErrorMessage(err error) string {
	msg := err.Error()
	for _, t := range typedHints {
		if leaf, cli, ok := t(err); ok && leaf != cli {
			msg = strings.ReplaceAll(msg, leaf, cli)
		}
	}
	for _, p := range phraseHints {
		msg = strings.ReplaceAll(msg, p.sdk, p.cli)
	}
	// The SDKs prefix their errors for library users; on the command line
	// the "psctl:" prefix already says who speaks.
	for _, prefix := range []string{"powerschool: ", "oneroster: "} {
		msg = strings.ReplaceAll(strings.TrimPrefix(msg, prefix), ": "+prefix, ": ")
	}
	return msg
}

// A typedHint finds an SDK error in err's chain and returns its message
// and the message psctl shows instead.
type typedHint func(err error) (sdk, cli string, ok bool)

var typedHints = []typedHint{
	func(err error) (string, string, bool) {
		var te *powerschool.TimeoutError
		if !errors.As(err, &te) {
			return "", "", false
		}
		what := "did not answer"
		if te.Silent {
			what = "stopped sending its answer"
		}
		return te.Error(), fmt.Sprintf("%s %s: the server %s within the %s timeout; if it is only slow, raise the limit with --timeout (e.g. --timeout %s) or the environment's timeout setting (psctl env add NAME ... --timeout %s --force)",
			te.Method, te.Path, what, te.Limit, 4*te.Limit, 4*te.Limit), true
	},
	func(err error) (string, string, bool) {
		var tl *powerschool.ResponseTooLargeError
		if !errors.As(err, &tl) {
			return "", "", false
		}
		return tl.Error(), fmt.Sprintf("%s %s: the answer is larger than %d bytes, the most psctl reads at once; ask for less per request (narrow it with --q, or give psctl query a smaller --page-size)",
			tl.Method, tl.Path, tl.Limit), true
	},
	func(err error) (string, string, bool) {
		var rl *powerschool.RateLimitError
		if !errors.As(err, &rl) {
			return "", "", false
		}
		s := rl.Error()
		const sdkHint = "set the plugin's minimum interval with WithRateLimit"
		if !strings.Contains(s, sdkHint) {
			return "", "", false
		}
		return s, strings.Replace(s, sdkHint, "give psctl the plugin's minimum interval with --rate (or the environment's rate setting, psctl env add --rate)", 1), true
	},
	func(err error) (string, string, bool) {
		var oe *oneroster.Error
		if !errors.As(err, &oe) {
			return "", "", false
		}
		s := oe.Error()
		return s, strings.ReplaceAll(s, "a wrong base path (try WithBasePath)", "a wrong base path (try --oneroster-base PATH)"), true
	},
}

// phraseHints rewrite the remaining SDK hints, met where the CLI passes
// its settings to the SDK (--ca-file, --allow-http, --read-only).
var phraseHints = []struct{ sdk, cli string }{
	{"use a client without WithReadOnly for writes", "this run is read-only (--read-only, or the environment's read_only setting); run without it to write"},
	{"or WithInsecureHTTP() on a trusted test network", "or pass --allow-http on a trusted test network"},
	{"WithRootCAPEM: no certificate found in the PEM data", "--ca-file: no certificate found in the file"},
	{"WithTLSConfig/WithRootCAPEM", "--ca-file/--insecure"},
	{"WithTimeout: the timeout must not be negative; 0 means none", "--timeout must not be negative"},
	{"lower the request rate (WithThrottle) or page concurrency", "fetch fewer pages at once (a lower --concurrency)"},
	{"(try WithBasePath)", "(try --oneroster-base PATH)"},
	{"WithPageConcurrency: ", "--concurrency: "},
	{"WithThrottle: ", "the request rate: "},
	{" (WithCredentials)", " (PS_CLIENT_ID and PS_CLIENT_SECRET, or the environment's client ID and secret)"},
	{`pass WithBaseURL("https://<district>.powerschool.com")`, "give one with psctl env add NAME --url https://<district>.powerschool.com, or PS_URL"},
}
