package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pskit/pskit/emulator"
	"github.com/pskit/pskit/plugin"
	"github.com/pskit/pskit/plugin/register"
)

// chromium finds Debian's chromium, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skip("chromium not installed: apt-get install chromium")
	return ""
}

// tokenCode asks the emulator for an access token with a client pair and
// returns the HTTP status.
func tokenCode(ctx context.Context, base, id, secret string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/oauth/access_token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func tokenStatus(t *testing.T, base, id, secret string) int {
	t.Helper()
	code, err := tokenCode(context.Background(), base, id, secret)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestBrowserDocumentedAdminFlow drives the admin pages of a real emulator
// in headless Chromium the way PowerSchool's documentation tells a district
// admin to: log in; System > System Settings > Plugin Management
// Configuration; Install (Choose File, Install); the Plugin Registration
// pop-up, Register, the Registration Results window, OK; the plugin's
// credentials refused until it is enabled; the Enable/Disable checkbox and
// the Enable Plugin pop-up; the plugin > Data Provider Configuration;
// Regenerate Client ID and Secret > Confirm, after which the old pair is
// refused; and disabling through the checkbox again.
func TestBrowserDocumentedAdminFlow(t *testing.T) {
	chrome := chromium(t)
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}

	emu, err := emulator.Start(context.Background(), emulator.Options{Students: 5, AdminPassword: "browser-test-password"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	base := emu.URL()
	user, pass := emu.AdminLogin()

	var mu sync.Mutex
	var received []plugin.RegistrationRequest
	vendor := httptest.NewServer(&register.Handler{
		Save: func(_ context.Context, req plugin.RegistrationRequest) error {
			mu.Lock()
			defer mu.Unlock()
			received = append(received, req)
			return nil
		},
	})
	t.Cleanup(vendor.Close)

	xmlPath := filepath.Join(t.TempDir(), "plugin.xml")
	xml := pluginXML("Browser Roster Sync", `  <registration url="`+vendor.URL+`/register"><callback-data>licence-77</callback-data></registration>
  <access_request><field table="STUDENTS" field="LASTFIRST" access="ViewOnly"/></access_request>`)
	if err := os.WriteFile(xmlPath, xml, 0o600); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelCtx)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(step, sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("%s: reading %s: %v", step, sel, err)
		}
		return strings.TrimSpace(v)
	}
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s: %v (browser at %s)", step, err, loc)
		}
	}
	token := func(step, id, secret string, want int) {
		t.Helper()
		if code := tokenStatus(t, base, id, secret); code != want {
			t.Fatalf("%s: token request answered %d, want %d", step, code, want)
		}
	}

	do("log in",
		chromedp.Navigate(base+"/admin/"),
		chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), user),
		chromedp.SendKeys(css("#password"), pass),
		chromedp.Click(css("#signin")),
		chromedp.WaitVisible(css("#main-menu")))
	do("System Management > Server > Plugin Configuration",
		chromedp.Click(css("#menu-server")),
		chromedp.WaitVisible(css("#plugin-configuration-link")),
		chromedp.Click(css("#plugin-configuration-link")),
		chromedp.WaitVisible(css("#install-link")))
	do("System > System Settings > Plugin Management Configuration",
		chromedp.Click(css("#menu-system")),
		chromedp.WaitVisible(css("#system-settings-link")),
		chromedp.Click(css("#system-settings-link")),
		chromedp.WaitVisible(css("#plugin-management-link")),
		chromedp.Click(css("#plugin-management-link")),
		chromedp.WaitVisible(css("#install-link")))
	do("Install: Choose File, Install",
		chromedp.Click(css("#install-link")),
		chromedp.WaitVisible(css("#plugin-file")),
		chromedp.SetUploadFiles(css("#plugin-file"), []string{xmlPath}),
		chromedp.Click(css("#install")),
		chromedp.WaitVisible(css("#registration-dialog")))
	dialog := text("Plugin Registration pop-up", "#registration-dialog")
	clientID, secret := text("Plugin Registration pop-up", "#registration-dialog #client-id"), text("Plugin Registration pop-up", "#registration-dialog #client-secret")
	do("Register",
		chromedp.Click(css("#register")),
		chromedp.WaitVisible(css("#registration-results")))
	results := text("Registration Results", "#registration-results")
	do("Registration Results: OK",
		chromedp.Click(css("#registration-results #ok")),
		chromedp.WaitVisible(css("#enable-1")),
		chromedp.WaitNotPresent(css("#registration-results")))
	token("installed, not yet enabled", clientID, secret, http.StatusUnauthorized)

	do("Enable: the checkbox, then Enable in the pop-up",
		chromedp.Click(css("#enable-1")),
		chromedp.WaitVisible(css("#enable-dialog")))
	enableDialog := text("Enable Plugin pop-up", "#enable-dialog")
	do("Enable: confirm",
		chromedp.Click(css("#confirm-enable")),
		chromedp.WaitVisible(css("#flash")),
		chromedp.WaitNotPresent(css("#enable-dialog")))
	checked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#enable-1").checked`))
	if err != nil || !checked {
		t.Fatalf("the Enable/Disable checkbox is not checked after Enable (%v)", err)
	}
	token("enabled", clientID, secret, http.StatusOK)

	do("the plugin's name > Data Provider Configuration",
		chromedp.Click(css("a.plugin-name")),
		chromedp.WaitVisible(css("#data-provider-link")),
		chromedp.Click(css("#data-provider-link")),
		chromedp.WaitVisible(css("#regenerate-link")))
	dpID, dpSecret := text("Data Provider Configuration", "#client-id"), text("Data Provider Configuration", "#client-secret")
	do("Regenerate Client ID and Secret > Confirm",
		chromedp.Click(css("#regenerate-link")),
		chromedp.WaitVisible(css("#regenerate-dialog")),
		chromedp.Click(css("#confirm-regenerate")),
		chromedp.WaitVisible(css("#flash")),
		chromedp.WaitNotPresent(css("#regenerate-dialog")))
	newID, newSecret := text("after Regenerate", "#client-id"), text("after Regenerate", "#client-secret")
	token("the old pair after Regenerate", clientID, secret, http.StatusUnauthorized)
	token("the new pair after Regenerate", newID, newSecret, http.StatusOK)

	do("Disable: the checkbox, then Disable in the pop-up",
		chromedp.Click(css("#breadcrumbs a[href='/admin/plugins']")),
		chromedp.WaitVisible(css("#enable-1")),
		chromedp.Click(css("#enable-1")),
		chromedp.WaitVisible(css("#disable-dialog")),
		chromedp.Click(css("#confirm-disable")),
		chromedp.WaitVisible(css("#flash")),
		chromedp.WaitNotPresent(css("#disable-dialog")))
	token("disabled", newID, newSecret, http.StatusUnauthorized)

	if !strings.Contains(dialog, "licence-77") || !strings.Contains(dialog, "Browser Roster Sync") || clientID == "" || secret == "" {
		t.Errorf("the Plugin Registration pop-up lacks the plugin, callback data or credentials:\n%s", dialog)
	}
	if !strings.Contains(results, "Registration Results") || !strings.Contains(results, "accepted the registration") {
		t.Errorf("Registration Results: %q", results)
	}
	if !strings.Contains(enableDialog, "Data Access Requests") || !strings.Contains(enableDialog, "LASTFIRST") {
		t.Errorf("the Enable Plugin pop-up does not list the Data Access Requests:\n%s", enableDialog)
	}
	if dpID != clientID || dpSecret != secret {
		t.Errorf("Data Provider Configuration shows %s, the pop-up showed %s", dpID, clientID)
	}
	if newID == clientID || newSecret == secret {
		t.Error("Regenerate did not change the credentials")
	}
	mu.Lock()
	got := append([]plugin.RegistrationRequest(nil), received...)
	mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("the vendor received %d registrations, want 1", len(got))
	}
	if got[0].ClientID != clientID || got[0].ClientSecret != secret || got[0].CallbackData != "licence-77" || got[0].ServerURL != base {
		t.Errorf("the vendor received %v; the pop-up showed client %s", got[0], clientID)
	}
}
