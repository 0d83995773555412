package cli

import (
	"context"
	"fmt"

	"github.com/pskit/pskit/emulator"
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

// startScriptServer starts a small emulated district (45 students, pages of
// 20 so lists take several pages) with the example plugin installed.
func startScriptServer() (scriptServer, func(), error) {
	srv, err := emulator.Start(context.Background(), emulator.Options{Students: 45, Seed: 7, MaxPageSize: 20})
	if err != nil {
		return nil, nil, err
	}
	creds, err := srv.InstallPlugin(emulator.DefaultPlugin)
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	return emuServer{srv: srv, pluginID: creds.PluginID}, func() { srv.Close() }, nil
}
