// Package powerschool is a client for PowerSchool SIS's plugin APIs: OAuth
// client credentials, /ws/v1 resources, PowerQueries (/ws/schema/query) and
// the table API (/ws/schema/table).
//
// The client handles the token completely (fetched once, shared by all
// goroutines, reused until shortly before expiry, optionally cached between
// runs and validated once, replaced after a 401), retries reads (honouring
// Retry-After) but never repeats a write blindly, gives every attempt a
// deadline (WithTimeout) and every answer a size limit
// (WithMaxResponseSize), follows redirects only within the server, paces
// all its requests to the rate the server accepts (a 429 slows the whole
// client rather than failing it; WithRateLimit gives a known interval,
// Client.Stats counts refusals), and turns failures into typed errors (*APIError, *AuthError,
// *RateLimitError, *TimeoutError) that say what to do next. Secrets and
// query strings never appear in logs or errors.
//
// PowerSchool's JSON has quirks (one record sent as an object instead of a
// list, "" for empty blocks, numbers as strings); the models decode all of
// them, and every record keeps its raw JSON in Raw.
//
// Usage:
//
//	c, err := powerschool.NewClient(
//		powerschool.WithBaseURL("https://district.powerschool.com"),
//		powerschool.WithCredentials(os.Getenv("PS_CLIENT_ID"), os.Getenv("PS_CLIENT_SECRET")),
//		powerschool.WithReadOnly(),
//	)
//	if err != nil {
//		return err
//	}
//	opts := &powerschool.ListOptions{Q: "school_enrollment.enroll_status==A", Expansions: []string{"school_enrollment"}}
//	for s, err := range c.Students.List(ctx, opts) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(s.ID, s.Name.LastName, s.SchoolEnrollment.GradeLevel)
//	}
//
// Lists fetch their pages concurrently (WithPageConcurrency, default 10) and
// yield records in order with bounded memory; anything the typed methods do
// not cover is reachable with Get and Do.
package powerschool
