// Package oneroster implements psctl oneroster: OneRoster 1.1 reads against
// the selected environment's server, with the environment's credentials.
package oneroster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/output"
	or "github.com/pskit/pskit/oneroster"
	"github.com/spf13/cobra"
)

// NewClient opens a OneRoster client for the target: same server and
// plugin credentials (token from {url}/oauth/access_token), base path
// basePath ("" for /ims/oneroster/v1p1), and the target's TLS settings.
func NewClient(f *cmdutil.Factory, t *cmdutil.Target, basePath string) (*or.Client, error) {
	if err := cmdutil.CheckURL(t.URL, t.AllowHTTP); err != nil {
		return nil, err
	}
	opts := []or.Option{
		or.WithOAuth2(or.OAuth2{ClientID: t.ClientID, ClientSecret: t.Secret}),
		or.WithBasePath(basePath),
		or.WithUserAgent("psctl/" + f.Version),
	}
	if t.AllowHTTP {
		opts = append(opts, or.WithInsecureHTTP())
	}
	if t.Timeout > 0 {
		opts = append(opts, or.WithTimeout(t.Timeout))
	}
	if f.Retry != nil {
		opts = append(opts, or.WithRetryPolicy(*f.Retry))
	}
	if f.Flags.Verbose {
		opts = append(opts, or.WithLogger(cmdutil.NewConsoleLogger(f.IOStreams.ErrOut, []string{t.Secret})))
	}
	var tlsCfg *tls.Config
	switch {
	case f.Flags.Insecure:
		fmt.Fprintf(f.IOStreams.ErrOut, "WARNING: --insecure: TLS certificate verification is OFF for %s. Use --ca-file with your server's CA instead.\n", t.URL)
		tlsCfg = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicit user opt-in, warned above
	case t.CAFile != "":
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, cmdutil.UsageError("cannot read --ca-file: %v; give a PEM file with your server's CA certificate", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, cmdutil.UsageError("--ca-file %s holds no PEM certificate", t.CAFile)
		}
		tlsCfg = &tls.Config{RootCAs: pool}
	}
	if tlsCfg != nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsCfg
		opts = append(opts, or.WithHTTPClient(&http.Client{Transport: tr}))
	}
	c, err := or.NewClient(t.URL, opts...)
	if err != nil {
		return nil, cmdutil.UsageError("%v", err)
	}
	return c, nil
}

// NewCmdOneRoster returns psctl oneroster.
func NewCmdOneRoster(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "oneroster <command>",
		Short: "Read OneRoster 1.1 rostering and gradebook data",
		Long: `Read the server's OneRoster 1.1 API with the selected environment's
credentials. The API lives at {url}/ims/oneroster/v1p1 unless --oneroster-base
names another path (some servers use /api/ims/oneroster/v1p1).`,
	}
	cmd.AddCommand(NewCmdGet(f, nil))
	return cmd
}

// GetOptions are the inputs of psctl oneroster get.
type GetOptions struct {
	IO       *iostreams.IOStreams
	Factory  *cmdutil.Factory
	Resource string
	ID       string
	Base     string
	Filter   string
	Sort     string
	OrderBy  string
	Limit    int
	Output   cmdutil.OutputFlags
}

// NewCmdGet returns psctl oneroster get RESOURCE [ID].
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	o := &GetOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "get RESOURCE [ID]",
		Short: "List a OneRoster collection, or read one record by sourcedId",
		Long: `List a OneRoster collection (every page), or read one record by sourcedId.

Resources: ` + strings.Join(resourceNames(), ", ") + `.
Records are printed as the provider sends them, in the -o format.`,
		Example: `  psctl oneroster get classes -o table --fields sourcedId,title
  psctl oneroster get students --filter "familyName='Smith'"
  psctl oneroster get lineItems 'pskit-li-0123abcd' -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return cmdutil.UsageError("psctl oneroster get needs RESOURCE and optionally an ID; resources: %s", strings.Join(resourceNames(), ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Resource = args[0]
			if len(args) == 2 {
				o.ID = args[1]
			}
			if runF != nil {
				return runF(o)
			}
			return runGet(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Base, "oneroster-base", "", "OneRoster base path on the server (default /ims/oneroster/v1p1)")
	fl.StringVar(&o.Filter, "filter", "", `OneRoster filter, e.g. "status='active'"`)
	fl.StringVar(&o.Sort, "sort", "", "field to sort on")
	fl.StringVar(&o.OrderBy, "order-by", "", "asc or desc (with --sort)")
	fl.IntVar(&o.Limit, "limit", 0, "stop after this many records (default: all)")
	cmdutil.AddOutputFlags(cmd, &o.Output, output.JSON)
	cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return resourceNames(), cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	_ = cmd.RegisterFlagCompletionFunc("fields", func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var names []string
		if len(args) > 0 {
			if r, _, ok := lookup(args[0]); ok {
				names = r.fields
			}
		}
		return cmdutil.CompleteFieldList(names)(c, args, toComplete)
	})
	return cmd
}

type resource struct {
	list func(context.Context, *or.Client, *or.ListOptions) iter.Seq2[json.RawMessage, error]
	get  func(context.Context, *or.Client, string) (json.RawMessage, error)
	// fields are the --fields completions, from the model's JSON tags.
	fields []string
}

// res describes a resource by its SDK list and get methods.
func res[T any](list func(*or.Client, context.Context, *or.ListOptions) iter.Seq2[T, error], get func(*or.Client, context.Context, string, ...string) (T, error)) resource {
	return resource{lister(list), getter(get), cmdutil.FieldNames(reflect.TypeFor[T]())}
}

type rawRecord interface{ Raw() json.RawMessage }

func lister[T any](fn func(*or.Client, context.Context, *or.ListOptions) iter.Seq2[T, error]) func(context.Context, *or.Client, *or.ListOptions) iter.Seq2[json.RawMessage, error] {
	return func(ctx context.Context, c *or.Client, opts *or.ListOptions) iter.Seq2[json.RawMessage, error] {
		return func(yield func(json.RawMessage, error) bool) {
			for v, err := range fn(c, ctx, opts) {
				if err != nil {
					yield(nil, err)
					return
				}
				if !yield(any(&v).(rawRecord).Raw(), nil) {
					return
				}
			}
		}
	}
}

func getter[T any](fn func(*or.Client, context.Context, string, ...string) (T, error)) func(context.Context, *or.Client, string) (json.RawMessage, error) {
	return func(ctx context.Context, c *or.Client, id string) (json.RawMessage, error) {
		v, err := fn(c, ctx, id)
		if err != nil {
			return nil, err
		}
		return any(&v).(rawRecord).Raw(), nil
	}
}

var resources = map[string]resource{
	"orgs":             res((*or.Client).ListOrgs, (*or.Client).GetOrg),
	"schools":          res((*or.Client).ListSchools, (*or.Client).GetSchool),
	"academicSessions": res((*or.Client).ListAcademicSessions, (*or.Client).GetAcademicSession),
	"terms":            res((*or.Client).ListTerms, (*or.Client).GetTerm),
	"gradingPeriods":   res((*or.Client).ListGradingPeriods, (*or.Client).GetGradingPeriod),
	"courses":          res((*or.Client).ListCourses, (*or.Client).GetCourse),
	"classes":          res((*or.Client).ListClasses, (*or.Client).GetClass),
	"users":            res((*or.Client).ListUsers, (*or.Client).GetUser),
	"students":         res((*or.Client).ListStudents, (*or.Client).GetStudent),
	"teachers":         res((*or.Client).ListTeachers, (*or.Client).GetTeacher),
	"enrollments":      res((*or.Client).ListEnrollments, (*or.Client).GetEnrollment),
	"categories":       res((*or.Client).ListCategories, (*or.Client).GetCategory),
	"lineItems":        res((*or.Client).ListLineItems, (*or.Client).GetLineItem),
	"results":          res((*or.Client).ListResults, (*or.Client).GetResult),
}

func resourceNames() []string {
	var names []string
	for n := range resources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// lookup finds a resource by name, ignoring case (lineitems = lineItems).
func lookup(name string) (resource, string, bool) {
	for n, r := range resources {
		if strings.EqualFold(n, name) {
			return r, n, true
		}
	}
	return resource{}, "", false
}

func runGet(ctx context.Context, o *GetOptions) error {
	res, name, ok := lookup(o.Resource)
	if !ok {
		return cmdutil.UsageError("unknown OneRoster resource %q: use one of %s", o.Resource, strings.Join(resourceNames(), ", "))
	}
	if o.Limit < 0 {
		return cmdutil.UsageError("--limit must be positive")
	}
	if o.ID != "" && (o.Filter != "" || o.Sort != "" || o.Limit != 0) {
		return cmdutil.UsageError("--filter, --sort and --limit apply to lists; leave them out when reading one %s by ID", name)
	}
	if _, err := o.Output.Options(o.IO, o.ID != ""); err != nil {
		return err
	}
	t, err := o.Factory.Resolve()
	if err != nil {
		return err
	}
	c, err := NewClient(o.Factory, t, o.Base)
	if err != nil {
		return err
	}
	if o.ID != "" {
		raw, err := res.get(ctx, c, o.ID)
		if err != nil {
			return explain(t, err)
		}
		return o.Output.WriteOne(o.IO, raw)
	}
	lo := &or.ListOptions{Sort: o.Sort, OrderBy: o.OrderBy}
	if o.Filter != "" {
		lo.Filter = or.RawFilter(o.Filter)
	}
	if o.Limit > 0 && o.Limit < or.DefaultLimit {
		lo.Limit = o.Limit
	}
	out, err := o.Output.Open(o.IO)
	if err != nil {
		return err
	}
	for raw, err := range res.list(ctx, c, lo) {
		if err == nil {
			err = out.Write(raw)
		}
		if err != nil {
			out.Abort()
			return out.Explain(explain(t, err), nil)
		}
		if o.Limit > 0 && out.Count() >= o.Limit {
			break
		}
	}
	if err := out.Finish(); err != nil {
		return err
	}
	if file := o.Output.ToFile(); file != "" {
		fmt.Fprintf(o.IO.ErrOut, "Wrote %d %s to %s.\n", out.Count(), name, file)
	}
	return nil
}

// explain marks a refused token for exit code 4 and says what to check.
func explain(t *cmdutil.Target, err error) error {
	var te *or.TokenError
	var oe *or.Error
	if errors.As(err, &te) || (errors.As(err, &oe) && oe.StatusCode == http.StatusUnauthorized) {
		return cmdutil.AuthError(fmt.Errorf("%s: %w\ncheck the environment's client ID and secret, and that the plugin has OneRoster access", t.Label(), err))
	}
	return err
}
