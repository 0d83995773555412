package data

import (
	"context"
	"net/url"
	"strings"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/output"
	"github.com/spf13/cobra"
)

// GetOptions are the inputs of psctl get, metadata and district.
type GetOptions struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	Path    string
	Params  []string
	Unwrap  string // wrapper key to strip ({"metadata":{...}} → {...}); "" keeps the document
	Output  cmdutil.OutputFlags
}

// NewCmdGet returns psctl get.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	o := &GetOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "get PATH [-p key=value ...]",
		Short: "GET any /ws/ path with automatic authentication",
		Long: `Send a GET request to any PowerSchool API path under /ws/, with the token
obtained, cached and refreshed for you, and print the JSON answer.`,
		Example: `  psctl get /ws/v1/district/student -p q='name.last_name==Sm*' -p pagesize=5
  psctl get /ws/v1/student/5851 -p expansions=demographics,addresses`,
		Args: cmdutil.ExactArgs(1, "a path such as /ws/v1/district"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Path = args[0]
			if runF != nil {
				return runF(o)
			}
			return runGet(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayVarP(&o.Params, "param", "p", nil, "query parameter key=value (repeatable)")
	cmdutil.AddOutputFlags(cmd, &o.Output, output.JSON)
	return cmd
}

// NewCmdMetadata returns psctl metadata.
func NewCmdMetadata(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	return singleCmd(f, runF, "metadata", "Show the server's versions and this plugin's ID and page sizes", "/ws/v1/metadata", "metadata", false)
}

// NewCmdDistrict returns psctl district.
func NewCmdDistrict(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	return singleCmd(f, runF, "district", "Show the district", "/ws/v1/district", "district", true)
}

func singleCmd(f *cmdutil.Factory, runF func(*GetOptions) error, use, short, path, key string, expansions bool) *cobra.Command {
	o := &GetOptions{IO: f.IOStreams, Factory: f, Path: path, Unwrap: key}
	var exp []string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(exp) > 0 {
				o.Params = append(o.Params, "expansions="+strings.Join(exp, ","))
			}
			if runF != nil {
				return runF(o)
			}
			return runGet(cmd.Context(), o)
		},
	}
	if expansions {
		cmd.Flags().StringSliceVar(&exp, "expansions", nil, "expansions to include, e.g. addresses,phones")
	}
	cmdutil.AddOutputFlags(cmd, &o.Output, output.JSON)
	return cmd
}

func runGet(ctx context.Context, o *GetOptions) error {
	if !strings.HasPrefix(o.Path, "/ws/") {
		return cmdutil.UsageError("path %q is not a PowerSchool API path: give one starting with /ws/, e.g. /ws/v1/district", o.Path)
	}
	path, query, _ := strings.Cut(o.Path, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return cmdutil.UsageError("invalid query in %q: %v", o.Path, err)
	}
	for _, p := range o.Params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return cmdutil.UsageError("invalid -p %q: use key=value", p)
		}
		q.Add(k, v)
	}
	if _, err := o.Output.Options(o.IO, true); err != nil {
		return err
	}
	client, target, err := o.Factory.Client(ctx)
	if err != nil {
		return err
	}
	raw, err := client.Get(ctx, path, q)
	if err != nil {
		return target.Explain(err)
	}
	if o.Unwrap != "" {
		raw = Unwrap(raw, o.Unwrap)
	}
	return o.Output.WriteOne(o.IO, raw)
}
