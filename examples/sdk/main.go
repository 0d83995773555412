// Command sdk lists a district's schools and active students with the
// powerschool SDK. It reads PS_URL, PS_CLIENT_ID and PS_CLIENT_SECRET.
//
//	PS_URL=https://district.powerschool.com PS_CLIENT_ID=... PS_CLIENT_SECRET=... go run ./examples/sdk
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/pskit/pskit/powerschool"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	opts := []powerschool.Option{
		powerschool.WithBaseURL(os.Getenv("PS_URL")),
		powerschool.WithCredentials(os.Getenv("PS_CLIENT_ID"), os.Getenv("PS_CLIENT_SECRET")),
		powerschool.WithReadOnly(), // this program only reads
	}
	if os.Getenv("DEBUG") != "" {
		opts = append(opts, powerschool.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	c, err := powerschool.NewClient(opts...)
	if err != nil {
		return err
	}

	info, err := c.ValidateToken(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("PowerSchool %s, plugin %d\n", info.PowerSchoolVersion, info.PluginID)

	for school, err := range c.Schools.List(ctx, nil) {
		if err != nil {
			return err
		}
		n, err := c.Students.CountBySchool(ctx, int64(school.ID), &powerschool.ListOptions{Q: "school_enrollment.enroll_status==A"})
		if err != nil {
			return err
		}
		fmt.Printf("%6d  %-40s %5d active students\n", school.SchoolNumber, school.Name, n)
	}

	list := &powerschool.ListOptions{
		Q:          "school_enrollment.enroll_status==A",
		Expansions: []string{"school_enrollment"},
		Progress: func(p powerschool.Progress) {
			fmt.Fprintf(os.Stderr, "\r%d/%d students", p.Done, p.Total)
		},
	}
	grades := map[int]int{}
	for s, err := range c.Students.List(ctx, list) {
		var changed *powerschool.InconsistentPullError
		if errors.As(err, &changed) {
			fmt.Fprintln(os.Stderr, "\nwarning:", err)
			break
		}
		if err != nil {
			return err
		}
		if s.SchoolEnrollment != nil {
			grades[s.SchoolEnrollment.GradeLevel.Int()]++
		}
	}
	fmt.Fprintln(os.Stderr)
	for g := -2; g <= 99; g++ {
		if grades[g] > 0 {
			fmt.Printf("grade %3d: %d\n", g, grades[g])
		}
	}
	return nil
}
