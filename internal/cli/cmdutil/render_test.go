package cmdutil

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/oneroster"
	"github.com/pskit/pskit/powerschool"
)

var sdkOption = regexp.MustCompile(`\bWith[A-Z]\w*`)

// Every SDK hint that can reach a psctl user is rewritten into the flag or
// setting the user has, wherever the error sits in a wrapped chain.
func TestErrorMessageNamesFlagsNotSDKOptions(t *testing.T) {
	readOnly := fmt.Errorf("%w: refusing POST /ws/schema/table/u_x before sending it, because it could change data; use a client without WithReadOnly for writes", powerschool.ErrReadOnly)
	for _, c := range []struct {
		err  error
		want []string
	}{
		{fmt.Errorf("school 2: %w", &powerschool.TimeoutError{Method: "GET", Path: "/ws/v1/school/2/student", Limit: 30 * time.Second}),
			[]string{"school 2: GET /ws/v1/school/2/student: the server did not answer within the 30s timeout", "--timeout 2m0s", "timeout setting"}},
		{&powerschool.TimeoutError{Method: "GET", Path: "/x", Limit: time.Second, Silent: true}, []string{"stopped sending", "--timeout"}},
		{fmt.Errorf("wrap: %w", &powerschool.ResponseTooLargeError{Method: "GET", Path: "/ws/v1/district/student", Limit: 64 << 20}), []string{"larger than 67108864 bytes", "--page-size"}},
		{&powerschool.RateLimitError{Method: "GET", Path: "/ws/v1/district/student", RetryAfter: 5 * time.Second}, []string{"asks to wait 5s", "--rate"}},
		{readOnly, []string{"--read-only", "read_only setting"}},
		{&oneroster.Error{StatusCode: 404, Method: "GET", Path: "/ims/oneroster/v1p1/classes/x"}, []string{"--oneroster-base"}},
		{UsageError("%v", errors.New("powerschool: WithRootCAPEM: no certificate found in the PEM data; pass the server's CA certificate in PEM form (-----BEGIN CERTIFICATE-----)")), []string{"--ca-file: no certificate found in the file"}},
		{errors.New("powerschool: refusing plain http to a.example: the client secret and tokens would cross the network unencrypted; use https, or WithInsecureHTTP() on a trusted test network"), []string{"--allow-http"}},
		{errors.New(`powerschool: no server URL; pass WithBaseURL("https://<district>.powerschool.com")`), []string{"--url"}},
		{errors.New("powerschool: the client ID and client secret must both be set (WithCredentials); an administrator finds them under X"), []string{"PS_CLIENT_ID"}},
		{errors.New("WithPageConcurrency: 0 is not a valid worker count; use 1 or more"), []string{"--concurrency: 0"}},
	} {
		msg := ErrorMessage(c.err)
		if m := sdkOption.FindString(msg); m != "" {
			t.Errorf("%q names the SDK option %s", msg, m)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q lacks %q", msg, w)
			}
		}
		if strings.HasPrefix(msg, "powerschool: ") || strings.HasPrefix(msg, "oneroster: ") {
			t.Errorf("%q keeps the SDK's prefix", msg)
		}
	}
}
