package admin_test

import (
	"context"
	"fmt"
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

// TestBrowserInstallRegisterRegenerate drives the admin pages of a real
// emulator in headless Chromium: log in, install a plugin with
// <registration url>, Register it to a vendor listener running
// register.Handler (what `psctl register listen` serves), read the
// credentials, regenerate them, and check the API refuses the old pair.
func TestBrowserInstallRegisterRegenerate(t *testing.T) {
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
		// Like `psctl register listen --verify`: a registration is kept only
		// if its credentials obtain a token.
		Verify: func(ctx context.Context, req plugin.RegistrationRequest) error {
			code, err := tokenCode(ctx, req.ServerURL, req.ClientID, req.ClientSecret)
			if err == nil && code != http.StatusOK {
				err = fmt.Errorf("the emulator answered %d to a token request with these credentials", code)
			}
			return err
		},
		Save: func(_ context.Context, req plugin.RegistrationRequest) error {
			mu.Lock()
			defer mu.Unlock()
			received = append(received, req)
			return nil
		},
	})
	t.Cleanup(vendor.Close)

	xmlPath := filepath.Join(t.TempDir(), "plugin.xml")
	xml := pluginXML("Browser Roster Sync", `  <registration url="`+vendor.URL+`/register"><callback-data>licence-77</callback-data></registration>`)
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
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	t.Cleanup(cancel)

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(step, sel string) string {
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

	do("log in",
		chromedp.Navigate(base+"/admin/"),
		chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), user),
		chromedp.SendKeys(css("#password"), pass),
		chromedp.Click(css("#signin")),
		chromedp.WaitVisible(css("#install-link")))
	do("install",
		chromedp.Click(css("#install-link")),
		chromedp.WaitVisible(css("#plugin-file")),
		chromedp.SetUploadFiles(css("#plugin-file"), []string{xmlPath}),
		chromedp.Click(css("#install")),
		chromedp.WaitVisible(css("#register")))
	dialog := text("install", "#registration-fields")
	do("register",
		chromedp.Click(css("#register")),
		chromedp.WaitVisible(css("#registration-ok")))
	registered := text("register", "#registration-ok")
	do("see the credentials",
		chromedp.Click(css("#data-provider-link")),
		chromedp.WaitVisible(css("#reveal")),
		chromedp.Click(css("#reveal")),
		chromedp.WaitNotPresent(css("#reveal")))
	clientID, secret := text("see the credentials", "#client-id"), text("see the credentials", "#client-secret")
	do("regenerate",
		chromedp.Click(css("#regenerate-link")),
		chromedp.WaitVisible(css("#confirm-regenerate")),
		chromedp.Click(css("#confirm-regenerate")),
		chromedp.WaitVisible(css("#flash")))
	flash := text("regenerate", "#flash")
	do("reveal the new credentials",
		chromedp.Click(css("#reveal")),
		chromedp.WaitNotPresent(css("#reveal")))
	newID, newSecret := text("regenerate", "#client-id"), text("regenerate", "#client-secret")

	if !strings.Contains(dialog, "licence-77") || !strings.Contains(dialog, "Browser Roster Sync") {
		t.Errorf("the registration dialog lacks the plugin name or callback data:\n%s", dialog)
	}
	if !strings.Contains(registered, "registered") {
		t.Errorf("registration result: %q", registered)
	}
	mu.Lock()
	got := append([]plugin.RegistrationRequest(nil), received...)
	mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("the vendor received %d registrations, want 1", len(got))
	}
	if got[0].ClientID != clientID || got[0].ClientSecret != secret || got[0].CallbackData != "licence-77" || got[0].ServerURL != base {
		t.Errorf("the vendor received %v; the page shows client %s", got[0], clientID)
	}
	if secret == "" || strings.Contains(dialog, secret) {
		t.Error("the dialog showed the secret, or no secret was revealed")
	}
	if !strings.Contains(flash, "no longer work") || newID == clientID || newSecret == secret {
		t.Fatalf("regenerate did not give new credentials (flash %q)", flash)
	}

	if code := tokenStatus(t, base, clientID, secret); code != http.StatusUnauthorized {
		t.Errorf("token with the old credentials: %d, want 401", code)
	}
	if code := tokenStatus(t, base, newID, newSecret); code != http.StatusOK {
		t.Errorf("token with the new credentials: %d, want 200", code)
	}
}
