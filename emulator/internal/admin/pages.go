package admin

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/pskit/pskit/plugin"
)

// MaxPageSize is the largest maximum page size the settings form accepts.
const MaxPageSize = 100000

// AccessLevels are the values of accessLevelV1Api an admin can choose.
var AccessLevels = []string{"NONE", "READ", "FULL"}

// The breadcrumbs of PowerSchool's documented path to a plugin.
var (
	systemCrumb         = crumb{"System", "/admin/system"}
	systemSettingsCrumb = crumb{"System Settings", "/admin/system/settings"}
	dashboardCrumb      = crumb{"Plugin Management Configuration", "/admin/plugins"}
)

func pluginCrumbs(p Info, more ...crumb) []crumb {
	return append([]crumb{systemCrumb, systemSettingsCrumb, dashboardCrumb, {p.Name, fmt.Sprintf("/admin/plugins/%d", p.ID)}}, more...)
}

// home is the start page, whose main menu leads to System.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "start", pageData{Title: "Start Page"})
}

func (h *Handler) systemPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "system", pageData{Title: "System", Crumbs: []crumb{systemCrumb}})
}

func (h *Handler) systemSettingsPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "system_settings", pageData{Title: "System Settings", Crumbs: []crumb{systemCrumb, systemSettingsCrumb}})
}

// serverPage is the newer menus' System Management > Server.
func (h *Handler) serverPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "server", pageData{Title: "Server",
		Crumbs: []crumb{{"System Management", ""}, {"Server", "/admin/system-management/server"}}})
}

// dashboard is the plugin list that the pop-ups are drawn over.
func (h *Handler) dashboard() pageData {
	return pageData{Title: "Plugin Management Dashboard", Plugins: h.cfg.Plugins.List(),
		Crumbs: []crumb{systemCrumb, systemSettingsCrumb, dashboardCrumb}}
}

func (h *Handler) flash(r *http.Request, msg string) { h.sessions.setFlash(sessionOf(r).id, msg) }

// pluginFor loads the plugin named by the {id} path segment, answering 404
// itself when there is none.
func (h *Handler) pluginFor(w http.ResponseWriter, r *http.Request) (Info, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 {
		h.renderError(w, r, http.StatusNotFound, "Plugin not found", fmt.Sprintf("%q is not a plugin id; pick a plugin from the list.", r.PathValue("id")))
		return Info{}, false
	}
	p, err := h.cfg.Plugins.Get(id)
	if err != nil {
		h.failed(w, r, err)
		return Info{}, false
	}
	return p, true
}

// failed shows an error from Plugins: 404 for an unknown plugin, else 500.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		h.renderError(w, r, http.StatusNotFound, "Plugin not found", "That plugin is not installed (it may have been deleted). Pick a plugin from the list.")
		return
	}
	h.log.Error("admin action failed", "path", r.URL.Path, "err", err)
	h.renderError(w, r, http.StatusInternalServerError, "Action failed", err.Error())
}

func (h *Handler) pluginList(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "plugins", h.dashboard())
}

func (h *Handler) pluginPage(w http.ResponseWriter, r *http.Request) {
	p, ok := h.pluginFor(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "plugin", pageData{Title: "Plugin Configuration", Plugin: p, Crumbs: pluginCrumbs(p)})
}

// enableConfirm is the pop-up that the Enable/Disable checkbox opens: Enable
// Plugin lists the Data Access Requests; Disable Plugin says what stops.
func (h *Handler) enableConfirm(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.pluginFor(w, r)
		if !ok {
			return
		}
		if p.Enabled == on {
			state := "disabled"
			if on {
				state = "enabled"
			}
			h.flash(r, fmt.Sprintf("Plugin %q is already %s.", p.Name, state))
			http.Redirect(w, r, "/admin/plugins", http.StatusSeeOther)
			return
		}
		d := h.dashboard()
		d.Plugin, d.Enabling = p, on
		h.render(w, r, http.StatusOK, "enable", d)
	}
}

func (h *Handler) setEnabled(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.pluginFor(w, r)
		if !ok {
			return
		}
		if err := h.cfg.Plugins.SetEnabled(p.ID, on); err != nil {
			h.failed(w, r, err)
			return
		}
		state := "disabled: its credentials and tokens are refused until it is enabled again"
		if on {
			state = "enabled"
		}
		h.flash(r, fmt.Sprintf("Plugin %q is %s.", p.Name, state))
		http.Redirect(w, r, "/admin/plugins", http.StatusSeeOther)
	}
}

func (h *Handler) deleteConfirm(w http.ResponseWriter, r *http.Request) {
	p, ok := h.pluginFor(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "delete", pageData{Title: "Delete Plugin", Plugin: p, Crumbs: pluginCrumbs(p, crumb{"Delete", ""})})
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) {
	p, ok := h.pluginFor(w, r)
	if !ok {
		return
	}
	if err := h.cfg.Plugins.Delete(p.ID); err != nil {
		h.failed(w, r, err)
		return
	}
	h.flash(r, fmt.Sprintf("Plugin %q was deleted.", p.Name))
	http.Redirect(w, r, "/admin/plugins", http.StatusSeeOther)
}

func (h *Handler) installPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "install", pageData{Title: "Plugin Install", Crumbs: installCrumbs})
}

var installCrumbs = []crumb{systemCrumb, systemSettingsCrumb, dashboardCrumb, {"Plugin Install", ""}}

// install validates the upload itself, so that every problem is shown with
// its position, and installs only when there are no errors.
func (h *Handler) install(w http.ResponseWriter, r *http.Request) {
	d := pageData{Title: "Plugin Install", Crumbs: installCrumbs}
	var data []byte
	if r.MultipartForm != nil && len(r.MultipartForm.File["plugin"]) > 0 {
		fh := r.MultipartForm.File["plugin"][0]
		d.FileName = fh.Filename
		f, err := fh.Open()
		if err == nil {
			data, err = io.ReadAll(f)
			f.Close()
		}
		if err != nil {
			d.Error = "The uploaded file could not be read: " + err.Error()
			h.render(w, r, http.StatusBadRequest, "install", d)
			return
		}
	}
	if len(data) == 0 {
		d.Error = "Choose a plugin.xml or plugin zip to install."
		h.render(w, r, http.StatusBadRequest, "install", d)
		return
	}
	b, err := plugin.Load(data)
	if err != nil {
		d.Error = fmt.Sprintf("%s cannot be installed: %v", d.FileName, err)
		h.render(w, r, http.StatusUnprocessableEntity, "install", d)
		return
	}
	d.Problems = ValidateBundle(b)
	if plugin.HasErrors(d.Problems) {
		d.Error = fmt.Sprintf("%s was not installed: fix the errors below and upload it again.", d.FileName)
		h.render(w, r, http.StatusUnprocessableEntity, "install", d)
		return
	}
	p, err := h.cfg.Plugins.Install(data)
	if err != nil {
		d.Error = fmt.Sprintf("%s was not installed: %v", d.FileName, err)
		h.render(w, r, http.StatusUnprocessableEntity, "install", d)
		return
	}
	h.log.Info("plugin installed from the admin pages", "id", p.ID, "name", p.Name, "updated_from", p.UpdatedFrom)
	msg := fmt.Sprintf("Plugin %q %s was installed. It is not enabled yet: select its Enable checkbox and confirm with Enable; until then its Client ID and Client Secret are refused.", p.Name, p.Version)
	if p.UpdatedFrom != "" {
		msg = fmt.Sprintf("Plugin %q was updated from version %s to %s. Its Client ID, Client Secret and enabled state are unchanged.", p.Name, p.UpdatedFrom, p.Version)
	}
	if n := len(d.Problems); n > 0 {
		var ws []string
		for _, pr := range d.Problems {
			ws = append(ws, pr.String())
		}
		msg += fmt.Sprintf(" %d warning(s): %s", n, strings.Join(ws, "; "))
	}
	h.flash(r, msg)
	if p.Registration != nil && p.HasOAuth && p.UpdatedFrom == "" {
		http.Redirect(w, r, fmt.Sprintf("/admin/plugins/%d/registration", p.ID), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/plugins", http.StatusSeeOther)
}

// ValidateBundle is Bundle.Validate with the emulator's one relaxation: a
// <registration url> on http:// to a loopback host is accepted (the real
// PowerSchool requires https), so a local `psctl register listen` can
// receive registrations. The bundle is left unchanged.
func ValidateBundle(b *plugin.Bundle) []plugin.Problem {
	if reg := b.Plugin.Registration; reg != nil && strings.HasPrefix(reg.URL, "http://") {
		if u, err := CheckRegistrationURL(reg.URL); err == nil && u.Scheme == "http" {
			orig := reg.URL
			reg.URL = "https://" + strings.TrimPrefix(orig, "http://")
			defer func() { reg.URL = orig }()
		}
	}
	return b.Validate()
}

// registrationFor checks that p can be registered and builds the request.
func (h *Handler) registrationFor(w http.ResponseWriter, r *http.Request, p Info) (plugin.RegistrationRequest, Credentials, bool) {
	if p.Registration == nil || !p.HasOAuth {
		h.renderError(w, r, http.StatusNotFound, "No registration",
			fmt.Sprintf("Plugin %q has no <registration url> with <oauth> in its plugin.xml, so there is nothing to register. Hand its credentials over from Data Provider Configuration instead.", p.Name))
		return plugin.RegistrationRequest{}, Credentials{}, false
	}
	c, err := h.cfg.Plugins.Credentials(p.ID)
	if err != nil {
		h.failed(w, r, err)
		return plugin.RegistrationRequest{}, Credentials{}, false
	}
	req := plugin.RegistrationRequest{
		ServerURL: h.serverURL(r), PluginName: p.Name, PluginVersion: p.Version, PluginID: strconv.Itoa(p.ID),
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, CallbackData: p.Registration.CallbackData,
	}
	for _, prm := range p.Registration.Parameters {
		if req.Parameters == nil {
			req.Parameters = map[string]string{}
		}
		req.Parameters[prm.Name] = prm.Value
	}
	return req, c, true
}

func (h *Handler) serverURL(r *http.Request) string {
	if h.cfg.ServerURL != nil {
		if u := h.cfg.ServerURL(); u != "" {
			return strings.TrimSuffix(u, "/")
		}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// dialogFields lists what will be sent, in wire order, secret masked.
func dialogFields(req plugin.RegistrationRequest) []field {
	fs := []field{
		{"server_url", req.ServerURL}, {"plugin_name", req.PluginName}, {"plugin_version", req.PluginVersion},
		{"plugin_id", req.PluginID}, {"client_id", req.ClientID}, {"client_secret", req.ClientSecret},
		{"callback_data", req.CallbackData},
	}
	for _, name := range slices.Sorted(maps.Keys(req.Parameters)) {
		fs = append(fs, field{"parameters." + name, req.Parameters[name]})
	}
	return fs
}

func (h *Handler) registrationPage(w http.ResponseWriter, r *http.Request) {
	p, ok := h.pluginFor(w, r)
	if !ok {
		return
	}
	req, c, ok := h.registrationFor(w, r, p)
	if !ok {
		return
	}
	d := h.dashboard()
	d.Plugin, d.Creds, d.RegistrationURL, d.Fields = p, &c, p.Registration.URL, dialogFields(req)
	h.render(w, r, http.StatusOK, "registration", d)
}

// register handles the dialog's buttons: Register sends the request,
// Cancel shows the credentials for a manual hand-over.
func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	p, ok := h.pluginFor(w, r)
	if !ok {
		return
	}
	req, c, ok := h.registrationFor(w, r, p)
	if !ok {
		return
	}
	d := h.dashboard()
	d.Plugin = p
	switch r.PostFormValue("action") {
	case "cancel":
		d.ServerURL, d.Creds = req.ServerURL, &c
		h.render(w, r, http.StatusOK, "handover", d)
	case "register":
		res, err := h.cfg.Sender.Send(r.Context(), p.Registration.URL, req)
		if err != nil {
			d.SendError = err.Error()
			h.log.Warn("plugin registration not delivered", "plugin", p.ID, "err", err)
		} else {
			d.Result = &res
			h.log.Info("plugin registration sent", "plugin", p.ID, "status", res.StatusCode)
		}
		h.render(w, r, http.StatusOK, "registration_result", d)
	default:
		h.renderError(w, r, http.StatusBadRequest, "Unknown action", "Press Register or Cancel in the Plugin Registration dialog.")
	}
}

func (h *Handler) dataProviderData(w http.ResponseWriter, r *http.Request) (pageData, bool) {
	p, ok := h.pluginFor(w, r)
	if !ok {
		return pageData{}, false
	}
	if !p.HasOAuth {
		h.renderError(w, r, http.StatusNotFound, "No Data Provider Configuration",
			fmt.Sprintf("Plugin %q has no <oauth> element in its plugin.xml, so it has no Client ID or Secret.", p.Name))
		return pageData{}, false
	}
	c, err := h.cfg.Plugins.Credentials(p.ID)
	if err != nil {
		h.failed(w, r, err)
		return pageData{}, false
	}
	return pageData{Title: "Data Provider Configuration", Plugin: p, Creds: &c, AccessLevels: AccessLevels,
		Crumbs: pluginCrumbs(p, crumb{"Data Provider Configuration", fmt.Sprintf("/admin/plugins/%d/data-provider", p.ID)})}, true
}

func (h *Handler) dataProvider(w http.ResponseWriter, r *http.Request) {
	if d, ok := h.dataProviderData(w, r); ok {
		h.render(w, r, http.StatusOK, "dataprovider", d)
	}
}

// reveal answers the Reveal button of earlier versions of these pages,
// which hid the secret; the page now shows it, as PowerSchool's does (every
// admin page is no-store and behind the login).
func (h *Handler) reveal(w http.ResponseWriter, r *http.Request) {
	if d, ok := h.dataProviderData(w, r); ok {
		h.render(w, r, http.StatusOK, "dataprovider", d)
	}
}

func (h *Handler) saveDataProvider(w http.ResponseWriter, r *http.Request) {
	d, ok := h.dataProviderData(w, r)
	if !ok {
		return
	}
	s, problems := parseSettings(r, d.Plugin.Settings)
	if len(problems) > 0 {
		d.Error = "Nothing was saved: " + strings.Join(problems, "; ") + "."
		h.render(w, r, http.StatusBadRequest, "dataprovider", d)
		return
	}
	if err := h.cfg.Plugins.UpdateSettings(d.Plugin.ID, s); err != nil {
		d.Error = "Nothing was saved: " + err.Error()
		h.render(w, r, http.StatusBadRequest, "dataprovider", d)
		return
	}
	h.flash(r, "Data Provider Configuration saved.")
	http.Redirect(w, r, fmt.Sprintf("/admin/plugins/%d/data-provider", d.Plugin.ID), http.StatusSeeOther)
}

// parseSettings reads the settings form over the current settings; it
// names every bad field.
func parseSettings(r *http.Request, cur Settings) (Settings, []string) {
	var problems []string
	out := Settings{AccessLevelV1API: r.PostFormValue("access_level")}
	valid := false
	for _, l := range AccessLevels {
		valid = valid || out.AccessLevelV1API == l
	}
	if !valid {
		problems = append(problems, fmt.Sprintf("access level %q is not one of %s", out.AccessLevelV1API, strings.Join(AccessLevels, ", ")))
	}
	for _, ps := range cur.PageSizes {
		raw := strings.TrimSpace(r.PostFormValue("page_size." + ps.Name))
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > MaxPageSize {
			problems = append(problems, fmt.Sprintf("%s must be a whole number from 1 to %d, not %q", ps.Name, MaxPageSize, raw))
			continue
		}
		out.PageSizes = append(out.PageSizes, PageSize{Name: ps.Name, Max: n})
	}
	return out, problems
}

func (h *Handler) regenerateConfirm(w http.ResponseWriter, r *http.Request) {
	if d, ok := h.dataProviderData(w, r); ok {
		h.render(w, r, http.StatusOK, "regenerate", d)
	}
}

func (h *Handler) regenerate(w http.ResponseWriter, r *http.Request) {
	p, ok := h.pluginFor(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		http.Redirect(w, r, fmt.Sprintf("/admin/plugins/%d/regenerate", p.ID), http.StatusSeeOther)
		return
	}
	if _, err := h.cfg.Plugins.Regenerate(p.ID); err != nil {
		h.failed(w, r, err)
		return
	}
	h.log.Info("plugin credentials regenerated from the admin pages", "plugin", p.ID)
	msg := "New Client ID and Client Secret generated. The old ones, and their access tokens, no longer work."
	if p.Registration != nil {
		msg += " Use Plugin Registration to send the new ones to the publisher."
	}
	h.flash(r, msg)
	http.Redirect(w, r, fmt.Sprintf("/admin/plugins/%d/data-provider", p.ID), http.StatusSeeOther)
}
