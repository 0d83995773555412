package emulator_test

import (
	"context"
	"fmt"
	"log"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/powerschool"
)

// Testing your own integration offline: start an emulated district in the
// test, point your PowerSchool client at it with the credentials the
// emulator generated for its plugin, and close it when the test ends.
func Example() {
	ctx := context.Background()
	srv, err := emulator.Start(ctx, emulator.Options{Students: 250, Seed: 1, Plugin: emulator.DefaultPlugin})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	creds := srv.Credentials()

	c, err := powerschool.NewClient(
		powerschool.WithBaseURL(srv.URL()), // plain http is allowed on loopback only
		powerschool.WithCredentials(creds.ClientID, creds.ClientSecret),
	)
	if err != nil {
		log.Fatal(err)
	}
	n, err := c.Students.Count(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	pulled := 0
	for _, err := range c.Students.List(ctx, nil) {
		if err != nil {
			log.Fatal(err)
		}
		pulled++
	}
	fmt.Println(n == pulled, srv.Stats().TokenRequests)
	// Output: true 1
}
