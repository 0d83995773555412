package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/plugin"
)

// emuServer is the in-process emulator as a script server.
type emuServer struct {
	srv      *emulator.Server
	pluginID int
}

func (e emuServer) URL() string { return e.srv.URL() }

func (e emuServer) Credentials() (id, secret string) {
	c, err := e.srv.PluginCredentials(e.pluginID)
	if err != nil {
		panic(fmt.Sprintf("emulator lost plugin %d: %v", e.pluginID, err))
	}
	return c.ClientID, c.ClientSecret
}

func (e emuServer) Regenerate() error {
	_, err := e.srv.Regenerate(e.pluginID)
	return err
}

func (e emuServer) TokenRequests() int { return int(e.srv.Stats().TokenRequests) }

// narrowPlugin may read few fields (STUDENTS.DCID and LASTFIRST, and what
// grade passback needs), so the scripts meet PowerSchool's 403 paths; the
// example plugin reads everything the docs' examples use.
func narrowPlugin() []byte {
	var fields strings.Builder
	for _, f := range plugin.GradebookFields() {
		fmt.Fprintf(&fields, "    <field table=%q field=%q access=%q/>\n", f.Table, f.Field, f.Access)
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<plugin xmlns="http://plugin.powerschool.pearson.com" name="pskit Example Plugin" version="1.0.0" description="narrow access for the scripts">
  <oauth accessLevelV1Api="READ"/>
  <publisher name="pskit"><contact email="dev@example.org"/></publisher>
  <access_request>
    <field table="STUDENTS" field="DCID" access="ViewOnly"/>
    <field table="STUDENTS" field="LASTFIRST" access="ViewOnly"/>
` + fields.String() + `  </access_request>
</plugin>
`)
}

// startScriptServer starts a small emulated district (45 students, pages of
// 20 so lists take several pages) with narrowPlugin installed.
func startScriptServer() (scriptServer, func(), error) {
	srv, err := emulator.Start(context.Background(), emulator.Options{Students: 45, Seed: 7, MaxPageSize: 20})
	if err != nil {
		return nil, nil, err
	}
	creds, err := srv.InstallPlugin(narrowPlugin())
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	return emuServer{srv: srv, pluginID: creds.PluginID}, func() { srv.Close() }, nil
}
