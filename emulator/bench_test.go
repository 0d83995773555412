package emulator

import (
	"fmt"
	"io"
	"net/http"
	"testing"
)

// BenchmarkStudentPage serves 100-record student pages over loopback HTTP
// from a 10,000-student district, one request at a time and in parallel.
func BenchmarkStudentPage(b *testing.B) {
	s, c := start(b, Options{Students: 10_000})
	tok := token(b, c)
	fetch := func(page int) error {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/ws/v1/district/student?pagesize=100&page=%d", s.URL(), page), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if err := fetch(i%100 + 1); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel8", func(b *testing.B) {
		b.SetParallelism(4) // 4 x GOMAXPROCS(2) = 8 concurrent requests
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if err := fetch(i%100 + 1); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}
